#!/usr/bin/env node
'use strict';
/**
 * Side-by-side benchmarks (issue 5): this package, the original gearmanode 0.9.2, the original with
 * Nagle patched out, and libgearman (C), against one fresh gearmand, in one run.
 *
 *   node bench/run.js [--only S1,S2] [--impl ours,orig,orig-nodelay,c] [--quick] [--runs N]
 *                     [--count S2.orig=2000] [--sizes 1,8,32,128] [--timeout SECONDS] [--keep-awake]
 *                     [--pin] [--no-save]
 *   node bench/run.js --report bench/out/results-<timestamp>.json   (re-print a saved run, rewrite results.md)
 *
 * Every measurement: a fresh function name, one worker process (echo: completes with its payload)
 * and one client process of the same implementation; the figures are taken inside the client
 * process (and, for worker CPU, inside the worker process). See bench/README.md for what each
 * scenario measures and bench/PROFILE.md for where the time goes.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');
const gearmand = require('../test/support/gearmand');
const harness = require('./lib/harness');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(__dirname, 'out');
const MiB = 1024 * 1024;
const IMPLS = ['ours', 'ours-c4', 'ours-unplaced', 'ours-client', 'ours-worker', 'orig', 'orig-nodelay', 'c'];
// Measured only when named in --impl: ours with the I/O thread left where the scheduler puts it, and
// the mixed pairs (harness.PAIRS: our client with libgearman's worker, and the other way round).
const OPT_IN = ['ours-unplaced', 'ours-client', 'ours-worker'];
const IMPL_TITLE = {
  ours: 'ours',
  'ours-c4': 'ours, worker concurrency 4',
  'ours-unplaced': 'ours, I/O thread not placed',
  'ours-client': 'our client, libgearman worker',
  'ours-worker': 'libgearman client, our worker',
  orig: 'original 0.9.2',
  'orig-nodelay': 'original, no Nagle',
  c: 'libgearman (C)',
};

// ---------------------------------------------------------------------------------------------
// Scenarios. `n`/`warmup` per implementation ('*' = default). The original (with Nagle) stalls
// ~44 ms per job on delayed ACKs, so its counts are smaller; the table marks such figures.

const SCENARIOS = {
  S1: {
    title: (n) => `S1: ${n} jobs one at a time, 100 B`,
    mode: 'seq',
    worker: true,
    n: { '*': 5000, orig: 200 },
    warmup: { '*': 200, orig: 10 },
    quick: { n: { '*': 500, orig: 20 }, warmup: { '*': 50, orig: 3 } },
  },
  S2: {
    title: (n) => `S2: ${n} jobs, 200 in flight, one worker, 100 B`,
    mode: 'window',
    worker: true,
    inflight: 200,
    n: { '*': 50000, orig: 1000 },
    warmup: { '*': 1000, orig: 50 },
    quick: { n: { '*': 5000, orig: 100 }, warmup: { '*': 200, orig: 20 } },
  },
  S3: {
    title: (n) => `S3: ${n} background submits, 100 B, until every JOB_CREATED (no worker)`,
    mode: 'bg',
    worker: false,
    restartAfter: true, // the queue holds n jobs afterwards: a fresh gearmand for what follows
    n: { '*': 50000 },
    warmup: { '*': 200 },
    quick: { n: { '*': 5000 }, warmup: { '*': 50 } },
  },
  S4: {
    title: () => 'S4: echo of big payloads, one at a time',
    mode: 'big',
    worker: true,
    // [MiB, repetitions]. The original reassembles a big packet by concatenating every chunk it
    // reads (quadratic): 128 MiB takes it many minutes, so it runs up to 32 MiB unless --sizes says so.
    sizes: { '*': [[1, 3], [8, 2], [32, 1], [128, 1]], orig: [[1, 3], [8, 2], [32, 1]], 'orig-nodelay': [[1, 3], [8, 2], [32, 1]] },
    quick: { sizes: { '*': [[1, 1], [8, 1]] } },
  },
  S5: {
    title: (n) => `S5: ${n} jobs submitted at once, one worker, 100 B`,
    mode: 'burst',
    worker: true,
    n: { '*': 20000, orig: 1000 },
    warmup: { '*': 200, orig: 20 },
    quick: { n: { '*': 2000, orig: 100 }, warmup: { '*': 50, orig: 5 } },
  },
};

// Runs per figure when --runs is not given (the figure is the median): the machines are shared
// and noisy, so the quick scenarios run 3 times; the original's stall-bound figures and S4 (minutes
// for libgearman's 128 MiB) once.
const DEFAULT_RUNS = { '*': 3, orig: 1 };
const DEFAULT_RUNS_S4 = 1;

/**
 * Whether `impl` is measured in scenario `sid`: the worker-concurrency variant and the mixed pairs
 * only where a worker serves many small jobs (not S3, which has no worker, nor S4).
 */
