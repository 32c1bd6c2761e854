'use strict';
// Panic safety: the core's connection task panics (the NativeSocket test hook `panicForTest`); the
// panic is caught inside the core and becomes an `error` event (code GEARMAN_INTERNAL) and `close`.
// It runs in a child process (test/support/panic-run.js) so that the exit code, the signal and stderr
// can be checked: no abort, the process keeps working (a job round trip through gearmand after the
// panics) and exits by itself, normally.

const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');
const { defaultServer } = require('../support/hooks');

const RUNNER = path.join(__dirname, '..', 'support', 'panic-run.js');

function runChild(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER], {
      // The panic hook is a test hook: refused unless GEARMANODE_TEST_HOOKS=1 when the addon loads.
      env: Object.assign({}, process.env, { PANIC_PORT: String(defaultServer.port), GEARMANODE_TEST_HOOKS: '1' }, env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child did not exit within 15 s; stdout: ${out}; stderr: ${err}`));
    }, 15000);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

describe('reliability: a panic in the core', function () {
  this.timeout(30000);
  let run;

  before(async function () {
    run = await runChild({ RUST_BACKTRACE: '1' });
  });

  it('becomes an error event (code GEARMAN_INTERNAL) then close(hadError=true), each time', function () {
    assert.strictEqual(run.signal, null, `killed by ${run.signal}; stderr: ${run.err}`);
    const result = JSON.parse(run.out.trim().split('\n').pop());
    assert.deepStrictEqual(result.uncaught, []);
    assert.strictEqual(result.panics.length, 5);
    for (const events of result.panics) {
      assert.deepStrictEqual(events, [
        { error: 'GEARMAN_INTERNAL', message: 'internal fault in the gearmanode core: panic requested by the test hook', isError: true },
        'close:true',
      ]);
    }
    // Logged through the library's logger, at level error.
    assert.strictEqual(result.logs.filter((l) => /^error gearmanode::binding connection task panicked/.test(l)).length, 5,
      JSON.stringify(result.logs));
  });

  it('leaves the process working (a job round trip through gearmand afterwards) and it exits normally by itself', function () {
    assert.strictEqual(run.signal, null, `killed by ${run.signal}; stderr: ${run.err}`);
    assert.strictEqual(run.code, 0, `exit code ${run.code}; stderr: ${run.err}`);
    const result = JSON.parse(run.out.trim().split('\n').pop());
    assert.strictEqual(result.roundTrip, 'pong:ping');
    assert.doesNotMatch(run.err, /abort|SIGABRT|Segmentation|FATAL ERROR|Uncaught/i);
  });

  it('writes nothing to stderr when the application routes the library\'s logs elsewhere (no raw Rust panic message)', function () {
    // The child sets a log sink (setLogger): every line of the library should go there. Rust's
    // default panic hook writes "thread '…' panicked at …" to stderr by itself, even for a panic
    // that the core catches.
    assert.strictEqual(run.err, '', `stderr: ${run.err}`);
  });
});
