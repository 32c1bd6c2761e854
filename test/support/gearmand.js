'use strict';
// Real gearmand instances for the tests.
//
//   const gearmand = require('./support/gearmand');
//   const server = await gearmand.start({ port: await gearmand.freePort(4740) });
//   ... client/worker on { host: server.host, port: server.port } ...
//   await server.restart();   // same port, same args
//   await server.stop();
//
// Each instance runs `gearmand -d -L HOST -p PORT -P PIDFILE --log-file FILE [args]` with its files in
// a fresh directory under test/.tmp/ (git-ignored). gearmand daemonizes, so the pid comes from the pid
// file. Everything started here is stopped by stopAll() (the root hooks call it), SIGKILLed
// synchronously when the process exits or is interrupted, and, for deaths that run no JS at all
// (SIGKILL, a crash in an exception handler), killed by a small watchdog process that notices its
// parent's end when its stdin pipe closes. No gearmand outlives the test run.
//
// Environment: GEARMAND=/path/to/gearmand (binary to use), GEARMAND_VERBOSE=INFO (log level; the
// default WARNING keeps logs small, INFO logs every connection), GEARMAND_KEEP_TMP=1 (keep the
// test/.tmp directories for inspection), GEARMAND_NO_REAPER=1 (no watchdog process).

const fs = require('fs');
const net = require('net');
const tls = require('tls');
const path = require('path');
const { spawn } = require('child_process');
const ports = require('./ports');

const { sleep } = ports;

const TMP_ROOT = path.resolve(__dirname, '..', '.tmp');
const START_TIMEOUT = 10000;
const LOG_TAIL_LINES = 25;

const INSTALL_HINT =
  'Install the Gearman job server: `apt-get install gearman-job-server` on Debian/Ubuntu ' +
  '(as root, or with sudo), `brew install gearman` on macOS; or point GEARMAND=/path/to/gearmand at a binary.';

/** Instances started by this process and not yet stopped. */
const live = new Set();
/** Instance directories created by this process (removed at the end unless GEARMAND_KEEP_TMP=1). */
const createdDirs = new Set();

// ---------------------------------------------------------------------------------------------
// Binary

/** Path of the gearmand binary: $GEARMAND, `gearmand` on PATH, /usr/sbin/gearmand; throws if none. */
function findGearmand() {
  if (process.env.GEARMAND) {
    if (isExecutable(process.env.GEARMAND)) return process.env.GEARMAND;
    throw missing(`GEARMAND=${process.env.GEARMAND} is not an executable file.`);
  }
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, 'gearmand');
    if (isExecutable(candidate)) return candidate;
  }
  for (const candidate of ['/usr/sbin/gearmand', '/usr/local/sbin/gearmand']) {
    if (isExecutable(candidate)) return candidate;
  }
  throw missing('gearmand (the Gearman job server) was not found on PATH nor at /usr/sbin/gearmand.');
}