function appliesTo(sid, impl) {
  if (!isVariant(impl)) return true;
  return SCENARIOS[sid].worker && SCENARIOS[sid].mode !== 'big';
}

/** The variants of ours that only some scenarios measure (see appliesTo). */
function isVariant(impl) {
  return impl === 'ours-c4' || harness.PAIRS[impl] !== undefined;
}

/** Whether measuring `impl` runs libgearman's client or worker. */
function usesC(impl) {
  const { client, worker } = harness.sides(impl);
  return client === 'c' || worker === 'c';
}

/** Runs of scenario `sid` for `impl`. */
function runsOf(opts, sid, impl) {
  if (opts.runs) return opts.runs;
  if (opts.quick || sid === 'S4') return DEFAULT_RUNS_S4;
  return DEFAULT_RUNS[impl] !== undefined ? DEFAULT_RUNS[impl] : DEFAULT_RUNS['*'];
}

function runsText(opts) {
  if (opts.runs) return `${opts.runs}`;
  if (opts.quick) return '1';
  return `${DEFAULT_RUNS['*']} (median; original with Nagle and S4: ${DEFAULT_RUNS.orig})`;
}

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const o = { only: Object.keys(SCENARIOS), impl: IMPLS.filter((i) => !OPT_IN.includes(i)), quick: false, runs: null, keepAwake: false, pin: false, counts: {}, sizes: null, timeout: null, save: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    const name = a.replace(/=.*$/, '');
    if (name === '--only') o.only = val().split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
    else if (name === '--impl') o.impl = val().split(',').map((s) => s.trim()).filter(Boolean);
    else if (name === '--quick') o.quick = true;
    else if (name === '--runs') o.runs = Math.max(1, parseInt(val(), 10) || 1);
    else if (name === '--sizes') o.sizes = val().split(',').map(Number);
    else if (name === '--timeout') o.timeout = Number(val()) * 1000;
    else if (name === '--no-save') o.save = false;
    else if (name === '--keep-awake') o.keepAwake = true;
    else if (name === '--pin') o.pin = true;
    else if (name === '--report') o.report = val();
    else if (name === '--count') {
      const spec = a.startsWith('--count=') ? a.slice('--count='.length) : argv[++i];
      const m = /^(S\d)\.([\w-]+|\*)=(\d+)$/.exec(spec || '');
      if (!m) throw new Error(`--count wants S<k>.<impl>=<n>, e.g. --count S2.orig=2000 (got ${spec})`);
      o.counts[`${m[1]}.${m[2]}`] = Number(m[3]);
    } else if (name === '--help' || name === '-h') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(2, 17).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  for (const s of o.only) if (!SCENARIOS[s]) throw new Error(`unknown scenario ${s}; known: ${Object.keys(SCENARIOS).join(',')}`);
  for (const i of o.impl) if (!IMPLS.includes(i)) throw new Error(`unknown implementation ${i}; known: ${IMPLS.join(',')}`);
  return o;
}

/** The effective parameters of scenario `sid` for implementation `impl`. */
function params(opts, sid, impl) {
  const sc = SCENARIOS[sid];
  const q = opts.quick && sc.quick ? sc.quick : {};
  const pick = (table) => (table ? (table[impl] !== undefined ? table[impl] : table['*']) : undefined);
  const nTable = q.n || sc.n;
  let n = pick(nTable);
  if (opts.counts[`${sid}.${impl}`] !== undefined) n = opts.counts[`${sid}.${impl}`];
  else if (opts.counts[`${sid}.*`] !== undefined) n = opts.counts[`${sid}.*`];
  const nominal = nTable ? (opts.counts[`${sid}.*`] !== undefined ? opts.counts[`${sid}.*`] : nTable['*']) : undefined;
  let sizes = pick(q.sizes || sc.sizes);
  if (sizes && opts.sizes) {
    const all = pick(sc.sizes) ? sc.sizes['*'] : [];
    sizes = opts.sizes.map((mib) => [mib, (all.find((s) => s[0] === mib) || [mib, 1])[1]]);
  }
  return {
    mode: sc.mode,
    n,
    nominal,
    warmup: pick(q.warmup || sc.warmup) || 0,
    inflight: sc.inflight || 0,
    size: 100,
    sizes: sizes ? sizes.map(([mib, reps]) => [Math.round(mib * MiB), reps]) : undefined,
  };
}

