'use strict';
// A background job followed with status requests. The client submits the job with
// `background: true`: it gets a handle (event 'created') and no result. The worker reports its
// progress with job.reportStatus(numerator, denominator); the client asks the server with
// job.getStatus() and gets the answer as a 'status' event, until the server no longer knows the job
// (known=false): it has finished.
//
//   node examples/background-status.js
//
// Environment: GEARMAN_HOST / GEARMAN_PORT (default localhost:4730), GEARMANODE_EXAMPLE_SUFFIX
// (appended to the function name, so that concurrent runs do not serve each other's jobs).

const gearmanode = require('..');

const host = process.env.GEARMAN_HOST || 'localhost';
const port = Number(process.env.GEARMAN_PORT || 4730);
const fn = 'count-slowly' + (process.env.GEARMANODE_EXAMPLE_SUFFIX || '');
const STEPS = 5;
const STEP_MS = 100;
const POLL_MS = 60;

// The worker: counts to STEPS, one step every STEP_MS, reporting each step.
const worker = gearmanode.worker({ host, port });
worker.addFunction(fn, (job) => {
  console.log(`[worker] started job ${job.handle}`);
  let step = 0;
  const timer = setInterval(() => {
    step++;
    job.reportStatus(step, STEPS);
    console.log(`[worker] step ${step} of ${STEPS}`);
    if (step === STEPS) {
      clearInterval(timer);
      job.workComplete(); // nobody waits for the data of a background job
      console.log('[worker] job complete');
    }
  }, STEP_MS);
});

// The client: submits the job in the background, then polls.
const client = gearmanode.client({ host, port });
const job = client.submitJob(fn, 'count to ' + STEPS, { background: true });

job.on('created', () => {
  console.log(`[client] background job created, handle ${job.handle}`);
  poll();
});

let polls = 0;
let lastLine = '';
function poll() {
  polls++;
  job.getStatus(); // answered by one 'status' event
}

job.on('status', (status) => {
  // Numerator and denominator arrive as strings (as the server sends them).
  const line = `known=${status.known} running=${status.running} progress=${status.percent_done_num}/${status.percent_done_den}`;
  if (line !== lastLine) console.log(`[client] status: ${line}`);
  lastLine = line;
  if (status.known) {
    setTimeout(poll, POLL_MS);
  } else {
    console.log(`[client] the server forgot the job: it is finished (${polls} status requests).`);
    finish(0);
  }
});

job.on('error', (err) => {
  console.error(`[client] job error: ${err.message}`);
  finish(1);
});

const watchdog = setTimeout(() => {
  console.error(`The job did not finish within 10 s: is another worker serving '${fn}' without reporting?`);
  finish(1);
}, 10000);

function finish(code) {
  clearTimeout(watchdog);
  process.exitCode = code;
  client.close();
  worker.close();
}