function missing(what) {
  const err = new Error(`${what} ${INSTALL_HINT}`);
  err.code = 'EGEARMAND_MISSING';
  return err;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Admin text protocol

/**
 * Sends one admin command (`version`, `status`, `workers`, `getpid`, `maxqueue f 10`, ...) and
 * resolves with the reply: the single `OK ...` line as sent (e.g. 'OK 1.1.20+ds'), or, for the
 * list commands, the lines before the terminating '.' joined with '\n' ('' when the list is
 * empty). An `ERR ...` reply rejects with code 'EGEARMAN_ADMIN'. `tls`: true or tls.connect options.
 */
function adminCommand(port, command, { host = '127.0.0.1', timeout = 5000, tls: tlsOptions } = {}) {
  return new Promise((resolve, reject) => {
    const sock = tlsOptions
      ? tls.connect({ port, host, rejectUnauthorized: false, ...(tlsOptions === true ? {} : tlsOptions) })
      : net.connect({ port, host });
    let buf = '';
    const lines = [];
    let settled = false;
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(
      () => finish(new Error(`admin command "${command}" to ${host}:${port} got no reply within ${timeout} ms`)),
      timeout,
    );
    sock.once(tlsOptions ? 'secureConnect' : 'connect', () => sock.write(`${command}\n`));
    sock.setEncoding('utf8');
    sock.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (lines.length === 0 && /^OK\b/.test(line)) return finish(null, line);
        if (lines.length === 0 && /^ERR\b/.test(line)) {
          const err = new Error(`gearmand at ${host}:${port} answered "${command}" with: ${line}`);
          err.code = 'EGEARMAN_ADMIN';
          return finish(err);
        }
        if (line === '.') return finish(null, lines.join('\n'));
        lines.push(line);
      }
    });
    sock.on('error', (err) => {
      err.message = `admin command "${command}" to ${host}:${port}: ${err.message}`;
      finish(err);
    });
    sock.on('close', () =>
      finish(new Error(`admin command "${command}" to ${host}:${port}: connection closed before the reply ended`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Processes

/** 'running', 'zombie' (exited, not yet reaped by its parent, init), or 'gone'. */
function pidState(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code === 'ESRCH') return 'gone';
    if (err.code !== 'EPERM') throw err;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    if (state === 'Z' || state === 'X') return 'zombie';
  } catch {
    // No /proc (macOS) or the process vanished meanwhile: kill(0) is all we know.
  }
  return 'running';
}

/** Whether `pid` is still the gearmand that wrote `pidFile` (guards against pid reuse). */
function isOurs(pid, pidFile) {
  let cmdline;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return fs.existsSync('/proc/self') ? false : pidState(pid) !== 'gone';
  }
  return cmdline.some((a) => /gearmand$/.test(a)) && cmdline.includes(pidFile);
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if (err.code === 'ESRCH') return false;
    throw err;
  }
}

function readPidFile(pidFile) {
  try {
    const text = fs.readFileSync(pidFile, 'utf8');
    return /^\d+\s*$/.test(text) ? Number(text.trim()) : null;
  } catch {
    return null;
  }
}

function tail(file, n = LOG_TAIL_LINES) {
  try {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n).join('\n');
  } catch (err) {
    return `(no log: ${err.code || err.message})`;
  }
}

// ---------------------------------------------------------------------------------------------
// Instances

class GearmandInstance {
  constructor({ port, host, args, dir, timeout, verbose, tls: tlsOptions, bin, track = true }) {
    this.port = port;
    /** Value given to -L (null: no -L, every interface). */
    this.listen = host;
    /** Host the library should connect to. */
    this.host = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    this.args = args;
    this.dir = dir;
    this.pidFile = path.join(dir, 'gearmand.pid');
    this.logFile = path.join(dir, 'gearmand.log');
    this.pid = null;
    this.bin = bin;
    this.timeout = timeout;
    this.verbose = verbose;
    this.tls = tlsOptions;
    /** false: left out of stopAll() and of the exit-time kill (for a server meant to outlive us). */
    this.tracked = track;
  }

  /** Connection options for the library: {host, port}. */
  get server() {
    return { host: this.host, port: this.port };
  }

  /** The full command line used to start this instance. */
  get argv() {
    const argv = ['-d'];
    if (this.listen) argv.push('-L', this.listen);
    argv.push('-p', String(this.port), '-P', this.pidFile, '--log-file', this.logFile);
    if (!this.args.some((a) => a === '--verbose' || a.startsWith('--verbose='))) argv.push('--verbose', this.verbose);
    return argv.concat(this.args);
  }

  /** Sends an admin command to this instance (see adminCommand). */
  admin(command, options = {}) {
    return adminCommand(this.port, command, { host: this.host, tls: this.tls, ...options });
  }

  /** true while the gearmand process runs (a zombie does not count). */
  isRunning() {
    return this.pid != null && pidState(this.pid) === 'running' && isOurs(this.pid, this.pidFile);
  }

  /** Last lines of the log file. */
  logTail(n = LOG_TAIL_LINES) {
    return tail(this.logFile, n);
  }