function defaultTimeout(p) {
  if (p.mode === 'big') return 20 * 60 * 1000;
  return 5 * 60 * 1000;
}

async function measure(ctx, sid, impl, run) {
  const p = params(ctx.opts, sid, impl);
  const sc = SCENARIOS[sid];
  const fn = `bench-${sid}-${impl}-r${run}-${crypto.randomBytes(4).toString('hex')}`;
  const timeout = ctx.opts.timeout || defaultTimeout(p);
  const started = Date.now();
  try {
    const r = await harness.runPair({ impl, server: ctx.server, fn, p, withWorker: sc.worker, timeout, wrap: pinned(ctx.opts) });
    const result = { scenario: sid, impl, run, fn, params: { ...p }, raw: r.raw, elapsed_s: (Date.now() - started) / 1000 };
    if (r.worker_cpu_s !== undefined) {
      result.worker_cpu_s = r.worker_cpu_s;
      result.worker_jobs = r.worker_jobs;
    }
    if (r.gearmand_cpu_s !== undefined) result.gearmand_cpu_s = r.gearmand_cpu_s;
    result.metrics = metricsOf(sid, result);
    return result;
  } catch (err) {
    return { scenario: sid, impl, run, fn, params: p, error: err.timeout ? `timeout (${err.message})` : String(err.message || err) };
  } finally {
    if (sc.restartAfter) await ctx.server.restart();
  }
}

