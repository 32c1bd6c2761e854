'use strict';
// Helpers of the interoperability suite (test/interop/*.test.js): finding the peers (PHP's gearman
// extension, Perl's Gearman::Client/Worker, the `gearman` command-line tool), starting and killing
// their processes, talking to them line by line, the payload set, and small wrappers around our
// own Client and Worker that record every event in order.
//
// Peers that are not installed are skipped with a message naming them, except in CI (CI=true),
// where a missing peer fails the suite: there every combination must run.

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');
const gearmand = require('../../support/gearmand');

const PEERS_DIR = path.resolve(__dirname, '..', 'peers');
const TMP_ROOT = gearmand.TMP_ROOT;
const IN_CI = /^(1|true|yes)$/i.test(process.env.CI || '');

// ---------------------------------------------------------------------------------------------
// Peers: detection

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20000 });
  if (r.error) return { ok: false, why: `${cmd}: ${r.error.code || r.error.message}` };
  if (r.status !== 0) return { ok: false, why: `\`${cmd} ${args.join(' ')}\` exited with ${r.status}: ${(r.stderr || '').trim().split('\n')[0]}` };
  return { ok: true, out: r.stdout.trim() };
}

function debVersion(pkg) {
  const r = run('dpkg-query', ['-W', '-f=${Version}', pkg]);
  return r.ok && r.out ? r.out : null;
}

const DETECT = {
  php() {
    const r = run('php', ['-r', 'if (!extension_loaded("gearman")) { fwrite(STDERR, "the gearman extension is not loaded"); exit(1); } echo PHP_VERSION, " ", phpversion("gearman"), " ", gearman_version();']);
    if (!r.ok) return { ok: false, why: `PHP's gearman extension is missing (package php-gearman): ${r.why}` };
    const [phpv, ext, lib] = r.out.split(' ');
    return { ok: true, version: `PHP ${phpv}, gearman extension ${ext}, libgearman ${lib}` };
  },
  perl() {
    const r = run('perl', ['-MGearman::Client', '-MGearman::Worker', '-e', 'print "$Gearman::Client::VERSION $Gearman::Worker::VERSION $^V"']);
    if (!r.ok) return { ok: false, why: `Perl's Gearman::Client/Gearman::Worker are missing (package libgearman-client-perl): ${r.why}` };
    const [client, worker, perlv] = r.out.split(' ');
    return { ok: true, version: `Gearman::Client ${client}, Gearman::Worker ${worker} (perl ${perlv})` };
  },
  cli() {
    const r = run('sh', ['-c', 'command -v gearman && command -v stdbuf']);
    if (!r.ok) return { ok: false, why: 'the `gearman` command-line tool (package gearman-tools) or `stdbuf` (coreutils) is missing' };
    const help = spawnSync('gearman', ['-H'], { encoding: 'utf8' });
    if (!/Worker mode/.test(`${help.stdout}${help.stderr}`)) return { ok: false, why: '`gearman -H` does not look like gearman-tools\' gearman' };
    return { ok: true, version: `gearman-tools ${debVersion('gearman-tools') || '(version unknown: not a Debian package)'}` };
  },
};

const detected = {};
/** {ok, version} or {ok: false, why}; computed once per process. */
function detect(name) {
  if (!detected[name]) detected[name] = DETECT[name]();
  return detected[name];
}

const announced = new Set();
/**
 * For a `before` hook: returns the peer's version when it is installed. When it is not: in CI
 * (CI=true) throws (the suite fails); elsewhere logs the reason once and skips the suite.
 */
function requirePeer(ctx, name) {
  const d = detect(name);
  if (d.ok) {
    if (!announced.has(name)) {
      announced.add(name);
      if (process.env.INTEROP_QUIET !== '1') console.log(`  [interop] ${name}: ${d.version}`);
    }
    return d.version;
  }
  if (IN_CI) {
    throw new Error(`interop peer "${name}" is not available and CI=true, where no peer may be skipped: ${d.why}. ` +
      'Install it (.ci/run installs the Debian packages gearman-tools php-cli php-gearman libgearman-client-perl).');
  }
  if (!announced.has(name)) {
    announced.add(name);
    console.log(`  [interop] SKIPPING the ${name} interoperability tests: ${d.why}`);
  }
  ctx.skip();
  return null;
}