  /** Sends a signal (default SIGKILL) to the gearmand process, e.g. SIGSTOP/SIGCONT for fault tests. */
  kill(sig = 'SIGKILL') {
    if (this.pid == null || !isOurs(this.pid, this.pidFile)) return false;
    return signal(this.pid, sig);
  }

  /**
   * Stops gearmand: SIGTERM (+SIGCONT in case a test stopped it), SIGKILL after `grace` ms, then
   * waits until the process has exited and the port refuses connections. With `reap` (the default)
   * it also waits up to `reapTimeout` ms until the pid disappears (gearmand is daemonized, so its
   * parent is init, which reaps it on its own schedule; until then it is a harmless zombie).
   */
  async stop({ grace = 3000, reap = true, reapTimeout = 3000 } = {}) {
    const pid = this.pid;
    if (pid != null && isOurs(pid, this.pidFile) && pidState(pid) === 'running') {
      signal(pid, 'SIGTERM');
      signal(pid, 'SIGCONT');
      if (!(await waitFor(() => pidState(pid) !== 'running', grace))) {
        signal(pid, 'SIGKILL');
        if (!(await waitFor(() => pidState(pid) !== 'running', 5000))) {
          throw new Error(`gearmand pid ${pid} on port ${this.port} survived SIGKILL`);
        }
      }
    }
    live.delete(this);
    await Promise.all(
      (await checkAddresses(this.listen)).map((host) => ports.waitPort(this.port, { open: false, host, timeout: 5000 })),
    );
    try {
      fs.unlinkSync(this.pidFile); // gearmand removes it on SIGTERM, not on SIGKILL
    } catch {
      // already gone
    }
    if (pid != null && reap) await waitFor(() => pidState(pid) === 'gone', reapTimeout);
  }

  /** stop() then start again on the same port with the same args; `pid` changes, the object stays. */
  async restart(options = {}) {
    await this.stop({ reap: false, ...options });
    await this._launch();
    return this;
  }

  /** Launches gearmand and waits until it answers; on failure kills it and throws with the log tail. */
  async _launch() {
    const addresses = await checkAddresses(this.listen);
    for (const host of addresses) {
      if (!(await ports.isPortFree(this.port, host))) {
        let who = 'something';
        try {
          who = `a gearmand (${await adminCommand(this.port, 'version', { host, timeout: 500 })})`;
        } catch {
          // not a gearmand, or not answering
        }
        const err = new Error(`cannot start gearmand on ${host}:${this.port}: the port is already used by ${who}`);
        err.code = 'EADDRINUSE';
        throw err;
      }
    }
    fs.mkdirSync(this.dir, { recursive: true });
    try {
      fs.unlinkSync(this.pidFile);
    } catch {
      // no stale pid file
    }
    this.pid = null;
    const deadline = Date.now() + this.timeout;
    const launcher = await runDaemonizer(this.bin, this.argv, this.dir, this.timeout);
    if (launcher.code !== 0) {
      throw this._startError(`\`gearmand -d\` exited with ${launcher.code}${launcher.stderr ? `: ${launcher.stderr.trim()}` : ''}`);
    }
    // The daemon writes its pid file after forking; wait for it.
    while ((this.pid = readPidFile(this.pidFile)) == null) {
      if (Date.now() > deadline) throw this._startError(`no pid file ${this.pidFile} appeared`);
      await sleep(10);
    }
    if (this.tracked) {
      live.add(this);
      tellReaper(`add ${this.pid} ${this.pidFile}`);
    }
    let lastError;
    for (;;) {
      if (pidState(this.pid) !== 'running') {
        live.delete(this);
        throw this._startError(`gearmand (pid ${this.pid}) exited during startup`);
      }
      try {
        await this._checkReady(addresses, Math.max(200, Math.min(2000, deadline - Date.now())));
        return this;
      } catch (err) {
        lastError = err;
        if (err.fatal) break;
      }
      if (Date.now() > deadline) break;
      await sleep(50);
    }
    // Not ready in time (typically: the port got taken meanwhile; gearmand then retries bind() for
    // ~20 s before giving up). Do not leave it behind.
    signal(this.pid, 'SIGKILL');
    live.delete(this);
    throw this._startError(`not ready within ${this.timeout} ms (${lastError && lastError.message})`);
  }

