'use strict';
// Child process of test/reliability/hostile.test.js: runs the library side of every hostile case
// (test/support/hostile-cases.js) against the fake servers the parent started, one after the other,
// and prints one JSON line per case. It never calls process.exit: once every client and worker is
// closed the process must end by itself, which is what the parent checks.
//
//   HOSTILE_PORTS='{"<case name>": port, ...}' node test/support/hostile-run.js

const path = require('path');
const { Recorder } = require('./recorder');
const { cases } = require('./hostile-cases');

const uncaught = [];
process.on('uncaughtException', (err) => {
  uncaught.push(String(err && err.stack ? err.stack : err));
  process.stdout.write(JSON.stringify({ uncaught: String(err && err.stack ? err.stack : err) }) + '\n');
  process.exitCode = 70;
});
process.on('unhandledRejection', (err) => {
  process.stdout.write(JSON.stringify({ uncaught: 'unhandledRejection: ' + String(err && err.stack ? err.stack : err) }) + '\n');
  process.exitCode = 71;
});

const g = require(path.join(__dirname, '..', '..'));
const ports = JSON.parse(process.env.HOSTILE_PORTS || '{}');

(async () => {
  for (const c of cases) {
    const port = ports[c.name];
    if (port === undefined) continue;
    const rec = new Recorder();
    let extra = {};
    let error = null;
    try {
      extra = (await c.run(g, port, rec)) || {};
    } catch (err) {
      error = String(err && err.stack ? err.stack : err);
    }
    process.stdout.write(JSON.stringify({ name: c.name, events: rec.events, extra, error }) + '\n');
  }
  process.stdout.write(JSON.stringify({ done: Date.now(), uncaught: uncaught.length }) + '\n');
})();