// ---------------------------------------------------------------------------------------------
// Peer processes

const live = new Set();

/**
 * A child process we started, in its own process group (so that a shell script's children go with
 * it), with its stdout split into lines.
 */
class PeerProcess {
  constructor(cmd, args, { cwd, env, label, temporary = false } = {}) {
    this.label = label || path.basename(args[0] || cmd);
    /** Started for one test: killTemporary() (in afterEach) kills it. */
    this.temporary = temporary;
    this.proc = spawn(cmd, args, {
      cwd: cwd || PEERS_DIR,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.pid = this.proc.pid;
    this.lines = [];
    this.stderr = '';
    this.exited = null;
    this._partial = [];
    this._waiters = new Set();
    live.add(this);
    this.proc.stdout.on('data', (chunk) => this._onStdout(chunk));
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (s) => {
      if (this.stderr.length < 20000) this.stderr += s;
    });
    this.proc.stdin.on('error', () => {}); // EPIPE once the peer is gone: seen through `exited`
    this.proc.on('error', (err) => {
      this.exited = { code: null, signal: null, error: err };
      this._wake();
    });
    // 'close': the process has exited and its stdout is drained (a last line without a newline
    // is kept as a line).
    this.proc.on('close', (code, signal) => {
      if (this._partial.length) this.lines.push(Buffer.concat(this._partial).toString('latin1'));
      this._partial = [];
      this.exited = { code, signal };
      live.delete(this);
      this._wake();
    });
  }

  _onStdout(chunk) {
    let start = 0;
    let nl;
    while ((nl = chunk.indexOf(10, start)) !== -1) {
      this._partial.push(chunk.subarray(start, nl));
      this.lines.push(Buffer.concat(this._partial).toString('latin1'));
      this._partial = [];
      start = nl + 1;
    }
    if (start < chunk.length) this._partial.push(chunk.subarray(start));
    this._wake();
  }

  _wake() {
    for (const w of [...this._waiters]) w();
  }

  /** Writes one line (fields joined with TAB) to the peer's stdin. */
  send(...fields) {
    this.proc.stdin.write(`${fields.join('\t')}\n`);
  }

  /**
   * Resolves with the first line from index `from` on for which `predicate(line)` is true (and its
   * index); rejects when the peer exits first or after `timeout` ms (a safety net: the test's own
   * timeout is usually shorter).
   */
  waitLine(predicate, { from = 0, timeout = 120000 } = {}) {
    return new Promise((resolve, reject) => {
      let timer = null;
      const check = () => {
        for (let i = from; i < this.lines.length; i++) {
          if (predicate(this.lines[i])) {
            done();
            resolve({ line: this.lines[i], index: i });
            return;
          }
        }
        if (this.exited) {
          done();
          reject(new Error(`${this.describe()} ended (${JSON.stringify(this.exited)}) before the expected line`));
        }
      };
      const done = () => {
        clearTimeout(timer);
        this._waiters.delete(check);
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`${this.describe()}: expected line not seen within ${timeout} ms`));
      }, timeout);
      this._waiters.add(check);
      check();
    });
  }

  /**
   * Resolves once `condition()` is true (checked now and after every line); rejects when the peer
   * exits first or after `timeout` ms.
   */
  waitUntil(condition, what, timeout = 120000) {
    return new Promise((resolve, reject) => {
      let timer = null;
      const check = () => {
        if (condition()) {
          done();
          resolve();
        } else if (this.exited) {
          done();
          reject(new Error(`${this.describe()} ended (${JSON.stringify(this.exited)}) before ${what}`));
        }
      };
      const done = () => {
        clearTimeout(timer);
        this._waiters.delete(check);
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`${this.describe()}: not ${what} within ${timeout} ms`));
      }, timeout);
      this._waiters.add(check);
      check();
    });
  }

  /** Resolves when the process has exited. */
  waitExit(timeout = 120000) {
    return new Promise((resolve, reject) => {
      let timer = null;
      const check = () => {
        if (!this.exited) return;
        clearTimeout(timer);
        this._waiters.delete(check);
        resolve(this.exited);
      };
      timer = setTimeout(() => {
        this._waiters.delete(check);
        reject(new Error(`${this.describe()} did not exit within ${timeout} ms`));
      }, timeout);
      this._waiters.add(check);
      check();
    });
  }

  describe() {
    const err = this.stderr.trim();
    return `peer ${this.label} (pid ${this.pid})${err ? `, stderr: ${err.slice(0, 2000)}` : ''}`;
  }

  /** SIGKILLs the process group and waits for the exit. */
  async kill() {
    if (!this.exited) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch (err) {
        if (err.code !== 'ESRCH') throw err;
      }
      await this.waitExit(10000);
    }
    live.delete(this);
  }
}

