'use strict';
// Process lifetime: a program that opens connections and closes them ends by itself (nothing of the
// library keeps the event loop alive after close(): sockets, the core's threads and callbacks,
// timers). Run in a child process; it must exit with code 0 before a generous kill timer.
require('should');
const assert = require('assert');
const crypto = require('crypto');
const { runChild: runChildProcess } = require('./support/run-child');
const { defaultServer, REFUSED_PORT } = require('./support/hooks');

const KILL_AFTER_CLOSE_MS = 5000;
const SETUP_LIMIT_MS = 20000;

const runChild = (code) => runChildProcess(code, { setupMs: SETUP_LIMIT_MS, exitMs: KILL_AFTER_CLOSE_MS });

describe('process lifetime', function () {
  this.timeout(SETUP_LIMIT_MS + KILL_AFTER_CLOSE_MS + 5000);

  it('a client and a worker doing a job, plus a refused connection, then close(): the process exits by itself', async function () {
    const fn = 'fn-' + crypto.randomUUID();
    const r = await runChild(`
      const g = require('./lib/gearmanode');
      const server = { host: ${JSON.stringify(defaultServer.host)}, port: ${defaultServer.port} };
      const worker = g.worker({ servers: [server] });
      const client = g.client({ servers: [server] });
      const refused = g.client({ servers: [{ host: 'localhost', port: ${REFUSED_PORT} }] });
      refused.on('error', () => {});
      worker.addFunction(${JSON.stringify(fn)}, (job) => job.workComplete('done:' + job.payload));
      const job = client.submitJob(${JSON.stringify(fn)}, 'x');
      job.on('complete', () => {
        const response = job.response.toString();
        const failing = refused.submitJob('nothing', 'y');
        failing.on('error', (err) => {
          worker.close();
          client.close();
          refused.close();
          process.stdout.write(response + ' ' + err.message + '\\nclosed\\n');
        });
      });`);
    assert.strictEqual(r.killed, null, 'killed: ' + r.killed + '\n' + r.stdout + r.stderr);
    assert.strictEqual(r.signal, null, r.stderr);
    assert.strictEqual(r.code, 0, r.stderr);
    r.stdout.should.equal('done:x all job servers fail\nclosed\n');
  });

  it('a worker whose server refused the connection (a reconnect pending), then close(): the process exits by itself', async function () {
    const r = await runChild(`
      const g = require('./lib/gearmanode');
      const worker = g.worker({ servers: [{ host: 'localhost', port: ${REFUSED_PORT} }], recoverTime: 60000 });
      worker.on('error', () => {});
      worker.once('socketDisconnect', () => setImmediate(() => {
        const pending = process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
        worker.close();
        process.stdout.write('timers before close: ' + pending + '\\nclosed\\n');
      }));
      worker.addFunction('fn-never-called', () => {});`);
    assert.strictEqual(r.killed, null, 'killed: ' + r.killed + '\n' + r.stdout + r.stderr);
    assert.strictEqual(r.signal, null, r.stderr);
    assert.strictEqual(r.code, 0, r.stderr);
    r.stdout.should.match(/^timers before close: [1-9]\d*\nclosed\n$/); // the reconnect timer was pending
  });
});
