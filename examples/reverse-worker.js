'use strict';
// The classic Gearman worker: registers the function 'reverse' and answers every job with its
// payload reversed. It first mirrors the input as partial data (WORK_DATA), as gearmanode's README
// does, then completes the job.
//
//   node examples/reverse-worker.js              serve until Ctrl-C
//   node examples/reverse-worker.js --once       serve one job, then close and exit
//   node examples/reverse-worker.js --count 3    serve three jobs, then close and exit
//
// (Every worker registered for 'reverse' competes for the jobs: with another one running, --once
// may wait until Ctrl-C.)
//
// Then, in another terminal:  node examples/reverse-client.js "hello world"
//
// Environment: GEARMAN_HOST / GEARMAN_PORT (default localhost:4730), WORKER_COUNT (same as
// --count), GEARMANODE_EXAMPLE_SUFFIX (appended to the function name, so that concurrent runs of the
// examples do not serve each other's jobs).

const gearmanode = require('..');

const host = process.env.GEARMAN_HOST || 'localhost';
const port = Number(process.env.GEARMAN_PORT || 4730);
const fn = 'reverse' + (process.env.GEARMANODE_EXAMPLE_SUFFIX || '');

// --once, --count N (or WORKER_COUNT=N): how many jobs to serve; 0 means until Ctrl-C.
let limit = Number(process.env.WORKER_COUNT || 0);
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--once') limit = 1;
  else if (args[i] === '--count') limit = Number(args[++i]);
  else if (args[i].startsWith('--count=')) limit = Number(args[i].slice('--count='.length));
  else {
    console.error(`usage: node examples/reverse-worker.js [--once | --count N]  (unknown argument: ${args[i]})`);
    process.exit(2);
  }
}
if (!Number.isInteger(limit) || limit < 0) {
  console.error('--count wants a whole number of jobs (0: serve until Ctrl-C)');
  process.exit(2);
}

const worker = gearmanode.worker({ host, port });
let served = 0;

function stop(why) {
  console.log(`${why}: served ${served} job(s); closing the worker.`);
  worker.close(); // closes the connection: the process then ends by itself
}

worker.on('socketConnect', (uid) => console.log(`Connected to the job server ${uid}.`));
worker.on('socketError', (uid, err) => console.error(`Cannot reach the job server ${uid}: ${err.message}`));
// After an unexpected loss the worker reconnects by itself (options recoverTime, default 30 s, and
// recoverLimit, default 3 attempts in a row).
worker.on('socketDisconnect', (uid) => {
  if (worker.closed !== true) console.error(`Lost the job server ${uid}; reconnecting in ${worker.recoverTime / 1000} s.`);
});
worker.on('error', (err) => {
  console.error(`Worker error: ${err.message}`);
  // After the last reconnect attempt nothing is left to wait for: the process ends, with status 1.
  if (err.code === gearmanode.errors.CODES.RECONNECT_FAILED) process.exitCode = 1;
});

worker.addFunction(fn, (job) => {
  const text = job.payload.toString(); // the payload is a Buffer (no toStringEncoding given)
  const result = [...text].reverse().join(''); // by code point, so 'žluť' stays readable
  console.log(`Job ${job.handle}: '${text}' -> '${result}'`);
  job.sendWorkData(job.payload); // partial data: the client gets it as a 'workData' event
  job.workComplete(result);
  served++;
  if (limit > 0 && served >= limit) stop('Done');
});

console.log(`Worker serving '${fn}' on ${host}:${port}` +
  (limit > 0 ? `, for ${limit} job(s).` : ' until Ctrl-C.'));

process.on('SIGINT', () => stop('Interrupted'));
process.on('SIGTERM', () => stop('Terminated'));