  /** Our pid answers `getpid` and `version` on every address it listens on. */
  async _checkReady(addresses, timeout) {
    for (const host of addresses) {
      const ask = async (command) => {
        try {
          return await adminCommand(this.port, command, { host, timeout, tls: this.tls });
        } catch (err) {
          // `--ssl` in Debian's build still answers plain text; try TLS when plain text fails.
          if (!this.tls && this.args.includes('--ssl')) return adminCommand(this.port, command, { host, timeout, tls: true });
          throw err;
        }
      };
      const pidReply = await ask('getpid');
      if (pidReply !== `OK ${this.pid}`) {
        const err = new Error(`${host}:${this.port} is served by another gearmand (getpid: ${pidReply}, ours: ${this.pid})`);
        err.fatal = true;
        throw err;
      }
      await ask('version');
    }
  }

  _startError(reason) {
    const err = new Error(
      `gearmand on port ${this.port} failed to start: ${reason}\n` +
        `  command: ${this.bin} ${this.argv.join(' ')}\n` +
        `  log ${this.logFile} (last lines):\n${this.logTail().replace(/^/gm, '    ')}`,
    );
    err.code = 'EGEARMAND_START';
    err.logFile = this.logFile;
    return err;
  }
}

/** Runs `gearmand -d ...` and resolves {code, stderr} when the launching process exits. */
function runDaemonizer(bin, argv, cwd, timeout) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`\`${bin} -d\` did not return within ${timeout} ms`));
    }, timeout);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      // The daemon may inherit stderr; do not wait for the pipe to close, just drain what is there.
      setImmediate(() => {
        child.stderr.destroy();
        resolve({ code: code == null ? sig : code, stderr });
      });
    });
  });
}

/** The addresses on which an instance listening on `listen` must answer. */
async function checkAddresses(listen) {
  if (!listen || listen === '0.0.0.0' || listen === '::') return ['127.0.0.1'];
  if (net.isIP(listen)) return [listen];
  const addrs = await ports.lookupAll(listen);
  return [...new Set(addrs.map((a) => a.address))];
}

async function waitFor(predicate, timeout, interval = 20) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (predicate()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(interval);
  }
}

/**
 * Starts a gearmand and resolves with its instance once it answers `getpid` (with its own pid) and
 * `version`. Options: port (default: freePort(4740)), host (the -L value, default '127.0.0.1';
 * null for every interface), args (extra gearmand options), timeout (ms, default 10000),
 * dir (where pid and log files go; default a fresh directory under test/.tmp), verbose (gearmand
 * log level when args has no --verbose; default WARNING, since INFO logs every connection),
 * tls (options for admin connections when the server only speaks TLS), track (default true; false
 * leaves the instance out of stopAll() and of the exit-time kill, for a server meant to outlive us).
 */
async function start(options = {}) {
  const bin = findGearmand();
  if (options.track !== false) installSafetyNet();
  const { host = '127.0.0.1', args = [], timeout = START_TIMEOUT, verbose = process.env.GEARMAND_VERBOSE || 'WARNING' } = options;
  const autoPort = options.port == null;
  // A random base makes two test processes started together unlikely to race for one port.
  let port = autoPort ? await ports.freePort(4740 + Math.floor(Math.random() * 400)) : options.port;
  for (let attempt = 0; ; attempt++) {
    let dir = options.dir;
    if (!dir) {
      fs.mkdirSync(TMP_ROOT, { recursive: true });
      dir = fs.mkdtempSync(path.join(TMP_ROOT, `gearmand-${port}-`));
      createdDirs.add(dir);
      tellReaper(`dir ${dir}`);
    }
    const instance = new GearmandInstance({
      port,
      host,
      args: [...args],
      dir,
      timeout,
      verbose,
      tls: options.tls,
      bin,
      track: options.track !== false,
    });
    try {
      return await instance._launch();
    } catch (err) {
      // Another process grabbed the port we picked: try the next free one.
      const taken = err.code === 'EADDRINUSE' || /served by another gearmand/.test(err.message);
      if (autoPort && taken && attempt < 5) {
        port = await ports.freePort(port + 1);
        continue;
      }
      throw err;
    }
  }
}

