'use strict';
// Where the core's I/O thread runs (docs/ARCHITECTURE.md#placement): it follows the CPU of the JS
// thread that takes its events, stays inside the process's CPU set, and keeps the process's set
// when following is off (GEARMANODE_IO_AFFINITY=off, more than one I/O thread) or stops (events
// for a second JS thread). Each case runs in a child process, since the core reads its environment
// once when it loads; what the child reports is read from /proc, not from the core alone.
require('should');
const assert = require('assert');
const os = require('os');
const { runChild } = require('./support/run-child');
const { defaultServer } = require('./support/hooks');

const LIMIT_MS = 20000;

/** `0-2,5` → [0, 1, 2, 5]. */
function cpuList(text) {
  const out = [];
  for (const part of text.trim().split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a; c <= (b === undefined ? a : b); c++) out.push(c);
  }
  return out;
}

// The child: a worker and a client in this process doing `jobs` jobs one after the other (each
// job is at least two deliveries), then what the core says and what /proc says of its threads.
const CHILD_LIB = `
  const fs = require('fs');
  const g = require('./lib/gearmanode');
  const native = g; // ioThreadPlacement() is an extra of the main module
  const server = { host: ${JSON.stringify(defaultServer.host)}, port: ${defaultServer.port} };
  function allowed(status) { return /^Cpus_allowed_list:\\s*(\\S+)/m.exec(status)[1]; }
  const taskAllowed = (t) => allowed(fs.readFileSync('/proc/self/task/' + t + '/status', 'utf8'));
  // The runtime's threads (its I/O thread, and the blocking-pool threads that resolve host names).
  function runtimeThreads() {
    return fs.readdirSync('/proc/self/task')
      .filter((t) => fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim() === 'gearmanode-io')
      .map(taskAllowed);
  }
  function report() {
    const placement = native.ioThreadPlacement();
    return {
      placement,
      io: placement.thread > 0 ? taskAllowed(placement.thread) : null,
      runtime: runtimeThreads(),
      process: allowed(fs.readFileSync('/proc/self/status', 'utf8')),
    };
  }
  function runJobs(jobs) {
    const fn = 'fn-' + Math.random().toString(36).slice(2);
    const worker = g.worker({ servers: [server] });
    const client = g.client({ servers: [server] });
    worker.addFunction(fn, (job) => job.workComplete(job.payload));
    return new Promise((resolve, reject) => {
      let left = jobs;
      const next = () => {
        const job = client.submitJob(fn, 'x' + left);
        job.on('error', reject);
        job.on('complete', () => {
          if (--left > 0) return next();
          worker.close();
          client.close();
          resolve();
        });
      };
      next();
    });
  }
`;

async function child(body, env) {
  const r = await runChild(CHILD_LIB + body, { setupMs: LIMIT_MS, env });
  assert.strictEqual(r.killed, null, 'killed: ' + r.killed + '\n' + r.stdout + r.stderr);
  assert.strictEqual(r.code, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, 'no report: ' + r.stdout + r.stderr);
  return JSON.parse(line);
}

const REPORT_AFTER = (jobs) => `
  runJobs(${jobs}).then(() => process.stdout.write(JSON.stringify(report()) + '\\nclosed\\n'),
    (e) => { console.error(e); process.exit(1); });`;

describe('placement of the core I/O thread', function () {
  this.timeout(LIMIT_MS + 10000);
  before(function () {
    if (process.platform !== 'linux') this.skip(); // placement is Linux only (src/binding/affinity.rs)
  });

  it('by default follows the JS thread: it moved at least once, and /proc shows it where the core says it is', async function () {
    const r = await child(REPORT_AFTER(40));
    r.placement.following.should.equal(true);
    r.placement.moves.should.be.aboveOrEqual(1);
    r.placement.thread.should.be.above(0);
    if (r.placement.cpu >= 0) {
      // Pinned beside the JS thread: one CPU, of the process's set.
      cpuList(r.io).should.eql([r.placement.cpu]);
      cpuList(r.process).should.containEql(r.placement.cpu);
      r.placement.cpu.should.be.below(os.cpus().length);
    } else {
      // Left the JS thread for now (it was busy, or kept changing CPUs): the process's set again.
      r.io.should.equal(r.process);
    }
    // Only the I/O thread is ever placed (not the runtime's name-resolving threads).
    r.runtime.filter((set) => set !== r.process).length.should.be.belowOrEqual(1);
  });

  it('GEARMANODE_IO_AFFINITY=off: the I/O thread keeps the process set and never moves', async function () {
    const r = await child(REPORT_AFTER(40), { GEARMANODE_IO_AFFINITY: 'off' });
    r.placement.should.eql({ following: false, cpu: -1, moves: 0, pauses: 0, thread: -1 });
    r.runtime.should.not.be.empty();
    r.runtime.forEach((set) => set.should.equal(r.process));
  });

  it('GEARMANODE_IO_THREADS=2: neither I/O thread is placed', async function () {
    const r = await child(REPORT_AFTER(40), { GEARMANODE_IO_THREADS: '2' });
    r.placement.should.eql({ following: false, cpu: -1, moves: 0, pauses: 0, thread: -1 });
    r.runtime.length.should.be.aboveOrEqual(2);
    r.runtime.forEach((set) => set.should.equal(r.process));
  });

  it('events for a second JS thread (worker_threads): following stops and the I/O thread gets the process set back', async function () {
    const r = await child(`
      const { Worker } = require('worker_threads');
      (async () => {
        await runJobs(20);
        const followed = native.ioThreadPlacement();
        const t = new Worker(${JSON.stringify(CHILD_LIB)} + 'runJobs(20).then(() => process.exit(0));',
          { eval: true });
        await new Promise((resolve, reject) => { t.on('exit', resolve); t.on('error', reject); });
        await runJobs(20); // the I/O thread restores its set as it hands over the next events
        process.stdout.write(JSON.stringify(Object.assign(report(), { followed })) + '\\nclosed\\n');
      })().catch((e) => { console.error(e); process.exit(1); });`);
    r.followed.following.should.equal(true);
    r.followed.moves.should.be.aboveOrEqual(1);
    r.placement.following.should.equal(false);
    r.placement.cpu.should.equal(-1);
    r.placement.thread.should.equal(r.followed.thread);
    r.io.should.equal(r.process);
  });
});
