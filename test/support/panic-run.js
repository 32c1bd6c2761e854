'use strict';
// Child process of test/reliability/panic.test.js. Makes the core's connection task panic (the
// NativeSocket test hook) several times, records what JavaScript sees, then shows that the core
// still works (a job round trip through the real gearmand), prints one JSON line and ends without
// process.exit: the process must exit by itself, normally.
//
//   GEARMANODE_TEST_HOOKS=1 PANIC_PORT=4730 node test/support/panic-run.js
//
// `panicForTest` is a test hook: without GEARMANODE_TEST_HOOKS=1 when the addon loads, connect()
// refuses it (GEARMAN_TEST_HOOKS_OFF).

const path = require('path');
const crypto = require('crypto');

const result = { panics: [], logs: [], uncaught: [], roundTrip: null };
process.on('uncaughtException', (err) => {
  result.uncaught.push(String(err && err.stack ? err.stack : err));
  process.exitCode = 70;
});

const g = require(path.join(__dirname, '..', '..'));
const { NativeSocket } = require(path.join(__dirname, '..', '..', 'lib', 'internal', 'native-socket'));

// Every log line of the library (the core's included) goes here, not to stderr.
g.setLogger((level, message, meta) => result.logs.push(`${level} ${meta && meta.logger} ${message}`));

const port = Number(process.env.PANIC_PORT || 4730);
const PANICS = 5;

function panicOnce() {
  return new Promise((resolve) => {
    const events = [];
    const s = new NativeSocket({ panicForTest: true });
    s.on('connect', () => events.push('connect'));
    s.on('error', (err) => events.push({ error: err.code, message: err.message, isError: err instanceof Error }));
    s.on('close', (hadError) => {
      events.push(`close:${hadError}`);
      resolve(events);
    });
    s.connect(port, '127.0.0.1');
  });
}

function roundTrip() {
  return new Promise((resolve) => {
    const name = 'panic-' + crypto.randomUUID();
    const worker = g.worker({ host: '127.0.0.1', port });
    const client = g.client({ host: '127.0.0.1', port });
    client.on('error', (e) => resolve('client error ' + e.message));
    worker.addFunction(name, (job) => job.workComplete('pong:' + job.payload.toString()));
    const job = client.submitJob(name, 'ping');
    job.on('error', (e) => resolve('job error ' + e.message));
    job.on('complete', () => {
      const r = job.response.toString();
      client.close();
      worker.close();
      resolve(r);
    });
  });
}

(async () => {
  for (let i = 0; i < PANICS; i++) result.panics.push(await panicOnce());
  result.roundTrip = await roundTrip();
  process.stdout.write(JSON.stringify(result) + '\n');
})();
