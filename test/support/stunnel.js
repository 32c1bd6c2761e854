'use strict';
// A real TLS terminator in front of a real gearmand, for the TLS tests: Debian's gearmand 1.1.20
// accepts `--ssl` but does not speak TLS, so stunnel (Debian package `stunnel4`) takes the TLS
// connections and forwards the plain bytes to gearmand.
//
//   const stunnel = require('./support/stunnel');
//   const t = await stunnel.start({ services: [
//     { name: 'main', connect: 4730, cert: 'server.pem', key: 'server.key' },
//     { name: 'mtls', connect: 4730, cert: 'server.pem', key: 'server.key', ca: 'ca.pem' },  // client cert required
//   ] });
//   t.port('main') ...; await t.restart(); await t.stop();
//
// One stunnel process serves every service (each on its own free loopback port), runs in the
// foreground as our child (no daemon, no pid file), and is killed when it is stopped, when
// stopAll() runs (after hooks) or, at the latest, when this process exits.

const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const ports = require('./ports');

const TMP_ROOT = path.resolve(__dirname, '..', '.tmp');
const START_TIMEOUT = 10000;

/** Instances started and not yet stopped. */
const live = new Set();

/** Path of the stunnel binary ($STUNNEL, stunnel4 or stunnel on PATH); throws with a hint if none. */
function findStunnel() {
  const candidates = process.env.STUNNEL ? [process.env.STUNNEL] : [];
  for (const dir of (process.env.PATH || '').split(path.delimiter).filter(Boolean)) {
    candidates.push(path.join(dir, 'stunnel4'), path.join(dir, 'stunnel'));
  }
  candidates.push('/usr/bin/stunnel4', '/usr/bin/stunnel');
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // next
    }
  }
  const err = new Error('stunnel was not found: `apt-get install stunnel4` (Debian/Ubuntu), or set STUNNEL=/path/to/stunnel');
  err.code = 'ESTUNNEL_MISSING';
  throw err;
}

class StunnelInstance {
  constructor(bin, dir, services) {
    this.bin = bin;
    this.dir = dir;
    this.services = services;
    this.host = '127.0.0.1';
    this.child = null;
    this.output = '';
  }

  /** The port on which service `name` (default: the first one) accepts TLS connections. */
  port(name) {
    const s = name === undefined ? this.services[0] : this.services.find((x) => x.name === name);
    if (!s) throw new Error(`stunnel: no service ${name}`);
    return s.port;
  }

  /** `{host, port}` of a service, for the library's `servers` option. */
  server(name) {
    return { host: this.host, port: this.port(name) };
  }

  get config() {
    const lines = ['foreground = yes', 'pid =', 'debug = 4', 'syslog = no', ''];
    for (const s of this.services) {
      lines.push(`[${s.name}]`, `accept = ${this.host}:${s.port}`, `connect = 127.0.0.1:${s.connect}`);
      lines.push(`cert = ${s.cert}`, `key = ${s.key}`);
      if (s.ca) lines.push(`CAfile = ${s.ca}`, 'verifyChain = yes', 'requireCert = yes');
      lines.push('');
    }
    return lines.join('\n');
  }

  async _launch() {
    fs.mkdirSync(this.dir, { recursive: true });
    const confFile = path.join(this.dir, 'stunnel.conf');
    fs.writeFileSync(confFile, this.config);
    this.output = '';
    const child = spawn(this.bin, [confFile], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(this);
    const collect = (d) => {
      this.output = (this.output + d).slice(-20000);
    };
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    let exited = null;
    child.once('error', (err) => {
      exited = err;
    });
    child.once('exit', (code, sig) => {
      exited = exited || new Error(`stunnel exited (${code == null ? sig : code})`);
      if (this.child === child) {
        this.child = null;
        live.delete(this);
      }
    });
    const deadline = Date.now() + START_TIMEOUT;
    for (const s of this.services) {
      for (;;) {
        if (exited) throw this._error(exited.message);
        if ((await ports.probe(s.port, this.host, 500)) === 'open') break;
        if (Date.now() > deadline) {
          await this._kill();
          throw this._error(`service ${s.name} not listening on ${s.port} within ${START_TIMEOUT} ms`);
        }
        await ports.sleep(20);
      }
    }
    return this;
  }

  _error(reason) {
    const err = new Error(`stunnel failed to start: ${reason}\n${this.output.replace(/^/gm, '    ')}`);
    err.code = 'ESTUNNEL_START';
    return err;
  }

  /** Kills stunnel, waits until it has exited and its ports refuse connections, removes its files. */
  async stop() {
    await this._kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async _kill() {
    const child = this.child;
    if (child) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    }
    live.delete(this);
    for (const s of this.services) await ports.waitPort(s.port, { open: false, host: this.host, timeout: 5000 });
  }

  /** Kills stunnel and starts it again with the same services on the same ports. */
  async restart() {
    await this._kill();
    return this._launch();
  }
}

/**
 * Starts one stunnel (server mode) with `services`: `[{name, connect, cert, key, ca?}]`. `connect`
 * is the gearmand port behind it; `cert` (a PEM file, which may hold the chain too) and `key` are
 * the server's; with `ca`, a client certificate signed by that CA is required (mutual TLS).
 */
async function start({ services }) {
  const bin = findStunnel();
  installSafetyNet();
  fs.mkdirSync(TMP_ROOT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(TMP_ROOT, 'stunnel-'));
  // Other test runs pick ports up there too: a random base, and new ports if one got taken
  // between the check and stunnel's bind (stunnel then exits at once).
  for (let attempt = 1; ; attempt++) {
    const withPorts = [];
    let base = 4900 + Math.floor(Math.random() * 1000);
    for (const s of services) {
      const port = await ports.freePort(base);
      base = port + 1;
      withPorts.push(Object.assign({ name: `s${withPorts.length}` }, s, { port }));
    }
    const instance = new StunnelInstance(bin, dir, withPorts);
    try {
      return await instance._launch();
    } catch (err) {
      if (attempt < 3 && /exited/.test(err.message)) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
}

/** Stops every stunnel started here. */
async function stopAll() {
  await Promise.all([...live].map((i) => i.stop()));
}

let safetyNet = false;
function installSafetyNet() {
  if (safetyNet) return;
  safetyNet = true;
  process.on('exit', () => {
    for (const i of live) {
      if (i.child) i.child.kill('SIGKILL');
      fs.rmSync(i.dir, { recursive: true, force: true });
    }
  });
}

module.exports = { start, stopAll, findStunnel };
