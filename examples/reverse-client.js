'use strict';
// The classic Gearman client: submits 'reverse' jobs and prints the partial data and the result of
// each. Start a worker first (node examples/reverse-worker.js), then:
//
//   node examples/reverse-client.js                      one job: 'hello world!'
//   node examples/reverse-client.js abc "žluťoučký kůň"  one job per argument
//
// Exits 0 once every job completed, 1 if a job failed or no worker answered within 10 s
// (REVERSE_TIMEOUT_MS changes that).
//
// Environment: GEARMAN_HOST / GEARMAN_PORT (default localhost:4730), GEARMANODE_EXAMPLE_SUFFIX
// (appended to the function name, see reverse-worker.js).

const gearmanode = require('..');

const host = process.env.GEARMAN_HOST || 'localhost';
const port = Number(process.env.GEARMAN_PORT || 4730);
const fn = 'reverse' + (process.env.GEARMANODE_EXAMPLE_SUFFIX || '');
const timeoutMs = Number(process.env.REVERSE_TIMEOUT_MS || 10000);
const texts = process.argv.length > 2 ? process.argv.slice(2) : ['hello world!'];

const client = gearmanode.client({ host, port });
let pending = texts.length;
let failures = 0;

// A socket problem: the job's own events say what happened to it.
client.on('socketError', (uid, err) => console.error(`Cannot reach the job server ${uid}: ${err.message}`));
client.on('error', (err) => console.error(`Client error: ${err.message}`));

// If no worker serves the function, a foreground job simply waits in the server's queue: give up
// after a while instead of waiting forever.
const timer = setTimeout(() => {
  console.error(`No answer within ${timeoutMs} ms for ${pending} job(s): is a worker for '${fn}' running?` +
    ' (node examples/reverse-worker.js)');
  process.exitCode = 1;
  client.close();
}, timeoutMs);

function finished(ok) {
  if (!ok) failures++;
  if (--pending === 0) {
    clearTimeout(timer);
    console.log(`All ${texts.length} job(s) answered${failures ? `, ${failures} failed` : ''}; closing the client.`);
    if (failures) process.exitCode = 1;
    client.close();
  }
}

for (const text of texts) {
  // toStringEncoding: job.response and the workData are strings instead of Buffers.
  const job = client.submitJob(fn, text, { toStringEncoding: 'utf8' });
  if (job instanceof Error) throw job; // invalid arguments are returned, not thrown
  job.on('created', () => console.log(`Submitted '${text}' to ${job.jobServerUid}, handle ${job.handle}`));
  job.on('workData', (data) => console.log(`  partial data for '${text}': '${data}'`));
  job.on('complete', () => {
    console.log(`Result: '${text}' -> '${job.response}'`);
    finished(true);
  });
  job.on('failed', () => {
    console.log(`Job '${text}' failed.`);
    finished(false);
  });
  job.on('error', (err) => {
    console.log(`Job '${text}' could not be run: ${err.message}`);
    finished(false);
  });
}
