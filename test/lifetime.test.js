'use strict';
// Process lifetime: a program that opens connections and closes them ends by itself (nothing of the
// library keeps the event loop alive after close(): sockets, the core's threads and callbacks,
// timers). Run in a child process; it must exit with code 0 before a generous kill timer.
require('should');
const assert = require('assert');
const path = require('path');
const crypto = require('crypto');
const { spawn } = require('child_process');
const { defaultServer, REFUSED_PORT } = require('./support/hooks');

const ROOT = path.join(__dirname, '..');
const KILL_AFTER_CLOSE_MS = 5000;
const SETUP_LIMIT_MS = 20000;

/**
 * Runs `code` in a fresh node process. The child writes 'closed\n' to stdout once it has closed
 * everything; from then on it has KILL_AFTER_CLOSE_MS to exit by itself, or it is killed.
 * Resolves {code, signal, killed, stdout, stderr}.
 */
function runChild(code) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', code], {
      cwd: ROOT,
      env: Object.assign({}, process.env, { GEARMANODE_LOG: 'error' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = null;
    let killTimer = null;
    const kill = (why) => {
      killed = why;
      child.kill('SIGKILL');
    };
    const setupTimer = setTimeout(() => kill('setup took too long'), SETUP_LIMIT_MS);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      stdout += d;
      if (killTimer === null && stdout.includes('closed\n')) {
        clearTimeout(setupTimer);
        killTimer = setTimeout(() => kill('still running after close'), KILL_AFTER_CLOSE_MS);
      }
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (exitCode, signal) => {
      clearTimeout(setupTimer);
      clearTimeout(killTimer);
      resolve({ code: exitCode, signal, killed, stdout, stderr });
    });
  });
}

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