/** Kills every peer process still running (for `after` hooks). */
async function killAll() {
  await Promise.all([...live].map((p) => p.kill()));
}

/** Kills the peer processes started with `temporary: true` (for `afterEach` hooks). */
async function killTemporary() {
  await Promise.all([...live].filter((p) => p.temporary).map((p) => p.kill()));
}

// Last resort if the test process ends without its hooks (e.g. mocha --exit after a timeout).
process.on('exit', () => {
  for (const p of live) {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function peerScript(...parts) {
  return path.join(PEERS_DIR, ...parts);
}

// ---------------------------------------------------------------------------------------------
// Server

/** Starts a gearmand of our own for one test file (>= 4740; stop it in `after`). */
function startServer() {
  return gearmand.start();
}

/** Parses the admin `status` reply: {function: {total, running, workers}}. */
async function serverStatus(server) {
  const text = await server.admin('status');
  const out = {};
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f.length >= 4) out[f[0]] = { total: Number(f[1]), running: Number(f[2]), workers: Number(f[3]) };
  }
  return out;
}

/** Polls the server until `predicate(status of fn)` holds (status may be undefined). */
async function waitStatus(server, fn, predicate, what, timeout = 30000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = (await serverStatus(server))[fn];
    if (predicate(last)) return last;
    if (Date.now() > deadline) throw new Error(`gearmand: ${what} for ${fn} not reached within ${timeout} ms (last: ${JSON.stringify(last)})`);
    await gearmand.sleep(15);
  }
}

/** Waits until `n` workers have registered `fn`. */
function waitWorkers(server, fn, n = 1) {
  return waitStatus(server, fn, (s) => s !== undefined && s.workers >= n, `${n} worker(s)`);
}

/** Waits until `n` jobs of `fn` are queued (waiting or running). */
function waitQueued(server, fn, n) {
  return waitStatus(server, fn, (s) => s !== undefined && s.total >= n, `${n} queued job(s)`);
}

// ---------------------------------------------------------------------------------------------
// Names, files, payloads

/** A function name no other test (nor another run on the same server) uses. */
function fnName(tag) {
  return `ix-${tag}-${crypto.randomBytes(5).toString('hex')}`;
}

/** A fresh directory under test/.tmp (git-ignored); remove it with rmTmpDir. */
function tmpDir(tag) {
  fs.mkdirSync(TMP_ROOT, { recursive: true });
  return fs.mkdtempSync(path.join(TMP_ROOT, `interop-${tag}-`));
}

