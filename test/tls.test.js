'use strict';
// TLS to job servers: the `tls` option of client and worker (one option for every server of the
// owner). Debian's gearmand accepts `--ssl` but does not speak TLS, so a real TLS terminator
// (stunnel) sits in front of the shared gearmand on 4730; the certificates are made here with the
// openssl CLI (test/support/tls-fixtures.js). Covered: jobs end to end (text, 1 MiB binary, many at
// once), certificate failures with Node's codes, rejectUnauthorized: false, host names and
// `servername`, mutual TLS, TLS against plain TCP either way, bad options and PEMs, a worker
// reconnecting through a restarted terminator, and a process that exits after close().
const { runChild: runChildProcess } = require('./support/run-child');
const should = require('should');
const crypto = require('crypto');
const gearmanode = require('../lib/gearmanode');
const loggers = require('../lib/logger');
const { defaultServer } = require('./support/hooks');
const stunnel = require('./support/stunnel');
const tlsFixtures = require('./support/tls-fixtures');

const fnName = () => `fn-${crypto.randomUUID()}`;

describe('TLS connections', function () {
  this.timeout(20000);
  let certs;
  let tunnel;
  let opened = [];

  /** Registers a client or worker for closing after the test; returns it. */
  const track = (x) => {
    should(x).not.be.an.instanceOf(Error);
    opened.push(x);
    return x;
  };

  before(async function () {
    loggers.setLogger(() => {}); // refused connections are logged (warn, error) on purpose here
    certs = tlsFixtures.make();
    const server = { cert: certs.file('server'), key: certs.file('server.key') };
    tunnel = await stunnel.start({
      services: [
        Object.assign({ name: 'main', connect: defaultServer.port }, server),
        { name: 'chain', connect: defaultServer.port, cert: certs.file('server-chain'), key: certs.file('server.key') },
        { name: 'wrong', connect: defaultServer.port, cert: certs.file('wrong-host'), key: certs.file('wrong-host.key') },
        Object.assign({ name: 'mtls', connect: defaultServer.port, ca: certs.file('ca') }, server),
      ],
    });
  });

  after(async function () {
    loggers.setLogger(null);
    if (tunnel) await tunnel.stop();
    if (certs) certs.remove();
  });

  afterEach(function () {
    for (const x of opened) x.close();
    opened = [];
  });

  /** `{host: 'localhost', port}` of a stunnel service (stunnel listens on 127.0.0.1). */
  const at = (service, host = 'localhost') => ({ host, port: tunnel.port(service) });
  const ca = () => certs.pem('ca');

  /** A worker on `options` whose function `name` answers with its payload. */
  function echoWorker(name, options) {
    const worker = track(gearmanode.worker(options));
    worker.addFunction(name, (job) => job.workComplete(job.payload));
    return worker;
  }

  /**
   * Submits one job and resolves with its terminal event: `{complete: Buffer}` or `{error}`, plus
   * the client's `socketErrors` (codes) and `clientErrors` so far.
   */
  const seenBy = new WeakMap();
  function submit(client, name, payload) {
    let seen = seenBy.get(client);
    if (!seen) {
      seen = { socketErrors: [], socketMessages: [], clientErrors: [] };
      seenBy.set(client, seen);
      client.on('socketError', (uid, err) => {
        seen.socketErrors.push(err.code);
        seen.socketMessages.push(err.message);
      });
      client.on('error', (err) => seen.clientErrors.push(err));
    }
    return new Promise((resolve) => {
      const job = client.submitJob(name, payload, { toStringEncoding: undefined });
      job.on('complete', () => resolve(Object.assign({ complete: job.response }, seen)));
      job.on('error', (error) => resolve(Object.assign({ error }, seen)));
    });
  }

  /** A client on `options` whose only job fails before connecting: resolves the outcome. */
  async function failedJob(options) {
    const client = track(gearmanode.client(options));
    const r = await submit(client, fnName(), 'never run');
    should(r.complete).be.undefined();
    r.error.should.be.an.instanceOf(Error);
    return r;
  }

  it('a client and a worker do jobs over TLS: text, 1 MiB binary, 50 at once', async function () {
    const name = fnName();
    echoWorker(name, Object.assign(at('main'), { tls: { ca: ca() } }));
    const client = track(gearmanode.client(Object.assign(at('main'), { tls: { ca: Buffer.from(ca()) } })));

    const text = await submit(client, name, 'héllo over TLS');
    text.complete.toString().should.equal('héllo over TLS');
    const socket = client.jobServers[0].socket;
    socket.encrypted.should.be.true();
    socket.authorized.should.be.true();

    const binary = crypto.randomBytes(1024 * 1024);
    const big = await submit(client, name, binary);
    Buffer.compare(big.complete, binary).should.equal(0);

    const payloads = Array.from({ length: 50 }, (_, i) => crypto.randomBytes(1 + i * 997));
    const results = await Promise.all(payloads.map((p) => submit(client, name, p)));
    results.forEach((r, i) => Buffer.compare(r.complete, payloads[i]).should.equal(0));
    results[0].socketErrors.should.eql([]);
  });

  it("'connect' comes after the handshake, then 'secureConnect' (as on tls.TLSSocket)", async function () {
    const client = track(gearmanode.client(Object.assign(at('main'), { tls: { ca: [ca()] } })));
    const js = client.jobServers[0];
    const order = [];
    await new Promise((resolve, reject) => {
      const socket = js.connect((err) => (err ? reject(err) : resolve()));
      socket.on('connect', () => order.push('connect'));
      socket.on('secureConnect', () => {
        order.push('secureConnect');
        resolve();
      });
    });
    await new Promise((resolve) => setImmediate(resolve));
    order.should.eql(['connect', 'secureConnect']);
    js.connected.should.be.true();
  });

  it('`tls: true` trusts only the built-in roots: a private CA fails with Node\'s certificate codes', async function () {
    const leaf = await failedJob(Object.assign(at('main'), { tls: true }));
    leaf.socketErrors.should.eql(['UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
    leaf.socketMessages[0].should.equal('unable to verify the first certificate');
    leaf.error.code.should.equal('GEARMAN_ALL_SERVERS_FAILED');
    leaf.clientErrors.length.should.equal(1);

    const chain = await failedJob(Object.assign(at('chain'), { tls: true }));
    chain.socketErrors.should.eql(['SELF_SIGNED_CERT_IN_CHAIN']);
  });

  it('a CA that did not sign the server certificate fails with UNABLE_TO_VERIFY_LEAF_SIGNATURE', async function () {
    const r = await failedJob(Object.assign(at('main'), { tls: { ca: certs.pem('other-ca') } }));
    r.socketErrors.should.eql(['UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
  });

  it('rejectUnauthorized: false skips the verification (insecure): unknown CA and wrong name connect', async function () {
    const name = fnName();
    echoWorker(name, Object.assign(at('wrong'), { tls: { rejectUnauthorized: false } }));
    const client = track(gearmanode.client(Object.assign(at('main'), { tls: { rejectUnauthorized: false } })));
    const r = await submit(client, name, 'unverified');
    r.complete.toString().should.equal('unverified');
    client.jobServers[0].socket.authorized.should.be.false();
  });

  it('a certificate for another host name fails with ERR_TLS_CERT_ALTNAME_INVALID', async function () {
    const r = await failedJob(Object.assign(at('wrong'), { tls: { ca: ca() } }));
    r.socketErrors.should.eql(['ERR_TLS_CERT_ALTNAME_INVALID']);
    r.socketMessages[0].should.match(/Host: localhost\. is not in the cert's altnames: DNS:gm\.example/);
  });

  it('`servername` is the name checked (and sent); without it the host (name or IP address) is', async function () {
    const name = fnName();
    echoWorker(name, Object.assign(at('wrong', '127.0.0.1'), { tls: { ca: ca(), servername: 'gm.example' } }));
    const byIp = track(gearmanode.client(Object.assign(at('main', '127.0.0.1'), { tls: { ca: ca() } })));
    (await submit(byIp, name, 'ip')).complete.toString().should.equal('ip');

    const wrongName = await failedJob(Object.assign(at('main'), { tls: { ca: ca(), servername: 'gm.example' } }));
    wrongName.socketErrors.should.eql(['ERR_TLS_CERT_ALTNAME_INVALID']);
  });

  it('mutual TLS: with the client certificate jobs run; without it the server refuses (socket error, job error)', async function () {
    const name = fnName();
    const clientCert = { ca: ca(), cert: certs.pem('client'), key: Buffer.from(certs.pem('client.key')) };
    echoWorker(name, Object.assign(at('mtls'), { tls: clientCert }));
    const client = track(gearmanode.client(Object.assign(at('mtls'), { tls: clientCert })));
    (await submit(client, name, 'mutual')).complete.toString().should.equal('mutual');

    // TLS 1.3: the server checks the client certificate after the handshake and says why it hangs up.
    const anonymous = track(gearmanode.client(Object.assign(at('mtls'), { tls: { ca: ca() } })));
    const r = await submit(anonymous, name, 'refused');
    should(r.complete).be.undefined();
    r.socketErrors.should.eql(['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED']);
    r.error.code.should.equal('GEARMAN_CONNECTION_LOST');
  });

  it('a worker whose server certificate is refused reports socketError and keeps running', async function () {
    const worker = track(gearmanode.worker(Object.assign(at('main'), { tls: true, recoverLimit: 0 })));
    const err = await new Promise((resolve) => {
      worker.on('socketError', (uid, e) => resolve(e));
      worker.addFunction(fnName(), (job) => job.workComplete('x'));
    });
    err.code.should.equal('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    worker.jobServers[0].connected.should.be.false();
  });

  it('a plain client on the TLS port and a TLS client on the plain port both fail cleanly', async function () {
    const plain = track(gearmanode.client(at('main')));
    const disconnected = new Promise((resolve) => plain.on('socketDisconnect', resolve));
    const r = await submit(plain, fnName(), 'not TLS');
    should(r.complete).be.undefined();
    r.error.code.should.equal('GEARMAN_CONNECTION_LOST');
    await disconnected;

    const tlsOnPlain = await failedJob({ host: 'localhost', port: defaultServer.port, tls: { ca: ca() }, connectTimeout: 5000 });
    // gearmand drops a connection with bad magic; when it answers an ERROR packet first, the
    // handshake sees non-TLS bytes instead of the reset. Either is a clean failure.
    tlsOnPlain.socketErrors.should.have.length(1);
    ['ECONNRESET', 'ERR_SSL_WRONG_VERSION_NUMBER'].should.containEql(tlsOnPlain.socketErrors[0]);
    if (tlsOnPlain.socketErrors[0] === 'ECONNRESET') {
      tlsOnPlain.socketMessages[0].should.match(/before secure TLS connection was established/);
    }
    tlsOnPlain.error.code.should.equal('GEARMAN_ALL_SERVERS_FAILED');
  });

  it('a bad PEM is an ERR_TLS_BAD_CONFIG socket error when connecting, never a throw', async function () {
    const noCa = await failedJob(Object.assign(at('main'), { tls: { ca: 'not a certificate' } }));
    noCa.socketErrors.should.eql(['ERR_TLS_BAD_CONFIG']);
    noCa.socketMessages[0].should.match(/tls\.ca: no PEM certificate found/);

    const badKey = await failedJob(Object.assign(at('main'), { tls: { ca: ca(), cert: certs.pem('client'), key: 'nope' } }));
    badKey.socketErrors.should.eql(['ERR_TLS_BAD_CONFIG']);
    badKey.socketMessages[0].should.match(/tls\.key/);

    const mismatched = { ca: ca(), cert: certs.pem('client'), key: certs.pem('server.key') };
    const r = await failedJob(Object.assign(at('main'), { tls: mismatched }));
    r.socketErrors.should.eql(['ERR_TLS_BAD_CONFIG']);
  });

  it('an invalid tls option makes the constructor return an Error; false/null mean plain TCP', async function () {
    const bad = [
      { tls: 5 },
      { tls: 'yes' },
      { tls: [ca()] },
      { tls: { ca: 5 } },
      { tls: { ca: [ca(), {}] } },
      { tls: { cert: certs.pem('client') } },
      { tls: { key: certs.pem('client.key') } },
      { tls: { servername: 7 } },
      { tls: { pfx: Buffer.alloc(1) } },
    ];
    for (const options of bad) {
      const c = gearmanode.client(Object.assign(at('main'), options));
      c.should.be.an.instanceOf(Error);
      c.message.should.match(/tls/);
      const w = gearmanode.worker(Object.assign(at('main'), options));
      w.should.be.an.instanceOf(Error);
    }
    const name = fnName();
    echoWorker(name, { host: 'localhost', port: defaultServer.port, tls: false });
    const client = track(gearmanode.client({ host: 'localhost', port: defaultServer.port, tls: null }));
    Object.keys(client).should.not.containEql('tls');
    (await submit(client, name, 'plain')).complete.toString().should.equal('plain');
    should(client.jobServers[0].socket.encrypted).be.undefined();
  });

  it('a worker reconnects over TLS after the terminator restarts', async function () {
    const own = await stunnel.start({
      services: [{ connect: defaultServer.port, cert: certs.file('server'), key: certs.file('server.key') }],
    });
    try {
      const name = fnName();
      const options = { host: 'localhost', port: own.port(), tls: { ca: ca() }, recoverTime: 100, recoverLimit: 100 };
      const worker = echoWorker(name, options);
      const client = track(gearmanode.client(Object.assign(at('main'), { tls: { ca: ca() } })));
      (await submit(client, name, 'before')).complete.toString().should.equal('before');

      const lost = new Promise((resolve) => worker.on('socketDisconnect', resolve));
      const connected = lost.then(() => new Promise((resolve) => worker.on('socketConnect', resolve)));
      await own.restart();
      await connected;
      (await submit(client, name, 'after')).complete.toString().should.equal('after');
    } finally {
      await own.stop();
    }
  });

  it('after close() of a TLS client and worker the process exits by itself', async function () {
    const port = tunnel.port('main');
    const code = `
      const fs = require('fs');
      const gm = require('./lib/gearmanode');
      const tls = { ca: fs.readFileSync(${JSON.stringify(certs.file('ca'))}) };
      const name = ${JSON.stringify(fnName())};
      const worker = gm.worker({ host: 'localhost', port: ${port}, tls });
      worker.addFunction(name, (job) => job.workComplete('done'));
      const client = gm.client({ host: 'localhost', port: ${port}, tls });
      const job = client.submitJob(name, 'x');
      job.on('complete', () => {
        process.stdout.write('result ' + job.response + '\\n');
        client.close();
        worker.close();
        process.stdout.write('closed\\n');
      });`;
    const r = await runChild(code);
    r.stdout.should.containEql('result done\nclosed\n');
    should(r.killed).be.null();
    r.code.should.equal(0);
  });
});

const runChild = (code) => runChildProcess(code, { setupMs: 15000, exitMs: 5000 });
