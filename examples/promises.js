'use strict';
// Promises and async/await on both sides.
//
// Worker: a function given to addFunction may be `async` (or return a Promise). The value it
// resolves with completes the job (WORK_COMPLETE); a rejection (a throw inside the async function)
// fails the job with the error's message as the exception text (WORK_EXCEPTION). Resolving with
// undefined does NOT complete the job: return a value, or call job.workComplete() yourself.
//
// Client: client.submitJobAsync(name, payload, options) submits a job and returns a Promise of its
// response; job.promise() gives the same Promise for a job from submitJob (whose events you can
// still listen to). A failure rejects with a GearmanError whose `code` says what happened
// (gearmanode.errors.CODES: GEARMAN_JOB_FAILED, GEARMAN_JOB_EXCEPTION, GEARMAN_JOB_CLOSED, ...).
//
//   node examples/promises.js
//
// Environment: GEARMAN_HOST / GEARMAN_PORT (default localhost:4730), GEARMANODE_EXAMPLE_SUFFIX
// (appended to the function name, so that concurrent runs do not serve each other's jobs).

const gearmanode = require('..');

const { CODES } = gearmanode.errors;
const host = process.env.GEARMAN_HOST || 'localhost';
const port = Number(process.env.GEARMAN_PORT || 4730);
const fn = 'square' + (process.env.GEARMANODE_EXAMPLE_SUFFIX || '');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sets a connection option (gearmand knows 'exceptions') and resolves when the server agreed. */
function setOption(jobServer, name) {
  return new Promise((resolve, reject) => {
    jobServer.once('option', resolve);
    jobServer.once('jobServerError', (code, message) => reject(new Error(`${code}: ${message}`)));
    const err = jobServer.setOption(name); // returns an Error (and sends nothing) when misused
    if (err) reject(err);
  });
}

const worker = gearmanode.worker({ host, port });
const client = gearmanode.client({ host, port });

// An async worker function: awaits something, reports progress, then returns the result.
worker.addFunction(fn, async (job) => {
  const n = Number(job.payload);
  if (!Number.isFinite(n)) throw new Error(`not a number: '${job.payload}'`);
  job.reportStatus(1, 2);
  await sleep(10); // some asynchronous work
  job.reportStatus(2, 2);
  console.log(`[worker] ${fn}(${n}) = ${n * n}`);
  return String(n * n);
}, { toStringEncoding: 'utf8' });

// A failing function also emits 'error' on the worker, with code GEARMAN_WORKER_FUNCTION_FAILED.
worker.on('error', (err) => console.log(`[worker] ${err.code}: ${err.message}`));

async function main() {
  // Without this option gearmand turns an exception into a plain failure and drops its text.
  const option = await setOption(client.jobServers[0], 'exceptions');
  console.log(`[client] option '${option}' set: exceptions reach the client with their text`);

  // Several jobs at once, awaited together.
  const squares = await Promise.all([1, 2, 3, 4].map((n) =>
    client.submitJobAsync(fn, String(n), { toStringEncoding: 'utf8' })));
  console.log(`[client] squares of 1..4: ${squares.join(', ')}`);

  // Events and a promise on the same job.
  const job = client.submitJob(fn, '12', { toStringEncoding: 'utf8' });
  if (job instanceof Error) throw job; // invalid arguments are returned, not thrown
  job.on('status', (s) => console.log(`[client] progress of ${fn}(12): ${s.percent_done_num}/${s.percent_done_den}`));
  console.log(`[client] ${fn}(12) = ${await job.promise()}`);

  // A worker function that throws: the promise rejects.
  try {
    await client.submitJobAsync(fn, 'abc', { toStringEncoding: 'utf8' });
    console.log('[client] unexpected: the job succeeded');
    process.exitCode = 1;
  } catch (err) {
    if (err.code !== CODES.JOB_EXCEPTION) throw err;
    console.log(`[client] rejected with ${err.code}, exception text: ${JSON.stringify(err.data)}`);
  }
}

const watchdog = setTimeout(() => {
  console.error('No answer within 10 s; giving up.');
  process.exit(1);
}, 10000);

main().then(
  () => console.log('Done; closing the client and the worker.'),
  (err) => {
    console.error(`Failed: ${err.stack}`);
    process.exitCode = 1;
  },
).finally(() => {
  clearTimeout(watchdog);
  client.close();
  worker.close();
});