// ---------------------------------------------------------------------------------------------
// Figures

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * CPU per job (µs) of the worker, of gearmand, and of all three processes together, for `jobs` jobs
 * (the client's is computed by the caller as `client_us`).
 */
function processFigures(out, m, jobs, clientUs) {
  const per = (s) => (s / jobs) * 1e6;
  if (m.worker_cpu_s !== undefined) out.worker_cpu_us_per_job = per(m.worker_cpu_s);
  if (m.gearmand_cpu_s !== undefined) out.gearmand_cpu_us_per_job = per(m.gearmand_cpu_s);
  if (m.gearmand_cpu_s !== undefined) {
    out.all_cpu_us_per_job = clientUs + per(m.gearmand_cpu_s) + (m.worker_cpu_s !== undefined ? per(m.worker_cpu_s) : 0);
  }
}

/** Named figures of one measurement (all numbers; units in the names). */
function metricsOf(sid, m) {
  const r = m.raw;
  const out = {};
  const bad = r.bad || 0;
  if (bad) out.bad_responses = bad;
  if (sid === 'S1') {
    const lat = r.lat_ns.slice().sort((a, b) => a - b);
    out.median_us = quantile(lat, 0.5) / 1000;
    out.p90_us = quantile(lat, 0.9) / 1000;
    out.p99_us = quantile(lat, 0.99) / 1000;
    out.max_us = lat[lat.length - 1] / 1000;
    out.mean_us = (lat.reduce((a, b) => a + b, 0) / lat.length) / 1000;
    out.client_cpu_us_per_job = ((r.cpu_user_s + r.cpu_sys_s) / r.jobs) * 1e6;
    processFigures(out, m, r.jobs, out.client_cpu_us_per_job);
    out.jobs = r.jobs;
  } else if (sid === 'S2' || sid === 'S3' || sid === 'S5') {
    out.jobs = r.jobs;
    out.jobs_per_s = r.jobs / r.wall_s;
    out.client_cpu_s = r.cpu_user_s + r.cpu_sys_s;
    out.client_cpu_us_per_job = (out.client_cpu_s / r.jobs) * 1e6;
    if (m.worker_cpu_s !== undefined) out.worker_cpu_s = m.worker_cpu_s;
    processFigures(out, m, r.jobs, out.client_cpu_us_per_job);
    if (sid === 'S5') {
      out.peak_rss_mb = r.peak_rss_kb / 1024;
      out.rss_before_mb = r.rss_before_kb / 1024;
      out.rss_growth_mb = out.peak_rss_mb - out.rss_before_mb;
      out.peak_reset = r.peak_reset;
    }
  } else if (sid === 'S4') {
    const mibs = r.sizes.reduce((a, s) => a + (s.size / MiB) * s.runs.length, 0);
    if (m.worker_cpu_s !== undefined) out.worker_cpu_ms_per_mib = (m.worker_cpu_s / mibs) * 1000;
    if (m.gearmand_cpu_s !== undefined) out.gearmand_cpu_ms_per_mib = (m.gearmand_cpu_s / mibs) * 1000;
    for (const s of r.sizes) {
      const mib = Math.round(s.size / MiB);
      const ok = s.runs.every((x) => x.ok);
      const cpu = s.runs.map((x) => x.cpu_s).sort((a, b) => a - b);
      const wall = s.runs.map((x) => x.wall_s).sort((a, b) => a - b);
      out[`cpu_s_${mib}`] = quantile(cpu, 0.5);
      out[`wall_s_${mib}`] = quantile(wall, 0.5);
      out[`cpu_ms_per_mib_${mib}`] = (quantile(cpu, 0.5) / mib) * 1000;
      if (!ok) out[`bad_${mib}`] = 1;
    }
  }
  return out;
}

/** Median of each metric over the runs that succeeded. */
function aggregate(results) {
  const ok = results.filter((r) => !r.error);
  if (!ok.length) return { error: results.map((r) => r.error).find(Boolean) || 'no result' };
  const keys = new Set(ok.flatMap((r) => Object.keys(r.metrics)));
  const agg = {};
  for (const k of keys) {
    const vals = ok.map((r) => r.metrics[k]).filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
    if (vals.length) agg[k] = vals.length % 2 ? vals[(vals.length - 1) / 2] : (vals[vals.length / 2 - 1] + vals[vals.length / 2]) / 2;
    if (vals.length > 1) agg[`${k}__range`] = [vals[0], vals[vals.length - 1]];
  }
  if (ok.length < results.length) agg.failed_runs = results.length - ok.length;
  return agg;
}

// gearmand's CPU per job (the floor it sets for every implementation), and the sum of the client's,
// the worker's and gearmand's.
const GEARMAND_ROWS = [
  ['gearmand_cpu_us_per_job', 'gearmand CPU per job (µs)', 'lower'],
  ['all_cpu_us_per_job', 'all processes: CPU per job (µs)', 'lower'],
];

// Rows of the table: [scenario, metric key, label, better ('lower'|'higher'), target check?]
function rowsFor(sid, sizes) {
  if (sid === 'S1') {
    return [
      ['median_us', 'time per job, median (µs)', 'lower', 'S1'],
      ['p99_us', 'time per job, p99 (µs)', 'lower'],
      ['client_cpu_us_per_job', 'client CPU per job (µs)', 'lower'],
      ['worker_cpu_us_per_job', 'worker CPU per job (µs)', 'lower'],
      ...GEARMAND_ROWS,
    ];
  }
  if (sid === 'S2') {
    return [
      ['jobs_per_s', 'jobs/s', 'higher', 'S2'],
      ['client_cpu_s', 'client CPU (s)', 'lower'],
      ['worker_cpu_s', 'worker CPU (s)', 'lower'],
      ['client_cpu_us_per_job', 'client CPU per job (µs)', 'lower', 'CPU2'],
      ['worker_cpu_us_per_job', 'worker CPU per job (µs)', 'lower', 'CPU2'],
      ...GEARMAND_ROWS,
    ];
  }
  if (sid === 'S3') {
    return [
      ['jobs_per_s', 'jobs/s (until every created)', 'higher', 'S3'],
      ['client_cpu_s', 'client CPU (s)', 'lower'],
      ['client_cpu_us_per_job', 'client CPU per job (µs)', 'lower'],
      ...GEARMAND_ROWS,
    ];
  }
  if (sid === 'S4') {
    const rows = [];
    for (const [bytes] of sizes) {
      const mib = Math.round(bytes / MiB);
      rows.push([`cpu_s_${mib}`, `${mib} MiB: client CPU per job (s)`, 'lower', 'S4cpu']);
      rows.push([`wall_s_${mib}`, `${mib} MiB: wall per job (s)`, 'lower']);
      rows.push([`cpu_ms_per_mib_${mib}`, `${mib} MiB: client CPU per MiB (ms)`, 'lower', mib === Math.round(sizes[sizes.length - 1][0] / MiB) && sizes.length > 1 ? 'S4lin' : undefined]);
    }
    rows.push(['worker_cpu_ms_per_mib', 'all sizes: worker CPU per MiB (ms)', 'lower']);
    rows.push(['gearmand_cpu_ms_per_mib', 'all sizes: gearmand CPU per MiB (ms)', 'lower']);
    return rows;
  }
  if (sid === 'S5') {
    return [
      ['peak_rss_mb', 'client peak RSS (MB, VmHWM)', 'lower'],
      ['rss_before_mb', 'client RSS before submitting (MB)', 'lower'],
      ['rss_growth_mb', 'client RSS growth, peak − before (MB)', 'lower', 'S5'],
      ['jobs_per_s', 'jobs/s', 'higher', 'S5rate'],
      ['client_cpu_us_per_job', 'client CPU per job (µs)', 'lower'],
      ['worker_cpu_us_per_job', 'worker CPU per job (µs)', 'lower'],
      ...GEARMAND_ROWS,
    ];
  }
  return [];
}

/** The issue-13 target of a row: {text, ok} (ok null when it cannot be judged). */
function target(kind, sid, agg, key, sizes) {
  const v = (impl) => (agg[impl] && typeof agg[impl][key] === 'number' ? agg[impl][key] : null);
  const ours = v('ours');
  if (!kind || ours === null) return kind ? { text: targetText(kind), ok: null } : null;
  const c = v('c');
  const nd = v('orig-nodelay');
  const both = (a, b) => (a === false || b === false ? false : a === null || b === null ? null : true);
  if (kind === 'S1') {
    return { text: targetText(kind), ok: both(c !== null ? ours <= 2 * c : null, nd !== null ? ours <= nd : null) };
  }
  if (kind === 'S2') {
    const c4 = v('ours-c4');
    return { text: targetText(kind), ok: both(c !== null ? ours >= 0.8 * c : null, c4 !== null && c !== null ? c4 >= c : null) };
  }
  if (kind === 'S3') return { text: targetText(kind), ok: c !== null ? ours >= c : null };
  if (kind === 'CPU2') return { text: targetText(kind), ok: c !== null ? ours <= 2 * c : null };
  if (kind === 'S4cpu') return { text: targetText(kind), ok: c !== null ? ours <= c : null };
  if (kind === 'S4lin') {
    const per = sizes.map(([b]) => agg.ours && agg.ours[`cpu_ms_per_mib_${Math.round(b / MiB)}`]).filter((x) => typeof x === 'number');
    return { text: targetText(kind), ok: per.length > 1 ? Math.max(...per) <= 1.5 * Math.min(...per) : null };
  }
  if (kind === 'S5') return { text: targetText(kind), ok: c !== null ? ours <= 1.5 * c : null };
  if (kind === 'S5rate') return { text: targetText(kind), ok: c !== null ? ours >= 0.8 * c : null };
  return null;
}

function targetText(kind) {
  return {
    S1: '≤2× C and ≤ orig-nodelay',
    S2: '≥0.8× C; concurrency 4 ≥ C',
    S3: '≥ C',
    CPU2: '≤2× C',
    S4cpu: '≤ C',
    S4lin: 'CPU/MiB flat (max ≤1.5× min)',
    S5: '≤1.5× C',
    S5rate: '≥0.8× C',
  }[kind];
}

function fmt(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  if (a === 0) return '0';
  return x.toPrecision(2);
}

function ratio(a, b) {
  if (typeof a !== 'number' || typeof b !== 'number' || b === 0) return '–';
  const q = a / b;
  return `${q >= 10 ? q.toFixed(0) : q >= 0.1 ? q.toFixed(2) : q.toPrecision(2)}×`;
}

/** Builds the table (array of rows of cells) for every scenario that ran, plus footnotes. */
function buildTable(report) {
  const impls = report.impls;
  const header = ['scenario / figure', ...impls.map((i) => IMPL_TITLE[i])];
  const ratioCols = [];
  if (impls.includes('ours')) {
    for (const [other, title] of [['orig', 'ours÷orig'], ['orig-nodelay', 'ours÷orig-nd'], ['c', 'ours÷C']]) {
      if (impls.includes(other)) ratioCols.push([other, title]);
    }
  }
  header.push(...ratioCols.map((x) => x[1]), 'better', 'issue-13 target');
  const rows = [header];
  const notes = [];
  for (const sid of report.scenarios) {
    const sc = report.results[sid];
    const nominal = params(report.opts, sid, 'ours').nominal;
    rows.push([`**${SCENARIOS[sid].title(nominal === undefined ? '' : nominal.toLocaleString('en-US'))}**`, ...header.slice(1).map(() => '')]);
    const reduced = {};
    for (const impl of impls) {
      const p = params(report.opts, sid, impl);
      if (p.nominal !== undefined && p.n !== p.nominal) reduced[impl] = p.n;
    }
    const sizes = params(report.opts, sid, 'ours').sizes;
    const skipped = new Set();
    for (const [key, label, better, tkind] of rowsFor(sid, sizes)) {
      const row = [label];
      for (const impl of impls) {
        const agg = sc.agg[impl];
        if (!agg) row.push('–');
        else if (agg.error) row.push(agg.error.startsWith('timeout') ? 'timeout' : agg.error.startsWith('n/a') ? 'n/a' : 'error');
        else if (usesC(impl) && report.cUnavailable) row.push(`n/a (${report.cUnavailable})`);
        else if (agg[key] === undefined && sid === 'S4') {
          row.push('not run‡');
          skipped.add(impl);
        } else row.push(fmt(agg[key]) + (reduced[impl] !== undefined && agg[key] !== undefined ? '†' : ''));
      }
      for (const [other] of ratioCols) {
        const a = sc.agg.ours && sc.agg.ours[key];
        const b = sc.agg[other] && sc.agg[other][key];
        row.push(ratio(a, b));
      }
      row.push(better);
      const t = target(tkind, sid, sc.agg, key, sizes);
      row.push(t ? `${t.text} ${t.ok === true ? '✓' : t.ok === false ? '✗' : '?'}` : '');
      rows.push(row);
    }
    for (const impl of skipped) {
      notes.push(`‡ ${sid} ${IMPL_TITLE[impl]}: sizes run: ${params(report.opts, sid, impl).sizes.map(([b, r]) => `${Math.round(b / MiB)} MiB ×${r}`).join(', ')}; the others are left out by default because its reassembly is quadratic in the payload size (minutes at 128 MiB); \`--sizes 1,8,32,128\` runs them.`);
    }
    for (const [impl, n] of Object.entries(reduced)) {
      notes.push(`† ${sid} ${IMPL_TITLE[impl]}: measured on ${n.toLocaleString('en-US')} jobs instead of ${params(report.opts, sid, 'ours').nominal.toLocaleString('en-US')} (it is too slow for the full count; per-job figures and rates compare, totals do not).`);
    }
    for (const impl of impls) {
      const agg = sc.agg[impl];
      if (agg && agg.error && !(isVariant(impl) && agg.error.startsWith('n/a'))) notes.push(`${sid} ${IMPL_TITLE[impl]}: ${agg.error.split('\n')[0].slice(0, 300)}`);
      if (agg && agg.failed_runs) notes.push(`${sid} ${IMPL_TITLE[impl]}: ${agg.failed_runs} of ${runsOf(report.opts, sid, impl)} runs failed; the figures are from the others.`);
      if (agg && agg.bad_responses) notes.push(`${sid} ${IMPL_TITLE[impl]}: ${agg.bad_responses} responses had the wrong length!`);
    }
  }
  return { rows, notes };
}

function textTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).replace(/\*\*/g, '').length)));
  const line = (r) => r.map((cell, c) => {
    const s = String(cell).replace(/\*\*/g, '');
    return c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]);
  }).join('  ');
  const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows.slice(1)) out.push(r.slice(1).every((x) => x === '') ? `\n${String(r[0]).replace(/\*\*/g, '')}` : line(r));
  return out.join('\n');
}

