'use strict';
// Soak: SOAK_JOBS jobs (default 20,000) through one client and two workers (child processes), run by
// test/support/soak-run.js in a process of its own (so its memory is the library's, not mocha's).
// Memory stays flat after warm-up, no process warning (MaxListenersExceededWarning …) appears, the
// internal maps are empty at the end and the listener counts do not grow; every process exits
// normally. The README's 1,000,000-job figure comes from the same script (see its header).

const assert = require('assert');
const path = require('path');
const { spawn } = require('child_process');

const RUNNER = path.join(__dirname, '..', 'support', 'soak-run.js');
const JOBS = Number(process.env.SOAK_JOBS || 20000);
/** Bounds after warm-up (RSS moves with the allocator; the heap after a full GC is the leak signal). */
const RSS_GROWTH_MB = 48;
const HEAP_GROWTH_MB = 8;

describe(`reliability: soak, ${JOBS} jobs through one client and two worker processes`, function () {
  this.timeout(Math.max(60000, JOBS * 3));
  let run;

  before(async function () {
    run = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', RUNNER, '--jobs', String(JOBS)], {
        env: Object.assign({}, process.env, { GEARMANODE_LOG: 'warn' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { err += d; });
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve({ code, signal, out, err }));
    });
    assert.strictEqual(run.code, 0, `soak run failed (exit ${run.code}, ${run.signal}): ${run.err}`);
    run.result = JSON.parse(run.out);
  });

  it('completes every job with the right response', function () {
    const r = run.result;
    assert.strictEqual(r.completed, JOBS);
    assert.strictEqual(r.failed, 0);
    assert.strictEqual(r.wrongResponses, 0);
    assert.deepStrictEqual(r.clientErrors, []);
    assert.strictEqual(r.workers.reduce((n, w) => n + w.jobs, 0), JOBS);
  });

  it(`keeps the client's memory flat after warm-up (RSS < +${RSS_GROWTH_MB} MB, heap after GC < +${HEAP_GROWTH_MB} MB)`, function () {
    const c = run.result.client;
    assert.strictEqual(run.result.gcExposed, true);
    assert.ok(c.rssGrowthMB < RSS_GROWTH_MB, JSON.stringify(c));
    assert.ok(c.heapGrowthMB < HEAP_GROWTH_MB, JSON.stringify(c));
  });

  it("keeps the workers' memory flat", function () {
    for (const w of run.result.workers) {
      if (w.rssWarmMB === null) continue; // a worker that did fewer than 1000 jobs has no warm figure
      assert.ok(w.rssEndMB - w.rssWarmMB < RSS_GROWTH_MB, JSON.stringify(w));
    }
  });

  it('emits no process warning (no MaxListenersExceededWarning) in the client or the workers', function () {
    assert.deepStrictEqual(run.result.warnings, []);
    for (const w of run.result.workers) assert.deepStrictEqual(w.warnings, []);
    assert.doesNotMatch(run.err, /Warning/);
  });

  it('leaves no internal state behind: client.jobs and jobsWaiting4Created empty, listener counts unchanged', function () {
    const { maps, mapsAtWarmup } = run.result;
    assert.strictEqual(maps.clientJobs, 0);
    assert.strictEqual(maps.jobsWaiting4Created, 0);
    assert.strictEqual(maps.connectQueue, 0);
    assert.strictEqual(maps.jobServerListeners, mapsAtWarmup.jobServerListeners);
    assert.strictEqual(maps.clientListeners, mapsAtWarmup.clientListeners);
    assert.strictEqual(maps.socketListeners, mapsAtWarmup.socketListeners);
  });

  it('ends with every process exiting normally by itself after close()', function () {
    assert.strictEqual(run.signal, null);
    for (const w of run.result.workers) {
      assert.strictEqual(w.exitCode, 0);
      assert.strictEqual(w.signal, null);
    }
  });
});
