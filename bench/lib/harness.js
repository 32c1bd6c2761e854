'use strict';
/**
 * What bench/run.js and bench/profile.js share: the child processes (a worker and a client of one
 * implementation, speaking the line protocol of bench/lib/client.js and bench/c/client.c), the
 * libgearman build, and one client+worker measurement with hooks around its measured part.
 */
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const { spawn, spawnSync } = require('child_process');
const gearmand = require('../../test/support/gearmand');

const ROOT = path.join(__dirname, '..', '..');
const BENCH = path.join(__dirname, '..');
const OUT = path.join(BENCH, 'out');

// Child processes speaking the line protocol of bench/lib/client.js and bench/c/*.c

class Proc {
  constructor(cmd, args, label, options = {}) {
    this.label = label;
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT, env: options.env || process.env });
    this.pid = this.child.pid;
    this.lines = [];
    this.waiters = [];
    this.stderr = '';
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, sig) => {
        this.exit = { code, sig };
        resolve(this.exit);
        for (const w of this.waiters.splice(0)) w.reject(new Error(`${label} exited (${sig || code}) ${this.tail()}`));
      });
      this.child.on('error', (err) => {
        this.exit = { code: -1, err };
        resolve(this.exit);
        for (const w of this.waiters.splice(0)) w.reject(err);
      });
    });
    this.child.stdin.on('error', () => {});
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiters.find((x) => line.startsWith(x.tag));
      if (w) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(parseTagged(line, w.tag));
      } else this.lines.push(line);
      if (line.startsWith('ERROR')) for (const x of this.waiters.splice(0)) x.reject(new Error(`${label}: ${line}`));
    });
  }

  tail() {
    const t = this.stderr.trim();
    return t ? `\n  stderr: ${t.split('\n').slice(-6).join('\n  ')}` : '';
  }

  /** Resolves with the JSON after the next stdout line starting with `tag`. */
  wait(tag, timeout) {
    const i = this.lines.findIndex((l) => l.startsWith(tag));
    if (i !== -1) return Promise.resolve(parseTagged(this.lines.splice(i, 1)[0], tag));
    if (this.exit) return Promise.reject(new Error(`${this.label} exited (${this.exit.sig || this.exit.code}) ${this.tail()}`));
    return new Promise((resolve, reject) => {
      const w = { tag, resolve, reject };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        const err = new Error(`${this.label}: no ${tag} within ${Math.round(timeout / 1000)} s`);
        err.timeout = true;
        reject(err);
      }, timeout);
      this.waiters.push(w);
    });
  }

  send(line) {
    if (!this.exit) this.child.stdin.write(`${line}\n`);
  }

  /** Ends stdin, waits up to `grace` ms, then SIGKILL. */
  async stop(grace = 3000) {
    if (this.exit) return this.exit;
    this.child.stdin.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), grace);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }

  kill() {
    if (!this.exit) this.child.kill('SIGKILL');
    return this.exited;
  }
}

function parseTagged(line, tag) {
  const rest = line.slice(tag.length).trim();
  if (!rest) return {};
  return JSON.parse(rest);
}

// ---------------------------------------------------------------------------------------------
// libgearman programs

const C_DIR = path.join(BENCH, 'c');
const C_CLIENT = path.join(OUT, 'gm-client');
const C_WORKER = path.join(OUT, 'gm-worker');
const C_PINGPONG = path.join(OUT, 'gm-pingpong');

/** Loopback round trip between two processes ({median_us, p99_us}), or null without the C build. */
function pingpong(rounds = 2000) {
  if (!fs.existsSync(C_PINGPONG)) return null;
  const r = spawnSync(C_PINGPONG, [String(rounds)], { encoding: 'utf8', timeout: 30000 });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return null;
  }
}