function mdTable(rows) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  const out = [`| ${rows[0].map(esc).join(' | ')} |`, `|${rows[0].map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of rows.slice(1)) out.push(`| ${r.map(esc).join(' | ')} |`);
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Machine

/**
 * --keep-awake: one SCHED_IDLE busy loop for the whole run. On the development VMs an idle
 * vCPU halts and waking it costs ~50-100 µs (a loopback round trip between two processes goes from
 * ~7 µs to ~100 µs), which then dominates every one-at-a-time figure; the spinners keep the vCPUs
 * running and take CPU only when nothing else wants it.
 */
function keepAwake() {
  const haveChrt = spawnSync('sh', ['-c', 'command -v chrt'], { encoding: 'utf8' }).status === 0;
  const loop = ['sh', '-c', 'while :; do :; done'];
  // One spinner: with one per core the VM seems to run into the host's CPU quota (a loopback
  // round trip then gets a p99 of milliseconds); one is enough to keep wakeups fast.
  return [0].map(() => {
    const [cmd, args] = haveChrt ? ['chrt', ['--idle', '0', ...loop]] : ['nice', ['-n', '19', ...loop]];
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', () => {});
    return child;
  });
}

/**
 * --pin: every client runs on CPU 0 and every worker on CPU 1 (`taskset` at launch, every
 * implementation alike; gearmand is not pinned). Our processes hand each incoming packet from the
 * core's I/O thread to the JS thread; on the development VMs that hop costs far more when the two
 * threads sit on different vCPUs (an inter-processor wakeup of a halted vCPU) than on one, which
 * pinning the process guarantees (bench/PROFILE.md, second round).
 */
function pinned(opts) {
  if (!opts.pin || os.cpus().length < 2) return {};
  return { client: ['taskset', '-c', '0'], worker: ['taskset', '-c', '1'] };
}

/**
 * A fixed CPU-bound loop (ms, best of 3), timed at the start and end of a run: the development VMs'
 * speed moves several-fold with the host's load, and this tells how fast the CPU was meanwhile
 * (~60-100 ms on an unloaded 2.3 GHz Xeon core).
 */
function cpuProbeMs() {
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = process.hrtime.bigint();
    let x = 0;
    for (let i = 0; i < 1e8; i++) x += i & 7;
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (x < 0) throw new Error('unreachable');
    best = Math.min(best, ms);
  }
  return Math.round(best);
}

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function machine(server) {
  const cpus = os.cpus();
  let gearmandVersion = null;
  try {
    gearmandVersion = (await server.admin('version')).replace(/^OK\s*/, '');
  } catch {
    // reported as null
  }
  const addon = fs.readdirSync(ROOT).find((f) => /^gearman-native\..*\.node$/.test(f));
  let origVersion = null;
  try {
    origVersion = require('gearmanode-original/package.json').version;
  } catch {
    // not installed
  }
  const libgearman = sh('dpkg-query', ['-W', '-f=${Version}', 'libgearman-dev']) || sh('pkg-config', ['--modversion', 'gearmand']);
  return {
    cpu: cpus.length ? cpus[0].model : 'unknown',
    cores: cpus.length,
    memory_gb: Math.round(os.totalmem() / 1024 ** 3),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    gearmand: gearmandVersion,
    gearmand_args: server.argv.join(' '),
    libgearman,
    cc: sh(process.env.CC || 'cc', ['--version']) ? sh(process.env.CC || 'cc', ['--version']).split('\n')[0] : null,
    ours_version: require(path.join(ROOT, 'package.json')).version,
    ours_commit: sh('git', ['rev-parse', '--short', 'HEAD']),
    ours_dirty: (sh('git', ['status', '--porcelain', '--', 'lib', 'src', 'index.js']) || '').split('\n').filter(Boolean).length,
    addon: addon ? { file: addon, mtime: fs.statSync(path.join(ROOT, addon)).mtime.toISOString() } : null,
    original_version: origVersion,
    loadavg_start: os.loadavg().map((x) => Number(x.toFixed(2))),
    cpu_probe_ms_start: cpuProbeMs(),
    loopback_rtt_start: harness.pingpong(),
  };
}

function rtt(x) {
  return x ? `${x.median_us}/${x.p99_us}` : 'n/a';
}

function machineLines(m) {
  return [
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, ${m.kernel}`,
    `node ${m.node}; gearmand ${m.gearmand} (${m.gearmand_args}); libgearman ${m.libgearman || 'n/a'}; ${m.cc || 'no cc'}`,
    `ours ${m.ours_version} @ ${m.ours_commit}${m.ours_dirty ? ` + ${m.ours_dirty} uncommitted files in lib/src` : ''}, addon ${m.addon ? `${m.addon.file} built ${m.addon.mtime}` : 'missing'}; original ${m.original_version}`,
    `load average (1/5/15 min) at start ${m.loadavg_start.join(' / ')}, at end ${m.loadavg_end ? m.loadavg_end.join(' / ') : '?'}` +
      (m.cpu_probe_ms_start === undefined ? '' : '; ') +
      (m.cpu_probe_ms_start === undefined ? '' : `CPU probe (1e8-step JS loop) ${m.cpu_probe_ms_start} ms at start, ${m.cpu_probe_ms_end || '?'} ms at end; ` +
      `loopback TCP round trip between two C processes (median/p99 µs): ${rtt(m.loopback_rtt_start)} at start, ${rtt(m.loopback_rtt_end)} at end`),
  ];
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.report) {
    // Re-renders a saved run (its table and bench/out/results.md) without measuring anything.
    output(JSON.parse(fs.readFileSync(opts.report, 'utf8')), opts.save, false);
    return;
  }
  const t0 = Date.now();
  let cUnavailable = null;
  if (opts.impl.some(usesC)) cUnavailable = harness.buildC();
  const impls = IMPLS.filter((i) => opts.impl.includes(i));
  const say = (s) => process.stderr.write(`${s}\n`);

  const spinners = opts.keepAwake ? keepAwake() : [];
  const server = await gearmand.start({});
  const report = {
    date: new Date().toISOString(),
    opts,
    impls,
    scenarios: opts.only.filter((s) => SCENARIOS[s]),
    cUnavailable,
    machine: await machine(server),
    results: {},
  };
  say(machineLines(report.machine).slice(0, 3).join('\n'));
  const m0 = report.machine;
  say(`load average ${m0.loadavg_start.join(' / ')}; loopback TCP round trip (median/p99 µs) ${rtt(m0.loopback_rtt_start)} at start`);
  if (cUnavailable) say(`libgearman column: n/a (${cUnavailable})`);
  const ctx = { opts, server };
  try {
    for (const sid of report.scenarios) {
      const runs = {};
      const maxRuns = Math.max(...impls.map((i) => runsOf(opts, sid, i)));
      for (let run = 1; run <= maxRuns; run++) {
        for (const impl of impls) {
          if (usesC(impl) && cUnavailable) continue;
          if (!appliesTo(sid, impl)) continue;
          if (run > runsOf(opts, sid, impl)) continue;
          const p = params(opts, sid, impl);
          say(`${sid} ${impl} run ${run}/${runsOf(opts, sid, impl)}${p.n !== undefined ? ` (${p.n} jobs)` : ''} ...`);
          const r = await measure(ctx, sid, impl, run);
          if (r.error) say(`  ${r.error.split('\n')[0]}`);
          else say(`  ${summaryLine(r.metrics)}  [${r.elapsed_s.toFixed(1)} s]`);
          (runs[impl] = runs[impl] || []).push(r);
        }
      }
      const agg = {};
      for (const impl of impls) {
        if (usesC(impl) && cUnavailable) agg[impl] = { error: `n/a (${cUnavailable})` };
        else if (!appliesTo(sid, impl)) agg[impl] = { error: 'n/a (no worker, or big payloads)' };
        else agg[impl] = aggregate(runs[impl] || []);
      }
      report.results[sid] = { runs, agg };
    }
  } finally {
    await server.stop();
  }
  report.machine.loadavg_end = os.loadavg().map((x) => Number(x.toFixed(2)));
  report.machine.cpu_probe_ms_end = cpuProbeMs();
  report.machine.loopback_rtt_end = harness.pingpong();
  say(`load average ${report.machine.loadavg_end.join(' / ')}; loopback TCP round trip (median/p99 µs) ${rtt(report.machine.loopback_rtt_end)} at end`);
  for (const s of spinners) s.kill('SIGKILL');
  report.duration_s = (Date.now() - t0) / 1000;

  output(report, opts.save);
}

