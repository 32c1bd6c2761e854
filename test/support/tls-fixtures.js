'use strict';
// Certificates for the TLS tests, made at test time with the `openssl` CLI (Debian package
// `openssl`) into a fresh directory under test/.tmp: a CA, a server certificate for
// localhost/127.0.0.1 (alone, and with the CA as its chain), a server certificate for another
// host name, a client certificate, and an unrelated CA. P-256 keys: quick to make.

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const TMP_ROOT = path.resolve(__dirname, '..', '.tmp');

function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function ca(dir, name, cn) {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256',
    '-days', '30', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function leaf(dir, name, cn, ext, issuer) {
  openssl(dir, [
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`,
  ]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\n${ext}\n`);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial',
    '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`,
  ]);
}

/**
 * Makes the fixtures; returns `{dir, file(name), pem(name), remove()}` where names are `ca`,
 * `server`, `server-chain` (server + CA), `wrong-host`, `client`, `other-ca` (+ `.key` files).
 */
function make() {
  fs.mkdirSync(TMP_ROOT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(TMP_ROOT, 'tls-'));
  ca(dir, 'ca', 'gearmanode test CA');
  ca(dir, 'other-ca', 'unrelated test CA');
  leaf(dir, 'server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth', 'ca');
  leaf(dir, 'wrong-host', 'gm.example', 'subjectAltName=DNS:gm.example\nextendedKeyUsage=serverAuth', 'ca');
  leaf(dir, 'client', 'gearmanode test client', 'extendedKeyUsage=clientAuth', 'ca');
  fs.writeFileSync(
    path.join(dir, 'server-chain.pem'),
    fs.readFileSync(path.join(dir, 'server.pem'), 'utf8') + fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
  );
  const file = (name) => path.join(dir, name.includes('.') ? name : `${name}.pem`);
  return {
    dir,
    file,
    pem: (name) => fs.readFileSync(file(name), 'utf8'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

module.exports = { make };
