'use strict';
// A job scheduled for later, followed by its unique id. The client submits a background job with
// `runAt` (2 s from now) and a unique id: gearmand creates it at once and holds it until that time.
// The client then asks for its status with client.getStatusUnique(unique) (any client could: it
// needs no handle) until the server no longer knows the job: it is finished.
//
// gearmand 1.1.20 does not wake sleeping workers when a scheduled job falls due; the job goes to the
// first worker that asks after its time. So this example starts its worker once the time has come,
// with `pollInterval`: gearmand reads the time from a clock that lags Node's by up to a few ms (its
// whole second can still be the previous one just after ours turned), so a worker that asks right
// at the due time may be told to sleep, and then asks again after `pollInterval`.
//
//   node examples/scheduled-job.js
//
// Environment: GEARMAN_HOST / GEARMAN_PORT (default localhost:4730), GEARMANODE_EXAMPLE_SUFFIX
// (appended to the function name, so that concurrent runs do not serve each other's jobs).

const crypto = require('crypto');
const gearmanode = require('..');

const host = process.env.GEARMAN_HOST || 'localhost';
const port = Number(process.env.GEARMAN_PORT || 4730);
const fn = 'nightly-report' + (process.env.GEARMANODE_EXAMPLE_SUFFIX || '');
const unique = 'report-' + crypto.randomUUID();
const DELAY_S = 2;
const POLL_MS = 100;
const STEPS = 3;
const STEP_MS = 250;

const client = gearmanode.client({ host, port });
let worker = null;

const job = client.submitJob(fn, 'the numbers of the day', {
  background: true,
  runAt: new Date(Date.now() + DELAY_S * 1000), // or a Unix time in seconds
  unique,
});
if (job instanceof Error) throw job;
const dueAt = job.runAt * 1000; // job.runAt: the Unix time in whole seconds that was sent

job.on('created', () => {
  console.log(`[client] scheduled job created, handle ${job.handle}, unique id ${unique}`);
  console.log(`[client] it is due at ${new Date(dueAt).toISOString()} (in about ${Math.round((dueAt - Date.now()) / 100) / 10} s)`);
  follow();
});
job.on('error', (err) => {
  console.error(`[client] job error: ${err.message}`);
  finish(1);
});

let lastLine = '';
let polls = 0;
async function follow() {
  let st;
  try {
    st = await client.getStatusUnique(unique);
  } catch (err) {
    console.error(`[client] status request failed: ${err.message}`);
    finish(1);
    return;
  }
  polls++;
  const line = `known=${st.known} running=${st.running} progress=${st.numerator}/${st.denominator}`;
  if (line !== lastLine) {
    const note = st.known && !st.running && worker === null ? ' (waiting for its time)' : '';
    console.log(`[client] status: ${line}${note}`);
  }
  lastLine = line;
  if (!st.known) {
    console.log(`[client] the server forgot the job: it is finished (${polls} status requests).`);
    finish(0);
    return;
  }
  if (worker === null && Date.now() >= dueAt) startWorker();
  setTimeout(follow, POLL_MS);
}

function startWorker() {
  console.log('[worker] the time has come: starting the worker');
  worker = gearmanode.worker({ host, port, withUnique: true, pollInterval: 500 });
  worker.addFunction(fn, (wjob) => {
    const late = Date.now() >= dueAt ? 'after' : 'BEFORE';
    console.log(`[worker] got '${wjob.payload}' (unique id ${wjob.unique || '-'}), ${late} its time`);
    let step = 0;
    const timer = setInterval(() => {
      step++;
      wjob.reportStatus(step, STEPS);
      if (step === STEPS) {
        clearInterval(timer);
        wjob.workComplete();
        console.log('[worker] job complete');
      }
    }, STEP_MS);
  });
}

const watchdog = setTimeout(() => {
  console.error(`The job did not finish within 15 s: is another worker serving '${fn}'?`);
  finish(1);
}, 15000);

function finish(code) {
  clearTimeout(watchdog);
  process.exitCode = code;
  client.close();
  if (worker !== null) worker.close();
}