/** Prints the table of `report` and, when `save`, writes results.md (and the JSON when `json`). */
function output(report, save, json = true) {
  const opts = report.opts;
  const { rows, notes } = buildTable(report);
  const head = [
    `gearmanode bench, ${report.date}${opts.quick ? ' (--quick)' : ''}${opts.keepAwake ? ' (--keep-awake: idle spinners keep the vCPUs from halting)' : ''}${opts.pin ? ' (--pin: clients on CPU 0, workers on CPU 1)' : ''}, runs per figure: ${runsText(opts)}`,
    ...machineLines(report.machine),
  ];
  const legend = 'ratios are ours÷other on the figure itself; "better" says which way is good (ours÷C 0.5× on a time = ours takes half the time).';
  const text = [...head, '', textTable(rows), '', ...notes, legend].join('\n');
  process.stdout.write(`\n${text}\n`);
  if (save) {
    fs.mkdirSync(OUT, { recursive: true });
    const stamp = report.date.replace(/[:.]/g, '-');
    const jsonFile = path.join(OUT, `results-${stamp}.json`);
    if (json) fs.writeFileSync(jsonFile, JSON.stringify(report, (k, v) => (k === 'lat_ns' && Array.isArray(v) ? undefined : v), 2));
    const md = [
      `# gearmanode bench results`,
      '',
      ...head.map((l) => `- ${l}`),
      '',
      mdTable(rows),
      '',
      ...notes.map((n) => `- ${n}`),
      `- ${legend}`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(OUT, 'results.md'), md);
    process.stdout.write(json
      ? `\nwrote ${path.relative(ROOT, jsonFile)} and bench/out/results.md (${report.duration_s.toFixed(0)} s)\n`
      : '\nwrote bench/out/results.md\n');
  }
}


function summaryLine(m) {
  return Object.entries(m)
    .filter(([k, v]) => typeof v === 'number' && !k.endsWith('__range'))
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(' ');
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