/** Compiles bench/c/*.c into bench/out/ when needed; returns null or the reason why not. */
function buildC() {
  const cc = process.env.CC || 'cc';
  const which = spawnSync('sh', ['-c', `command -v ${cc}`], { encoding: 'utf8' });
  if (which.status !== 0) return `no C compiler (${cc})`;
  const probe = spawnSync(cc, ['-E', '-x', 'c', '-'], { input: '#include <libgearman/gearman.h>\n', encoding: 'utf8' });
  if (probe.status !== 0) return 'no libgearman header: apt-get install libgearman-dev';
  fs.mkdirSync(OUT, { recursive: true });
  const targets = [
    [C_CLIENT, path.join(C_DIR, 'client.c'), []],
    [C_WORKER, path.join(C_DIR, 'worker.c'), ['-pthread']],
    [C_PINGPONG, path.join(C_DIR, 'pingpong.c'), [], true],
  ];
  for (const [bin, src, extra, plain] of targets) {
    const fresh = fs.existsSync(bin) && fs.statSync(bin).mtimeMs > fs.statSync(src).mtimeMs;
    if (fresh) continue;
    const r = spawnSync(cc, ['-O2', '-g', '-Wall', ...extra, '-o', bin, src, ...(plain ? [] : ['-lgearman'])], { encoding: 'utf8' });
    if (r.status !== 0) return `C build failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// One measurement

/** `[cmd, args]` run under `wrap` (a command prefix such as `['valgrind', ...]`) when given. */
function wrapped(command, wrap) {
  return wrap && wrap.length ? [wrap[0], [...wrap.slice(1), command[0], ...command[1]]] : command;
}

/**
 * Mixed pairs: our client with libgearman's worker, or libgearman's client with our worker. They
 * tell which side of a scenario sets its pace (bench/PROFILE.md, "Fourth round").
 */
const PAIRS = {
  'ours-client': { client: 'ours', worker: 'c' },
  'ours-worker': { client: 'c', worker: 'ours' },
};

/** The implementations of the client and of the worker of a measurement of `impl`. */
function sides(impl) {
  return PAIRS[impl] || { client: impl, worker: impl };
}

function workerCommand(impl, server, fn, nodeFlags = [], wrap = null) {
  if (impl === 'c') return wrapped([C_WORKER, [server.host, String(server.port), fn]], wrap);
  return wrapped([process.execPath, [...nodeFlags, path.join(__dirname, 'worker.js'), JSON.stringify({ impl, host: server.host, port: server.port, fn })]], wrap);
}

function clientCommand(impl, server, fn, p, nodeFlags = [], wrap = null) {
  if (impl === 'c') {
    const args = [p.mode, server.host, String(server.port), fn, String(p.n || 0), String(p.inflight || 0), String(p.size), String(p.warmup || 0)];
    if (p.sizes) args.push(p.sizes.map(([s, r]) => `${s}x${r}`).join(','));
    return wrapped([C_CLIENT, args], wrap);
  }
  const cfg = { impl, mode: p.mode, host: server.host, port: server.port, fn, n: p.n, warmup: p.warmup, inflight: p.inflight, size: p.size, sizes: p.sizes };
  return wrapped([process.execPath, ['--expose-gc', ...nodeFlags, path.join(__dirname, 'client.js'), JSON.stringify(cfg)]], wrap);
}

/**
 * CPU seconds that every thread of process `pid` has used so far (per-thread schedstat, ns), or null
 * when the process is gone. For gearmand, whose threads live as long as it does.
 */
function processCpuSeconds(pid) {
  let tids;
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e9;
}

/** Waits until gearmand's `status` shows at least one worker for `fn`. */
async function waitRegistered(server, fn, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const status = await server.admin('status');
    const line = status.split('\n').find((l) => l.split('\t')[0] === fn);
    if (line && Number(line.split('\t')[3]) >= 1) return;
    if (Date.now() > deadline) throw new Error(`worker for ${fn} not registered within ${timeout} ms`);
    await gearmand.sleep(20);
  }
}


/**
 * One measurement: starts a worker (when `withWorker`) and a client of `impl` for function `fn`,
 * lets the client warm up, then measures. Resolves with { raw (the client's RESULT), worker_cpu_s,
 * worker_jobs, gearmand_cpu_s (every thread of `server`'s process over the measured part) }.
 * Options: `timeout` (ms per phase), `nodeFlags` {client, worker} (extra node flags, e.g.
 * --cpu-prof), `wrap` {client, worker} (command prefixes, e.g. valgrind), `env`, `hooks`
 * {beforeGo({client, worker}), afterDone({client, worker})} awaited around the measured part (for
 * profilers that attach to the pids).
 */
async function runPair({ impl, server, fn, p, withWorker, timeout, nodeFlags = {}, wrap = {}, env, hooks = {} }) {
  let worker = null;
  let client = null;
  try {
    const side = sides(impl);
    if (withWorker) {
      const [cmd, args] = workerCommand(side.worker, server, fn, nodeFlags.worker, wrap.worker);
      worker = new Proc(cmd, args, `${side.worker} worker`, { env });
      await worker.wait('READY', wrap.worker ? timeout : 15000);
      await waitRegistered(server, fn, wrap.worker ? timeout : 15000);
    }
    const [cmd, args] = clientCommand(side.client, server, fn, p, nodeFlags.client, wrap.client);
    client = new Proc(cmd, args, `${side.client} client`, { env });
    await client.wait('WARM', timeout);
    if (hooks.beforeGo) await hooks.beforeGo({ client, worker });
    let w0 = null;
    if (worker) {
      worker.send('cpu');
      w0 = await worker.wait('CPU', 10000);
    }
    const g0 = server.pid ? processCpuSeconds(server.pid) : null;
    client.send('GO');
    await client.wait('DONE', timeout);
    const g1 = server.pid ? processCpuSeconds(server.pid) : null;
    let w1 = null;
    if (worker) {
      worker.send('cpu');
      w1 = await worker.wait('CPU', 10000);
    }
    if (hooks.afterDone) await hooks.afterDone({ client, worker });
    const raw = await client.wait('RESULT', 60000);
    const out = { raw };
    if (g0 !== null && g1 !== null) out.gearmand_cpu_s = g1 - g0;
    if (w0 && w1) {
      out.worker_cpu_s = w1.user + w1.system - (w0.user + w0.system);
      out.worker_jobs = w1.jobs - w0.jobs;
    }
    return out;
  } finally {
    if (client) {
      await Promise.race([client.exited, gearmand.sleep(5000)]);
      await client.kill();
    }
    if (worker) await worker.stop();
  }
}

module.exports = { Proc, PAIRS, sides, buildC, pingpong, processCpuSeconds, workerCommand, clientCommand, waitRegistered, runPair, ROOT, OUT, C_CLIENT, C_WORKER };
