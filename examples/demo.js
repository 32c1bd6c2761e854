'use strict';
// `npm run demo`: a tour of gearmanode in one process. It makes sure a Gearman job server runs on
// localhost:4730 (starting one if needed), then a client and a 'reverse' worker exchange real jobs
// through it: jobs with priorities waiting for a worker, a foreground job with partial data, and a
// background job followed with status requests. At the end it closes everything and stops the job
// server only if it started it.
//
// Environment: GEARMAN_PORT (default 4730), GEARMANODE_EXAMPLE_SUFFIX (appended to the function
// name, so that concurrent runs do not serve each other's jobs).

const gearmanode = require('..');
const { ensureGearmand } = require('../scripts/ensure-gearmand');

const port = Number(process.env.GEARMAN_PORT || 4730);
const fn = 'reverse' + (process.env.GEARMANODE_EXAMPLE_SUFFIX || '');
const DEMO_TIMEOUT_MS = 30000;

const say = (line = '') => console.log(line);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const reverse = (text) => [...text].reverse().join('');

/** Resolves when the job server has queued the job (JOB_CREATED: it has a handle). */
function created(job) {
  return new Promise((resolve, reject) => {
    job.once('created', resolve);
    job.once('error', reject);
  });
}

/**
 * The worker function: reverses the payload word by word, one word every 50 ms, reporting
 * progress (WORK_STATUS) and each reversed word as partial data (WORK_DATA), then the whole result.
 */
function reverseSlowly(job) {
  const text = job.payload; // a string: the function is registered with toStringEncoding
  say(`  [worker] got job ${job.handle}: '${text}'`);
  const words = text.split(' ');
  let i = 0;
  const step = () => {
    if (i < words.length) {
      job.reportStatus(i + 1, words.length);
      job.sendWorkData(reverse(words[words.length - 1 - i]));
      i++;
      setTimeout(step, 50);
    } else {
      say(`  [worker] job ${job.handle} done: '${reverse(text)}'`);
      job.workComplete(reverse(text));
    }
  };
  step();
}

async function main() {
  say(`GearmaNode ${gearmanode.VERSION} demo on Node.js ${process.version}: a client and a worker in this`);
  say(`process exchange jobs through a Gearman job server. Function name: '${fn}'.`);
  say();

  say('1. The job server');
  const gm = await ensureGearmand({ port, log: (line) => say(`  ${line}`) });
  let client;
  let worker;
  try {
    client = gearmanode.client({ port });
    client.on('error', (err) => say(`  [client] error: ${err.message}`));
    client.on('socketConnect', (uid) => say(`  [client] connected to ${uid}`));

    say();
    say('2. The client submits three jobs with priorities LOW, NORMAL and HIGH. No worker is');
    say('   registered yet (unless another program serves the function), so they wait in the queue.');
    const order = [];
    const queued = ['LOW', 'NORMAL', 'HIGH'].map((priority) => {
      const job = client.submitJob(fn, `${priority.toLowerCase()} priority job`, { priority, toStringEncoding: 'utf8' });
      // job.promise(): the job's outcome as a Promise (its events still work alongside).
      const done = job.promise().then((text) => {
        order.push(priority);
        say(`  [client] ${priority} job complete: '${text}'`);
      });
      return { priority, job, done, created: created(job) };
    });
    await Promise.all(queued.map((q) => q.created));
    for (const q of queued) say(`  [client] ${q.priority} job queued, handle ${q.job.handle}`);

    say();
    say(`3. A worker registers '${fn}': the server hands out the HIGH job first, LOW last.`);
    worker = gearmanode.worker({ port });
    worker.on('error', (err) => say(`  [worker] error: ${err.message}`));
    worker.on('socketConnect', (uid) => say(`  [worker] connected to ${uid}`));
    worker.addFunction(fn, reverseSlowly, { toStringEncoding: 'utf8' });
    await Promise.all(queued.map((q) => q.done));
    say(`  Completion order: ${order.join(', ')}`);

    say();
    say('4. A foreground job: the client gets partial data (workData) and progress before the result.');
    const job = client.submitJob(fn, 'the quick brown fox', { toStringEncoding: 'utf8' });
    job.on('workData', (data) => say(`  [client] workData: '${data}'`));
    job.on('status', (s) => say(`  [client] status: ${s.percent_done_num}/${s.percent_done_den}`));
    say(`  [client] result: '${await job.promise()}'`);

    say();
    say('5. A background job: the client only gets a handle, then asks the server for its status.');
    const bg = client.submitJob(fn, 'jumps over the lazy dog', { background: true });
    await bg.promise(); // for a background job: resolves once the server created it
    say(`  [client] background job created, handle ${bg.handle}`);
    const status = await followStatus(bg);
    say(`  [client] the server no longer knows the job (known=${status.known}): it has finished.`);
  } finally {
    say();
    say('6. Cleaning up');
    if (client && !(client instanceof Error)) client.close();
    if (worker && !(worker instanceof Error)) worker.close();
    say('  Client and worker closed.');
    if (gm.started) {
      await gm.stop();
      say(`  Stopped the gearmand this demo started on port ${port}.`);
    } else {
      say(`  The gearmand on port ${port} was already running; it keeps running.`);
    }
  }
  say();
  say('Demo finished. Next: node examples/reverse-worker.js, and node examples/reverse-client.js in another terminal.');
}

/** Polls getStatus every 40 ms and prints each change, until the server forgets the job. */
async function followStatus(job) {
  let last = '';
  for (;;) {
    const status = await new Promise((resolve, reject) => {
      job.once('status', resolve);
      const err = job.getStatus(); // returns an Error (and sends nothing) when misused
      if (err) reject(err);
    });
    const line = `known=${status.known}, running=${status.running}, ${status.percent_done_num}/${status.percent_done_den}`;
    if (line !== last) say(`  [client] status: ${line}`);
    last = line;
    if (!status.known) return status;
    await sleep(40);
  }
}

const watchdog = setTimeout(() => {
  console.error(`The demo did not finish within ${DEMO_TIMEOUT_MS / 1000} s; giving up.`);
  process.exit(1);
}, DEMO_TIMEOUT_MS);
watchdog.unref();

main().then(
  () => clearTimeout(watchdog),
  (err) => {
    console.error(`Demo failed: ${err.message}`);
    process.exit(1);
  },
);
