'use strict';
/**
 * Benchmark echo worker for the JavaScript implementations (bench/run.js starts it).
 *
 *   node bench/lib/worker.js '{"impl":"ours","host":"127.0.0.1","port":4740,"fn":"f"}'
 *
 * Registers `fn` and completes every job with its own payload. Prints "READY" once addFunction was
 * called. On stdin: "cpu" -> "CPU {"user":s,"system":s,"maxrss_kb":n,"jobs":n}" (process.cpuUsage,
 * every thread of the process); end of stdin -> closes the worker and exits.
 */
const readline = require('readline');
const { load } = require('./impls');

const cfg = JSON.parse(process.argv[2]);
const { gm } = load(cfg.impl);

// BENCH_WORKER_OPTIONS='{"concurrency":1}': extra worker options, for experiments (bench/PROFILE.md).
const extra = process.env.BENCH_WORKER_OPTIONS ? JSON.parse(process.env.BENCH_WORKER_OPTIONS) : {};
// ours-c4: our worker with up to 4 jobs per server and the next GRAB_JOB sent as a job ends.
if (cfg.impl === 'ours-c4') extra.concurrency = 4;
const worker = gm.worker({ servers: [{ host: cfg.host, port: cfg.port }], ...extra });
if (worker instanceof Error) throw worker;
worker.on('error', (err) => process.stderr.write(`worker error: ${err && err.stack}\n`));
let jobs = 0;
worker.addFunction(cfg.fn, (job) => {
  jobs++;
  job.workComplete(job.payload);
});
process.stdout.write('READY\n');

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.trim() === 'cpu') {
    const c = process.cpuUsage();
    const maxrss = process.resourceUsage().maxRSS;
    process.stdout.write(`CPU ${JSON.stringify({ user: c.user / 1e6, system: c.system / 1e6, maxrss_kb: maxrss, jobs })}\n`);
  }
});
rl.on('close', () => {
  worker.close();
  setTimeout(() => process.exit(0), 20).unref();
});
