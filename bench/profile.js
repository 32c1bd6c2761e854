#!/usr/bin/env node
'use strict';
/**
 * Where the time goes per job (S1: one at a time; S2: 200 in flight), for the findings in
 * bench/PROFILE.md. Each tool is a separate measurement (they disturb each other), all against one
 * fresh gearmand, with the same client and worker processes as bench/run.js:
 *
 *   node bench/profile.js [--only S1,S2] [--impl ours,c] [--tools threads,strace,perf,cpuprof,callgrind]
 *                         [--quick] [--addon PATH] [--repeat N]
 *
 *   threads  CPU time and time spent runnable but waiting for a CPU (schedstat, ns), and context
 *            switches, per thread of the client, the worker and
 *            gearmand over the measured part, per job: JS main thread vs the core's I/O thread
 *            (gearmanode-io) vs V8/libuv helpers; voluntary switches count the thread hops.
 *   strace   syscalls per job of client, worker and gearmand (strace -c -f attached for the
 *            measured part; strace slows everything down, only the counts mean something).
 *   perf     perf record -g (cpu-clock, 2 kHz) on client and worker for the measured part, node
 *            with --perf-basic-prof; reports by DSO and top symbols. --addon PATH loads another
 *            build of the core for ours (the release build is stripped), e.g. one with symbols:
 *              CARGO_TARGET_DIR=bench/out/target-symbols CARGO_PROFILE_RELEASE_STRIP=none \
 *                RUSTFLAGS='-C force-frame-pointers=yes' cargo build --release --lib
 *              cp bench/out/target-symbols/release/libgearmanode.so bench/out/addon-symbols.node
 *              node bench/profile.js --tools perf --addon bench/out/addon-symbols.node
 *   cpuprof  node --cpu-prof of client and worker; self time by function and by category.
 *   callgrind  client and worker run under valgrind's callgrind, the counters zeroed as the
 *            measured part starts and dumped as it ends, one dump per thread: instructions per job
 *            (Ir) of the JS thread and of the others (V8's compiler and GC helpers, the core's I/O
 *            thread), which do not move with the machine's load the way times do, and the top
 *            functions of the JS thread by self instructions (JIT'd JavaScript named from node's
 *            perf map). `--repeat N` measures N times (the spread shows how far a difference must
 *            go to mean something). Slow (~50× under valgrind): a tenth of the others' job counts
 *            (S2: after a warm-up of 20,000 jobs). Not in the default tools: `--tools callgrind`.
 *            `BENCH_OURS_ROOT=DIR` (bench/lib/impls.js) measures another checkout the same way.
 *
 * Writes everything under bench/out/profile-<timestamp>/ and prints a summary (summary.txt).
 */
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');
const gearmand = require('../test/support/gearmand');
const harness = require('./lib/harness');
const callgrind = require('./lib/callgrind');

const OUT = harness.OUT;
const TOOLS = ['threads', 'strace', 'perf', 'cpuprof', 'callgrind'];
const DEFAULT_TOOLS = ['threads', 'strace', 'perf', 'cpuprof'];