/** Stops every instance started by this process (in parallel). */
async function stopAll(options) {
  const results = await Promise.allSettled([...live].map((i) => i.stop(options)));
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length) throw failed[0].reason;
}

/** Instances started by this process that have not been stopped. */
function running() {
  return [...live];
}

/** Synchronous last resort: SIGKILL everything still running, remove our temp dirs. */
function killAllSync() {
  for (const instance of live) {
    try {
      if (instance.pid != null && isOurs(instance.pid, instance.pidFile)) signal(instance.pid, 'SIGKILL');
    } catch {
      // keep going: the others must die too
    }
  }
  live.clear();
  if (process.env.GEARMAND_KEEP_TMP !== '1') {
    for (const dir of createdDirs) {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
    createdDirs.clear();
  }
}

let safetyNetInstalled = false;
function installSafetyNet() {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  startReaper();
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const onSignal = () => {
      killAllSync();
      process.removeListener(sig, onSignal);
      // If nobody else handles the signal, die of it as we would have without this listener.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

// ---------------------------------------------------------------------------------------------
// Watchdog: `node gearmand.js --reaper`, started once per process, detached (Ctrl-C does not reach
// it), reading "add PID PIDFILE" and "dir PATH" lines on stdin. When stdin ends, its parent is gone
// however it died; it then kills every registered gearmand that is still the one it was told about
// and removes the directories. Instances stopped normally are already gone and are left alone.

let reaper = null;

function startReaper() {
  if (reaper || process.env.GEARMAND_NO_REAPER === '1') return;
  try {
    reaper = spawn(process.execPath, [__filename, '--reaper'], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      env: { ...process.env, GEARMAND_KEEP_TMP: process.env.GEARMAND_KEEP_TMP || '' },
    });
    reaper.on('error', () => {
      reaper = null; // the in-process safety net still works
    });
    reaper.stdin.on('error', () => {});
    reaper.unref();
    reaper.stdin.unref();
  } catch {
    reaper = null;
  }
}

function tellReaper(line) {
  if (reaper && reaper.stdin.writable) reaper.stdin.write(`${line}\n`);
}

function runReaper() {
  const pids = new Map();
  const dirs = new Set();
  let buf = '';
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = /^(add|dir) (?:(\d+) )?(.+)$/.exec(line);
      if (m && m[1] === 'add') pids.set(Number(m[2]), m[3]);
      else if (m && m[1] === 'dir') dirs.add(m[3]);
    }
  });
  const finish = async () => {
    const mine = [...pids].filter(([pid, pidFile]) => pidState(pid) === 'running' && isOurs(pid, pidFile));
    for (const [pid] of mine) signal(pid, 'SIGTERM');
    await waitFor(() => mine.every(([pid]) => pidState(pid) !== 'running'), 2000);
    for (const [pid, pidFile] of mine) if (pidState(pid) === 'running' && isOurs(pid, pidFile)) signal(pid, 'SIGKILL');
    if (process.env.GEARMAND_KEEP_TMP !== '1') {
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    }
    process.exit(0);
  };
  process.stdin.on('end', finish);
  process.stdin.on('error', finish);
}

if (require.main === module && process.argv[2] === '--reaper') runReaper();

module.exports = {
  start,
  stopAll,
  running,
  killAllSync,
  findGearmand,
  adminCommand,
  pidState,
  GearmandInstance,
  TMP_ROOT,
  INSTALL_HINT,
  isPortFree: ports.isPortFree,
  waitPort: ports.waitPort,
  freePort: ports.freePort,
  releasePort: ports.releasePort,
  probe: ports.probe,
  lookupAll: ports.lookupAll,
  localhostAddresses: ports.localhostAddresses,
  sleep,
};