function rmTmpDir(dir) {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Deterministic pseudo-random bytes (xorshift32): every byte value, NULs included, appears. */
function pseudoRandom(size, seed) {
  const buf = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  for (; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
  return buf;
}

const UTF8_TEXT = 'Příliš žluťoučký kůň úpěl ďábelské ódy · Größe · ÆØÅ çà · Ελληνικά · 日本語 · 🚀';

/** The small payloads every peer carries: text, UTF-8 with diacritics, all 256 byte values, empty. */
function smallPayloads() {
  return [
    { label: 'text', data: Buffer.from('hello from the gearmanode interop suite', 'utf8') },
    { label: 'utf8', data: Buffer.from(UTF8_TEXT, 'utf8') },
    { label: 'bytes256', data: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
    { label: 'empty', data: Buffer.alloc(0) },
  ];
}

/**
 * Every size from 65,480 to 65,535 bytes (around 64 KiB, where gearmanode once lost jobs), plus
 * 65,536 and 65,537, binary (NULs included).
 */
function sizes64k() {
  const out = [];
  for (let n = 65480; n <= 65537; n++) out.push({ label: `${n}B`, data: pseudoRandom(n, n) });
  return out;
}

/** 1 MiB and 16 MiB, binary. */
function bigPayloads() {
  return [
    { label: '1MiB', data: pseudoRandom(1 << 20, 11) },
    { label: '16MiB', data: pseudoRandom(16 << 20, 17) },
  ];
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const hex = (buf) => Buffer.from(buf).toString('hex');

/** A short description of a Buffer for assertion messages. */
function brief(buf) {
  if (buf === undefined) return 'undefined';
  if (!Buffer.isBuffer(buf)) return JSON.stringify(buf);
  return buf.length <= 48 ? `<${buf.length} B ${buf.toString('hex')}>` : `<${buf.length} B sha256 ${sha256(buf).slice(0, 16)}…>`;
}

/** Asserts that `actual` (a Buffer) has exactly the bytes of `expected`, with a readable message. */
function assertBytes(actual, expected, what) {
  if (!Buffer.isBuffer(actual) || !actual.equals(expected)) {
    let at = '';
    if (Buffer.isBuffer(actual)) {
      let i = 0;
      while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
      at = ` (first difference at byte ${i})`;
    }
    throw new Error(`${what}: expected ${brief(expected)}, got ${brief(actual)}${at}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Peer worker log lines:  job <TAB> role <TAB> function <TAB> handle <TAB> hex(unique) <TAB> length <TAB> sha256

function parseJobLine(line) {
  const f = line.split('\t');
  if (f[0] !== 'job') return null;
  // Lines are kept as latin1 (one char per byte); the function name is UTF-8.
  return { role: f[1], fn: Buffer.from(f[2], 'latin1').toString('utf8'), handle: f[3], unique: Buffer.from(f[4], 'hex').toString('utf8'), length: Number(f[5]), sha256: f[6] };
}

/** The jobs a peer worker has logged so far for `fn`. */
function jobsSeen(peer, fn) {
  return peer.lines.map(parseJobLine).filter((j) => j && j.fn === fn);
}

/** Waits until the peer worker has logged `n` jobs of `fn`; returns them. */
async function waitJobsSeen(peer, fn, n) {
  await peer.waitUntil(() => jobsSeen(peer, fn).length >= n, `${n} job(s) of ${fn} logged`);
  return jobsSeen(peer, fn).slice(0, n);
}

// ---------------------------------------------------------------------------------------------
// Peer client events:  ev <TAB> id <TAB> type <TAB> args...

/** Events of a peer client since line `from`, grouped by job id: {id: [{type, args}]}. */
function clientEvents(peer, from = 0) {
  const out = {};
  for (let i = from; i < peer.lines.length; i++) {
    const f = peer.lines[i].split('\t');
    if (f[0] !== 'ev') continue;
    (out[f[1]] = out[f[1]] || []).push({ type: f[2], args: f.slice(3) });
  }
  return out;
}

/** Event list in a comparable form: data/warning/complete/exception payloads as Buffers. */
function decodeEvents(events) {
  return (events || []).map((e) => {
    switch (e.type) {
      case 'data':
      case 'warning':
      case 'complete':
      case 'exception':
        return [e.type, Buffer.from(e.args[0] || '', 'hex')];
      case 'status':
        return ['status', e.args[0], e.args[1]];
      case 'created':
        return ['created'];
      default:
        return [e.type, ...e.args];
    }
  });
}

/** Renders decoded events for assertion messages. */
function showEvents(events) {
  return JSON.stringify(events.map((e) => e.map((x) => (Buffer.isBuffer(x) ? brief(x) : x))));
}

/** Asserts a decoded event list against an expected one (Buffers compared byte for byte). */
function assertEvents(actual, expected, what) {
  const same =
    actual.length === expected.length &&
    actual.every((e, i) =>
      e.length === expected[i].length &&
      e.every((x, k) => (Buffer.isBuffer(x) ? Buffer.isBuffer(expected[i][k]) && x.equals(expected[i][k]) : x === expected[i][k])));
  if (!same) throw new Error(`${what}:\n  expected ${showEvents(expected)}\n  got      ${showEvents(actual)}`);
}

/**
 * Drives a peer client (PHP or Perl; see peers/*\/client.*): queues `jobs` ({id, fn, mode: 'fg'|'bg',
 * priority, unique (string|undefined), payload (Buffer)}), runs them, and resolves with the events
 * per id once the peer printed `ran`.
 */
async function runPeerClient(peer, jobs) {
  const from = peer.lines.length;
  for (const j of jobs) {
    peer.send('job', j.id, j.fn, j.mode || 'fg', j.priority || 'NORMAL',
      j.unique === undefined ? '-' : hex(Buffer.from(j.unique, 'utf8')), hex(j.payload));
  }
  peer.send('run');
  const { line } = await peer.waitLine((l) => l.startsWith('ran\t'), { from });
  if (line !== 'ran\tok') throw new Error(`${peer.describe()}: ${line}`);
  return clientEvents(peer, from);
}

/** Asks a peer client for a background job's status: {known, running, num, den}. */
async function peerStatus(peer, handle) {
  const from = peer.lines.length;
  peer.send('status', handle);
  const { line } = await peer.waitLine((l) => l.startsWith(`status\t${handle}\t`), { from });
  const f = line.split('\t');
  if (f[2] === 'error') throw new Error(`${peer.describe()}: status of ${handle} failed`);
  return { known: f[2] === '1', running: f[3] === '1', num: f[4], den: f[5] };
}

/** Polls peerStatus until `predicate(status)` holds; returns that status. */
async function waitPeerStatus(peer, handle, predicate, what) {
  let last;
  for (let i = 0; i < 2000; i++) {
    last = await peerStatus(peer, handle);
    if (predicate(last)) return last;
    await gearmand.sleep(15);
  }
  throw new Error(`status of ${handle} never became ${what} (last: ${JSON.stringify(last)})`);
}

// ---------------------------------------------------------------------------------------------
// Our side

let gearmanode = null;
function lib() {
  if (!gearmanode) gearmanode = require('../../..');
  return gearmanode;
}

/** Our Client on `server` (throws instead of returning an Error). */
function ourClient(server, { exceptions = false } = {}) {
  const c = lib().client({ servers: [server.server] });
  if (c instanceof Error) throw c;
  c.on('error', (err) => {
    c.lastError = err;
  });
  if (exceptions) {
    const js = c.jobServers[0];
    c.optionAccepted = new Promise((resolve, reject) => {
      js.once('option', resolve);
      js.once('jobServerError', (code, msg) => reject(new Error(`OPTION_REQ exceptions refused: ${code} ${msg}`)));
    });
    const r = js.setOption('exceptions');
    if (r instanceof Error) throw r;
  }
  return c;
}

/** Our Worker on `server`. */
function ourWorker(server, options = {}) {
  const w = lib().worker({ servers: [server.server], ...options });
  if (w instanceof Error) throw w;
  w.on('error', (err) => {
    w.lastError = err;
  });
  return w;
}

/**
 * Submits a job with our client and records its events in order. Resolves, for a foreground job,
 * on complete/failed/exception, for a background job on created: {job, events, response}.
 * Rejects on the job's `error`. `hooks.created(job)` is called on `created`.
 */
function submit(client, fn, payload, options = {}, hooks = {}) {
  return new Promise((resolve, reject) => {
    const events = [];
    const job = client.submitJob(fn, payload, options);
    if (job instanceof Error) {
      reject(job);
      return;
    }
    const end = () => resolve({ job, events, response: job.response });
    job.on('created', () => {
      events.push(['created']);
      if (hooks.created) hooks.created(job);
      if (options.background) end();
    });
    job.on('workData', (d) => events.push(['data', d]));
    job.on('warning', (d) => events.push(['warning', d]));
    job.on('status', (s) => events.push(['status', s.percent_done_num, s.percent_done_den]));
    job.on('complete', () => {
      events.push(['complete', job.response]);
      end();
    });
    job.on('failed', () => {
      events.push(['fail']);
      end();
    });
    job.on('exception', (d) => {
      events.push(['exception', d]);
      end();
    });
    job.on('error', (err) => reject(err));
  });
}

/** getStatus() of our background job as a promise: {known, running, num, den}. */
function ourStatus(job) {
  return new Promise((resolve, reject) => {
    job.once('status', (s) => resolve({ known: s.known, running: s.running, num: s.percent_done_num, den: s.percent_done_den }));
    const r = job.getStatus();
    if (r instanceof Error) reject(r);
  });
}

/** Polls our getStatus() until `predicate(status)` holds. */
async function waitOurStatus(job, predicate, what) {
  let last;
  for (let i = 0; i < 2000; i++) {
    last = await ourStatus(job);
    if (predicate(last)) return last;
    await gearmand.sleep(15);
  }
  throw new Error(`status of ${job.handle} never became ${what} (last: ${JSON.stringify(last)})`);
}

/**
 * The priority scenario's jobs, submitted in the order LOW, NORMAL, HIGH (the reverse of the order
 * a worker must get them in), each priority once in the background and once in the foreground.
 */
const PRIORITY_JOBS = [
  { label: 'bg-LOW', mode: 'bg', priority: 'LOW' },
  { label: 'fg-LOW', mode: 'fg', priority: 'LOW' },
  { label: 'bg-NORMAL', mode: 'bg', priority: 'NORMAL' },
  { label: 'fg-NORMAL', mode: 'fg', priority: 'NORMAL' },
  { label: 'bg-HIGH', mode: 'bg', priority: 'HIGH' },
  { label: 'fg-HIGH', mode: 'fg', priority: 'HIGH' },
];

/**
 * Checks the order in which a worker got the priority jobs (labels): every HIGH job before every
 * NORMAL one, every NORMAL before every LOW, and all six exactly once.
 */
function assertPriorityOrder(labels, what) {
  const rank = { HIGH: 0, NORMAL: 1, LOW: 2 };
  const ranks = labels.map((l) => rank[l.split('-')[1]]);
  const sortedOk = ranks.every((r, i) => i === 0 || ranks[i - 1] <= r);
  const complete = [...labels].sort().join() === PRIORITY_JOBS.map((j) => j.label).sort().join();
  if (!sortedOk || !complete) {
    throw new Error(`${what}: the worker got the jobs in the order ${labels.join(', ')}; expected both HIGH jobs, ` +
      'then both NORMAL, then both LOW (submitted LOW first)');
  }
}

/**
 * Checks that the jobs were submitted in the order of PRIORITY_JOBS (LOW first), from the handles
 * gearmand gave them (H:host:N, N counting up): otherwise a priority test could pass without
 * priorities (first come, first served would give the same order).
 */
function assertSubmittedInOrder(handles, what) {
  const seq = handles.map((h) => {
    const m = /(\d+)$/.exec(h || '');
    if (!m) throw new Error(`${what}: unexpected job handle ${JSON.stringify(h)}`);
    return Number(m[1]);
  });
  if (!seq.every((n, i) => i === 0 || seq[i - 1] < n)) {
    throw new Error(`${what}: the jobs were not submitted LOW first (handles ${handles.join(', ')} for ${PRIORITY_JOBS.map((j) => j.label).join(', ')})`);
  }
}

module.exports = {
  IN_CI,
  PEERS_DIR,
  detect,
  requirePeer,
  PeerProcess,
  killAll,
  killTemporary,
  peerScript,
  startServer,
  serverStatus,
  waitWorkers,
  waitQueued,
  fnName,
  tmpDir,
  rmTmpDir,
  pseudoRandom,
  UTF8_TEXT,
  smallPayloads,
  sizes64k,
  bigPayloads,
  sha256,
  hex,
  brief,
  assertBytes,
  parseJobLine,
  jobsSeen,
  waitJobsSeen,
  clientEvents,
  decodeEvents,
  showEvents,
  assertEvents,
  runPeerClient,
  peerStatus,
  waitPeerStatus,
  ourClient,
  ourWorker,
  submit,
  ourStatus,
  waitOurStatus,
  PRIORITY_JOBS,
  assertPriorityOrder,
  assertSubmittedInOrder,
  sleep: gearmand.sleep,
};