function parseArgs(argv) {
  const o = { only: ['S1', 'S2'], impl: ['ours', 'c'], tools: DEFAULT_TOOLS.slice(), quick: false, addon: null, repeat: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, null];
    const val = () => (inline !== null ? inline : argv[++i]);
    if (name === '--only') o.only = val().split(',').map((s) => s.trim().toUpperCase());
    else if (name === '--impl') o.impl = val().split(',').map((s) => s.trim());
    else if (name === '--tools') o.tools = val().split(',').map((s) => s.trim());
    else if (name === '--quick') o.quick = true;
    else if (name === '--addon') o.addon = path.resolve(val());
    else if (name === '--repeat') o.repeat = Math.max(1, parseInt(val(), 10) || 1);
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function scenario(sid, tool, quick) {
  const slow = tool === 'strace' || tool === 'callgrind';
  const k = (quick ? 0.1 : 1) * (slow ? 0.1 : 1);
  if (sid === 'S1') return { mode: 'seq', n: Math.round(5000 * k), warmup: 200, inflight: 0, size: 100 };
  // Under callgrind: a long warm-up, so that the measured part runs optimized code (V8 still
  // compiles after 1,000 jobs, and its compiler's instructions would drown the library's).
  if (sid === 'S2') return { mode: 'window', n: Math.round(50000 * k), warmup: tool === 'callgrind' ? 20000 : 1000, inflight: 200, size: 100 };
  if (sid === 'S3') return { mode: 'bg', n: Math.round(50000 * k), warmup: 200, inflight: 0, size: 100, noWorker: true };
  // S5 keeps its burst size under callgrind (the burst is the point), with fewer jobs in warm-up.
  if (sid === 'S5') return { mode: 'burst', n: slow ? 20000 : Math.round(20000 * k), warmup: 200, inflight: 0, size: 100 };
  throw new Error(`profile.js knows S1, S2, S3 and S5, not ${sid}`);
}

// ---------------------------------------------------------------------------------------------
// threads: /proc/PID/task/*/schedstat and status

function threadSnapshot(pid) {
  const snap = new Map();
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return snap;
  }
  for (const tid of tids) {
    try {
      const dir = `/proc/${pid}/task/${tid}`;
      const comm = fs.readFileSync(`${dir}/comm`, 'utf8').trim();
      const [run, wait] = fs.readFileSync(`${dir}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
      const status = fs.readFileSync(`${dir}/status`, 'utf8');
      const vol = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]);
      const invol = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]);
      snap.set(tid, { comm, run, wait, vol, invol, main: String(tid) === String(pid) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return snap;
}

function threadGroup(t) {
  if (t.main) return 'main (JS / C main)';
  if (t.comm === 'gearmanode-io') return 'gearmanode-io (tokio)';
  if (/^gearmand/.test(t.comm)) return `gearmand threads`;
  return `other threads (${t.comm}: V8 platform, libuv pool, control)`;
}

function threadDiff(a, b, jobs) {
  const groups = {};
  for (const [tid, t1] of b) {
    const t0 = a.get(tid) || { run: 0, wait: 0, vol: 0, invol: 0 };
    const g = threadGroup(t1);
    const x = (groups[g] = groups[g] || { threads: 0, cpu_us_per_job: 0, wait_us_per_job: 0, vol_per_job: 0, invol_per_job: 0 });
    x.threads++;
    x.cpu_us_per_job += (t1.run - t0.run) / 1000 / jobs;
    x.wait_us_per_job += (t1.wait - t0.wait) / 1000 / jobs;
    x.vol_per_job += (t1.vol - t0.vol) / jobs;
    x.invol_per_job += (t1.invol - t0.invol) / jobs;
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------
// Attaching tools to pids for the measured part

function attach(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-20000);
  });
  const exited = new Promise((resolve) => child.on('exit', () => resolve(stderr)));
  return { child, exited, stop: async () => { child.kill('SIGINT'); return exited; } };
}

function parseStrace(text) {
  const calls = {};
  for (const line of text.split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?([a-z_0-9]+)\s*$/.exec(line);
    if (m && m[3] !== 'total') calls[m[3]] = Number(m[1]);
  }
  return calls;
}

function perfReport(file, extra) {
  const r = spawnSync('perf', ['report', '-i', file, '--no-children', '--stdio', '--percent-limit', '0.7', ...extra], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return (r.stdout || '').split('\n').filter((l) => l && !l.startsWith('#')).join('\n');
}

// ---------------------------------------------------------------------------------------------
// cpuprofile summary

function summarizeCpuProfile(file, top = 25) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    self.set(id, (self.get(id) || 0) + (prof.timeDeltas[i] || 0));
  }
  const byFn = new Map();
  const byCat = {};
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const url = cf.url || '';
    const key = `${cf.functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/work\/main\//, '')}:${cf.lineNumber + 1}` : ''}`.trim();
    byFn.set(key, (byFn.get(key) || 0) + us);
    let cat;
    if (cf.functionName === '(idle)') cat = 'idle';
    else if (cf.functionName === '(garbage collector)') cat = 'GC';
    else if (cf.functionName === '(program)') cat = 'program (native, not attributed)';
    else if (/\/lib\/gearmanode\//.test(url) && !/node_modules/.test(url)) cat = 'lib/gearmanode JS (ours)';
    else if (/gearmanode-original/.test(url)) cat = 'gearmanode-original JS';
    else if (/\/bench\//.test(url)) cat = 'bench client/worker JS';
    else if (/^node:/.test(url)) cat = 'node internals (events, streams, timers)';
    else if (!url) cat = `native functions called from JS (${cf.functionName ? 'e.g. napi methods' : '?'})`;
    else cat = 'other JS';
    byCat[cat] = (byCat[cat] || 0) + us;
    total += us;
  }
  const fns = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { total_us: total, byCat, top: fns };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(OUT, `profile-${stamp}`);
  fs.mkdirSync(dir, { recursive: true });
  if (opts.impl.includes('c')) {
    const why = harness.buildC();
    if (why) {
      process.stderr.write(`libgearman programs unavailable: ${why}\n`);
      opts.impl = opts.impl.filter((i) => i !== 'c');
    }
  }
  const addon = opts.addon;
  const lines = [];
  const say = (s) => {
    lines.push(s);
    process.stdout.write(`${s}\n`);
  };
  say(`profile ${stamp}; impls ${opts.impl.join(',')}; tools ${opts.tools.join(',')}${addon ? `; addon with symbols: ${addon}` : ''}`);
  const server = await gearmand.start({});
  const json = {};
  try {
    for (const sid of opts.only) {
      for (const tool of opts.tools) {
        for (let rep = 1; rep <= (tool === 'callgrind' ? opts.repeat : 1); rep++) for (const impl of opts.impl) {
          if ((tool === 'cpuprof' || tool === 'callgrind') && impl === 'c') continue; // callgrind_control cannot reach a C process blocked in a syscall (no ptrace here)
          const p = scenario(sid, tool, opts.quick);
          const fn = `prof-${sid}-${impl}-${tool}-${crypto.randomBytes(3).toString('hex')}`;
          const tag = `${sid}-${impl}-${tool}${rep > 1 ? `-${rep}` : ''}`;
          const env = { ...process.env };
          const nodeFlags = { client: [], worker: [] };
          if (impl === 'ours' && addon && tool === 'perf') {
            env.BENCH_ADDON = addon;
            for (const k of ['client', 'worker']) nodeFlags[k].push('-r', path.join(__dirname, 'lib', 'addon-override.js'));
          }
          if (tool === 'perf' && impl !== 'c') for (const k of ['client', 'worker']) nodeFlags[k].push('--perf-basic-prof');
          if (tool === 'cpuprof') {
            for (const k of ['client', 'worker']) nodeFlags[k].push('--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${tag}-${k}.cpuprofile`);
          }
          const wrap = {};
          if (tool === 'callgrind') {
            for (const k of ['client', 'worker']) {
              wrap[k] = ['valgrind', '--tool=callgrind', '--quiet', '--separate-threads=yes', `--callgrind-out-file=${path.join(dir, `${tag}-${k}.callgrind.%p`)}`];
              if (impl !== 'c') nodeFlags[k].push('--perf-basic-prof');
            }
          }
          let attached = [];
          let snaps = null;
          let dumps = null;
          const hooks = {
            beforeGo: async ({ client, worker }) => {
              const pids = { client: client.pid, gearmand: server.pid };
              if (worker) pids.worker = worker.pid;
              if (tool === 'threads') snaps = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, threadSnapshot(pid)]));
              if (tool === 'callgrind') for (const k of ['client', 'worker']) if (pids[k]) callgrind.control(['-z'], pids[k]);
              if (tool === 'strace') {
                attached = Object.entries(pids).map(([k, pid]) => [k, attach('strace', ['-f', '-c', '-q', '-p', String(pid)])]);
              }
              if (tool === 'perf') {
                attached = ['client', 'worker'].filter((k) => pids[k]).map((k) => [k, attach('perf', ['record', '-F', '2000', '-g', '-p', String(pids[k]), '-o', path.join(dir, `${tag}-${k}.perf.data`)])]);
              }
              if (attached.length) await gearmand.sleep(tool === 'strace' ? 1500 : 800); // let them attach
            },
            afterDone: async ({ client, worker }) => {
              const pids = { client: client.pid, gearmand: server.pid };
              if (worker) pids.worker = worker.pid;
              if (tool === 'threads') {
                snaps.after = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, threadSnapshot(pid)]));
              }
              if (tool === 'callgrind') {
                dumps = {};
                for (const k of ['client', 'worker']) {
                  if (!pids[k]) continue;
                  callgrind.control(['-d'], pids[k]);
                  const files = callgrind.newestDump(dir, `${tag}-${k}.callgrind.`, pids[k]);
                  // node's perf map names the JIT'd functions; copied before the process exits
                  const map = path.join(dir, `${tag}-${k}.perf-map`);
                  try {
                    fs.copyFileSync(`/tmp/perf-${pids[k]}.map`, map);
                  } catch {
                    // no map: JIT'd code stays unnamed
                  }
                  if (files.length) dumps[k] = { files, map };
                }
              }
              if (attached.length) {
                const outs = await Promise.all(attached.map(async ([k, a]) => [k, await a.stop()]));
                attached = outs;
              }
            },
          };
          process.stderr.write(`${tag} (${p.n} jobs) ...\n`);
          let r;
          try {
            r = await harness.runPair({ impl, server, fn, p, withWorker: !p.noWorker, timeout: tool === 'callgrind' ? 1200000 : 300000, nodeFlags, wrap, env, hooks });
            if (p.noWorker) await server.restart(); // drop the queued background jobs
          } catch (err) {
            say(`${tag}: failed: ${String(err.message).split('\n')[0]}`);
            continue;
          }
          const jobs = r.raw.jobs;
          const rate = jobs / r.raw.wall_s;
          const head = `\n## ${tag}: ${jobs} jobs, ${rate.toFixed(0)} jobs/s, client CPU ${(((r.raw.cpu_user_s + r.raw.cpu_sys_s) / jobs) * 1e6).toFixed(1)} µs/job, worker CPU ${r.worker_cpu_s === undefined ? '–' : ((r.worker_cpu_s / jobs) * 1e6).toFixed(1)} µs/job${r.raw.peak_rss_kb ? `, client peak RSS ${(r.raw.peak_rss_kb / 1024).toFixed(0)} MB` : ''}`;
          say(head);
          const entry = { jobs, rate, raw: { ...r.raw, lat_ns: undefined }, worker_cpu_s: r.worker_cpu_s };
          if (tool === 'threads') {
            entry.threads = {};
            for (const k of Object.keys(snaps.after)) {
              entry.threads[k] = threadDiff(snaps[k], snaps.after[k], jobs);
              for (const [g, x] of Object.entries(entry.threads[k])) {
                say(`  ${k.padEnd(8)} ${g.padEnd(58)} x${x.threads}  CPU ${x.cpu_us_per_job.toFixed(1).padStart(6)} µs/job  runnable, waiting ${x.wait_us_per_job.toFixed(1).padStart(5)} µs/job  voluntary switches ${x.vol_per_job.toFixed(2).padStart(5)}/job  involuntary ${x.invol_per_job.toFixed(2)}/job`);
              }
            }
          }
          if (tool === 'strace') {
            entry.syscalls = {};
            for (const [k, text] of attached) {
              const calls = parseStrace(text);
              entry.syscalls[k] = calls;
              const total = Object.values(calls).reduce((a, b) => a + b, 0);
              const top = Object.entries(calls).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, c]) => `${n} ${(c / jobs).toFixed(2)}`).join(', ');
              say(`  ${k.padEnd(8)} ${(total / jobs).toFixed(2)} syscalls/job: ${top}`);
              fs.writeFileSync(path.join(dir, `${tag}-${k}.strace.txt`), text);
            }
          }
          if (tool === 'perf') {
            for (const k of ['client', 'worker']) {
              const file = path.join(dir, `${tag}-${k}.perf.data`);
              if (!fs.existsSync(file)) continue;
              const byDso = perfReport(file, ['--sort', 'dso', '-g', 'none']);
              const bySym = perfReport(file, ['--sort', 'dso,sym', '-g', 'none']);
              const byThread = perfReport(file, ['--sort', 'pid,comm', '-g', 'none']);
              fs.writeFileSync(path.join(dir, `${tag}-${k}.perf.txt`), `${byThread}\n\n${byDso}\n\n${bySym}\n`);
              say(`  ${k} by thread:\n${byThread.split('\n').slice(0, 8).map((l) => `    ${l.trim()}`).join('\n')}`);
              say(`  ${k} by DSO:\n${byDso.split('\n').slice(0, 10).map((l) => `    ${l.trim()}`).join('\n')}`);
              say(`  ${k} top symbols:\n${bySym.split('\n').slice(0, 25).map((l) => `    ${l.trim()}`).join('\n')}`);
            }
          }
          if (tool === 'callgrind') {
            entry.instructions_per_job = {};
            for (const k of ['client', 'worker']) {
              const d = dumps && dumps[k];
              if (!d) continue;
              const map = callgrind.perfMap(d.map);
              const threads = d.files.map((f) => ({ thread: f.thread, costs: callgrind.selfCosts(f.file, map) }));
              const main = threads.find((t) => t.thread === 1);
              const all = threads.reduce((a, t) => a + t.costs.total, 0);
              const mainIr = main ? main.costs.total : 0;
              entry.instructions_per_job[k] = { all: all / jobs, main: mainIr / jobs, other_threads: (all - mainIr) / jobs };
              say(`  ${k.padEnd(8)} ${(all / jobs).toFixed(0).padStart(8)} instructions/job (Ir, measured part only): main (JS) thread ${(mainIr / jobs).toFixed(0)}, ` +
                `other threads ${((all - mainIr) / jobs).toFixed(0)} (${threads.filter((t) => t.thread !== 1).map((t) => (t.costs.total / jobs).toFixed(0)).join(' + ')})`);
              if (main) for (const l of callgrind.report(main.costs, jobs)) say(l);
            }
          }
          if (tool === 'cpuprof') {
            for (const k of ['client', 'worker']) {
              const file = path.join(dir, `${tag}-${k}.cpuprofile`);
              if (!fs.existsSync(file)) {
                say(`  ${k}: no cpuprofile written`);
                continue;
              }
              const s = summarizeCpuProfile(file);
              entry[`cpuprof_${k}`] = s;
              say(`  ${k} main-thread samples (whole process life, incl. warm-up) by category:`);
              for (const [cat, us] of Object.entries(s.byCat).sort((a, b) => b[1] - a[1])) {
                say(`    ${cat.padEnd(52)} ${(us / 1000).toFixed(0).padStart(6)} ms  ${((us / s.total_us) * 100).toFixed(1).padStart(5)}%`);
              }
              say(`  ${k} top functions (self):`);
              for (const [name, us] of s.top.slice(0, 18)) say(`    ${(us / 1000).toFixed(1).padStart(8)} ms  ${name}`);
            }
          }
          json[tag] = entry;
        }
      }
    }
  } finally {
    await server.stop();
  }
  fs.writeFileSync(path.join(dir, 'summary.txt'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(json, null, 2));
  process.stdout.write(`\nwrote ${path.relative(harness.ROOT, dir)}/summary.txt\n`);
}

main().catch((err) => {
  process.stderr.write(`profile failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
