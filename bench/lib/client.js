'use strict';
/**
 * Benchmark client process for the JavaScript implementations (bench/run.js starts it).
 *
 *   node bench/lib/client.js '{"impl":"ours","mode":"seq","host":"127.0.0.1","port":4740,"fn":"f",
 *                              "n":5000,"warmup":200,"inflight":200,"size":100,"sizes":[[1048576,3]]}'
 *
 * Protocol with the orchestrator (stdout lines / stdin lines):
 *   WARM            warm-up done (connected, JIT warm); waits for "GO" on stdin
 *   DONE {json}     the measured part is over (printed at once, before any cleanup)
 *   RESULT {json}   figures, then exit 0;  ERROR {json} and exit 1 on failure
 * Modes: seq (S1), window (S2), bg (S3), big (S4), burst (S5); see bench/c/client.c for the same in C.
 */
const fs = require('fs');
const readline = require('readline');
const { load } = require('./impls');

const cfg = JSON.parse(process.argv[2]);
const { gm, info } = load(cfg.impl);

function out(tag, obj) {
  process.stdout.write(`${tag} ${JSON.stringify(obj)}\n`);
}
function fail(err) {
  out('ERROR', { message: String(err && err.stack ? err.stack : err) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 50);
}
process.on('uncaughtException', fail);

const client = gm.client({ servers: [{ host: cfg.host, port: cfg.port }] });
if (client instanceof Error) fail(client);
client.on('error', fail);

const payload = Buffer.alloc(cfg.size || 100, 'x');
const now = () => process.hrtime.bigint();
const cpu = (prev) => process.cpuUsage(prev);

function statusKb(key) {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : null;
}
function resetPeakRss() {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** One foreground job; resolves with the response length. */
function submit(buf) {
  return new Promise((resolve, reject) => {
    const job = client.submitJob(cfg.fn, buf);
    if (job instanceof Error) return reject(job);
    job.on('complete', () => resolve(job.response ? job.response.length : -1));
    job.on('failed', () => reject(new Error('job failed')));
    job.on('exception', (e) => reject(new Error(`job exception ${e}`)));
    job.on('error', reject);
    return undefined;
  });
}

/** `count` jobs one at a time, each started from the previous one's `complete`. */
function seq(count, lat) {
  return new Promise((resolve, reject) => {
    let i = 0;
    let bad = 0;
    let t0;
    const next = () => {
      if (i === count) return resolve(bad);
      i++;
      t0 = now();
      const job = client.submitJob(cfg.fn, payload);
      if (job instanceof Error) return reject(job);
      job.on('complete', () => {
        if (lat) lat.push(Number(now() - t0));
        if (!job.response || job.response.length !== payload.length) bad++;
        next();
      });
      job.on('failed', () => reject(new Error('job failed')));
      job.on('error', reject);
      return undefined;
    };
    next();
  });
}

// BENCH_CLIENT_SPIN_US=N: an experiment, not a measurement (bench/PROFILE.md, fourth round): the
// JavaScript client busies its JS thread for N µs at each completion of `window` (S2, S5), as a
// client with work to do per answer would. Whether a scenario then runs faster tells whether it is
// bound by work or by thread wakeups.
const SPIN_NS = BigInt(Math.round(Number(process.env.BENCH_CLIENT_SPIN_US || 0) * 1000));
function spin() {
  const until = now() + SPIN_NS;
  while (now() < until);
}

/** `count` foreground jobs, `inflight` outstanding (all at once when inflight >= count). */
function window(count, inflight) {
  return new Promise((resolve, reject) => {
    let submitted = 0;
    let done = 0;
    let bad = 0;
    if (count === 0) return resolve(0);
    const one = () => {
      submitted++;
      const job = client.submitJob(cfg.fn, payload);
      if (job instanceof Error) return reject(job);
      job.on('complete', () => {
        if (SPIN_NS > 0n) spin();
        if (!job.response || job.response.length !== payload.length) bad++;
        done++;
        if (done === count) resolve(bad);
        else if (submitted < count) one();
      });
      job.on('failed', () => reject(new Error('job failed')));
      job.on('error', reject);
      return undefined;
    };
    const first = Math.min(inflight, count);
    for (let k = 0; k < first; k++) one();
    return undefined;
  });
}

/** `count` background submits, all at once; resolves when every `created` arrived. */
function background(count) {
  return new Promise((resolve, reject) => {
    let created = 0;
    if (count === 0) return resolve(0);
    for (let k = 0; k < count; k++) {
      const job = client.submitJob(cfg.fn, payload, { background: true });
      if (job instanceof Error) return reject(job);
      job.on('created', () => {
        created++;
        if (created === count) resolve(created);
      });
      job.on('error', reject);
    }
    return undefined;
  });
}

function waitGo() {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (line.trim() === 'GO') {
        rl.close();
        process.stdin.pause();
        resolve();
      }
    });
  });
}

async function main() {
  const mode = cfg.mode;
  const warmup = cfg.warmup || 0;
  // Warm-up in the same mode (connects, warms the JIT), outside the measurement.
  if (mode === 'seq' || mode === 'big') await seq(Math.max(1, mode === 'big' ? 1 : warmup));
  else if (mode === 'window') await window(warmup, cfg.inflight);
  else if (mode === 'burst') await window(warmup, warmup);
  else if (mode === 'bg') await background(Math.max(1, warmup));
  out('WARM', {});
  await waitGo();

  const r = { impl: cfg.impl, mode, info };
  if (mode === 'big') {
    r.sizes = [];
    for (const [size, reps] of cfg.sizes) {
      const buf = Buffer.alloc(size, 'x');
      const runs = [];
      for (let k = 0; k < reps; k++) {
        const c0 = cpu();
        const t0 = now();
        const len = await submit(buf);
        const t1 = now();
        const c = cpu(c0);
        runs.push({ wall_s: Number(t1 - t0) / 1e9, cpu_s: (c.user + c.system) / 1e6, ok: len === size });
      }
      r.sizes.push({ size, runs });
    }
    out('DONE', {});
  } else {
    let peakReset = false;
    let rssBefore = null;
    if (mode === 'burst') {
      if (global.gc) global.gc();
      peakReset = resetPeakRss();
      rssBefore = statusKb('VmRSS');
    }
    const lat = mode === 'seq' ? [] : null;
    const c0 = cpu();
    const t0 = now();
    let bad = 0;
    if (mode === 'seq') bad = await seq(cfg.n, lat);
    else if (mode === 'window') bad = await window(cfg.n, cfg.inflight);
    else if (mode === 'burst') bad = await window(cfg.n, cfg.n);
    else if (mode === 'bg') await background(cfg.n);
    else throw new Error(`unknown mode ${mode}`);
    const t1 = now();
    const c = cpu(c0);
    out('DONE', {});
    Object.assign(r, {
      jobs: cfg.n,
      bad,
      wall_s: Number(t1 - t0) / 1e9,
      cpu_user_s: c.user / 1e6,
      cpu_sys_s: c.system / 1e6,
    });
    if (lat) r.lat_ns = lat;
    if (mode === 'burst') {
      // VmHWM, reset just before submitting: the kernel's own peak, no sampling timer in the way.
      Object.assign(r, { peak_rss_kb: statusKb('VmHWM'), peak_reset: peakReset, rss_before_kb: rssBefore });
    }
  }
  client.close();
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`, () => process.exit(0));
}

main().catch(fail);
