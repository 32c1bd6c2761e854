'use strict';
// A service that stops cleanly on SIGTERM (as Kubernetes, systemd and Docker stop services): its
// worker takes no new job, lets the running ones finish (or hands them back to gearmand after a
// grace period, for another worker to run), and its client lets the jobs in flight end (or times
// them out). Then the process exits by itself, with nothing left behind.
//
//   node examples/graceful-shutdown.js          serve 'slow-echo' (jobs take 1 s) until SIGTERM
//   kill -TERM <pid>                             or Ctrl-C (SIGINT does the same)
//
// Each job the service's own client submits takes a second; the worker answers it after that.
// Environment: GEARMAN_HOST / GEARMAN_PORT (default localhost:4730), GRACE_MS (default 5000),
// GEARMANODE_EXAMPLE_SUFFIX (appended to the function name).

const gearmanode = require('..');

const host = process.env.GEARMAN_HOST || 'localhost';
const port = Number(process.env.GEARMAN_PORT || 4730);
const grace = Number(process.env.GRACE_MS || 5000);
const fn = 'slow-echo' + (process.env.GEARMANODE_EXAMPLE_SUFFIX || '');

const worker = gearmanode.worker({ host, port });
const client = gearmanode.client({ host, port });

worker.addFunction(fn, (job) => {
  console.log(`[worker] started ${job.payload}`);
  setTimeout(() => {
    job.workComplete(job.payload);
    console.log(`[worker] finished ${job.payload}`);
  }, 1000);
});

// Keep a few jobs in flight, as a busy service would.
let n = 0;
function submit() {
  const name = `job-${++n}`;
  client.submitJobAsync(fn, name, { toStringEncoding: 'utf8' }).then(
    (r) => console.log(`[client] ${r} done`),
    (err) => console.log(`[client] ${name}: ${err.code}`));
}
const feeder = setInterval(submit, 300);
worker.on('socketConnect', () => console.log(`[service] serving ${fn} on ${host}:${port}; stop me with SIGTERM`));

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`[service] ${signal}: shutting down (grace ${grace} ms)`);
  clearInterval(feeder);
  // The client first: the jobs it has in flight still have this worker to run them.
  const c = await client.shutdown({ timeout: grace });
  console.log(`[service] client stopped, ${c.timedOut} job(s) timed out`);
  const w = await worker.shutdown({ timeout: grace });
  console.log(`[service] worker stopped, ${w.handedBack} job(s) handed back to gearmand`);
  // Nothing is left: no exit() needed, the process ends by itself.
}
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
