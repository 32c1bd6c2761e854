'use strict';
// Scheduled jobs (beyond gearmanode 0.9.2): submitJob(name, payload, {background: true, runAt})
// with runAt a Date or a Unix time in seconds sends SUBMIT_JOB_EPOCH; the job is created at once
// and gearmand holds it until its time. The options' rules first, then the real gearmand.
//
// gearmand 1.1.20 does not wake a sleeping worker when a scheduled job falls due (later versions
// arm a timer for it): the job goes to the first worker that asks after its time. Here the worker
// is woken by another job of the same function, before the time (it gets that job, not the
// scheduled one) and after it (it gets the scheduled job first: it was queued first).
const assert = require('assert');
const util = require('util');
const crypto = require('crypto');
const gearmanode = require('../lib/gearmanode');
const { Job } = require('../lib/gearmanode/job');
const protocol = require('../lib/gearmanode/protocol');
const gearmand = require('./support/gearmand');
const { defaultServer } = require('./support/hooks');
const { once, until } = require('./support/trace');
const { closeAfterEach } = require('./support/close-after-each');

const EPOCH = protocol.PACKETS.SUBMIT_JOB_EPOCH.code;
const fname = () => `sched-${crypto.randomUUID()}`;

describe('scheduled jobs (runAt)', function () {
  this.timeout(20000);
  const keep = closeAfterEach();
  const client = () => keep(gearmanode.client({ servers: [defaultServer.server] }));

  describe('options', function () {
    const c = { _type: 'Client' };
    const job = (options) => new Job(c, { name: 'f', payload: 'p', ...options });

    it('a Date or a number of seconds gives SUBMIT_JOB_EPOCH and job.runAt in whole seconds, rounded up', function () {
      const j1 = job({ background: true, runAt: new Date(1700000000001) });
      assert.strictEqual(j1.getPacketType(), EPOCH);
      assert.strictEqual(j1.runAt, 1700000001);
      assert.strictEqual(job({ background: true, runAt: 1700000000 }).runAt, 1700000000);
      assert.strictEqual(job({ background: true, runAt: 1700000000.2 }).runAt, 1700000001);
      assert.strictEqual(job({ background: true, runAt: -0.5 }).runAt, 0);
      assert.ok(!Object.is(job({ background: true, runAt: -0.5 }).runAt, -0));
    });

    it('runAt: undefined is no runAt: the job is as gearmanode 0.9.2 made it', function () {
      const j = job({ background: true, runAt: undefined, reducer: undefined });
      assert.ok(!('runAt' in j) && !('reducer' in j));
      assert.strictEqual(j.getPacketType(), protocol.PACKET_TYPES.SUBMIT_JOB_BG);
    });

    it('a foreground job, another priority, a reducer or an invalid time is a returned Error', function () {
      const c2 = client();
      const at = new Date(Date.now() + 60000);
      const cases = [
        [{ runAt: at }, /runAt needs background: true/],
        [{ background: false, runAt: at }, /runAt needs background: true/],
        [{ background: true, priority: 'HIGH', runAt: at }, /runAt needs priority NORMAL.*HIGH/],
        [{ background: true, runAt: at, reducer: 'r' }, /runAt and reducer cannot be combined/],
        [{ background: true, runAt: new Date(NaN) }, /invalid runAt: .*an invalid Date/],
        [{ background: true, runAt: NaN }, /invalid runAt/],
        [{ background: true, runAt: Infinity }, /invalid runAt/],
        [{ background: true, runAt: 2 ** 53 + 2 }, /invalid runAt/],
        [{ background: true, runAt: '1700000000' }, /invalid runAt: .*'1700000000'/],
        [{ background: true, runAt: 1700000000n }, /invalid runAt/],
        [{ background: true, runAt: { valueOf: () => 1 } }, /invalid runAt/],
      ];
      for (const [options, re] of cases) {
        const r = c2.submitJob('f', 'p', options);
        assert.ok(r instanceof Error, `${util.inspect(options)} gave ${r}`);
        assert.match(r.message, re);
      }
      assert.strictEqual(c2.jobServers[0].connected, false, 'nothing was sent');
    });
  });

  describe('on gearmand', function () {
    it('a job scheduled 2 s ahead is created at once, not given to an idle worker before its time, and given after it', async function () {
      const fn = fname();
      const unique = `sched-${crypto.randomUUID()}`;
      const got = [];
      const worker = keep(gearmanode.worker({ servers: [defaultServer.server] }));
      worker.addFunction(fn, (job) => {
        got.push({ payload: String(job.payload), at: Date.now() });
        job.workComplete();
      });
      const c = client();
      // The worker is registered and asleep before the job comes.
      await until(async () => (await gearmandStatus(fn)).workers === 1, 8000, 'the worker registered');

      const runAt = Math.ceil(Date.now() / 1000) + 2;
      const job = c.submitJob(fn, 'scheduled', { background: true, runAt, unique });
      assert.strictEqual(job.getPacketType(), EPOCH);
      await once(job, 'created');
      const before = await c.getStatusUnique(unique);
      assert.deepStrictEqual([before.known, before.running], [true, false]);

      // Before its time: a job of the same function wakes the worker, which gets that job only.
      const probe1 = c.submitJob(fn, 'probe before', { background: true });
      await once(probe1, 'created');
      await until(() => got.length === 1, 8000, 'the first probe');
      assert.deepStrictEqual(got.map((g) => g.payload), ['probe before']);
      if (Date.now() < runAt * 1000) {
        const still = await c.getStatusUnique(unique);
        assert.deepStrictEqual([still.known, still.running], [true, false]);
      }

      // After its time: the next worker that asks gets it (first: it was queued first).
      await until(() => Date.now() >= runAt * 1000 + 100, 8000, 'the scheduled time');
      c.submitJob(fn, 'probe after', { background: true });
      await until(() => got.length === 3, 8000, 'the scheduled job and the second probe');
      assert.deepStrictEqual(got.map((g) => g.payload), ['probe before', 'scheduled', 'probe after']);
      assert.ok(got[1].at >= runAt * 1000, 'the scheduled job reached the worker after its time');
      assert.ok(got[0].at < runAt * 1000, 'the first probe ran before that time (a slow machine?)');
      await until(async () => !(await c.getStatusUnique(unique)).known, 8000, 'the job forgotten');
    });

    it('with pollInterval, a sleeping worker gets a scheduled job after its time with no other job to wake it', async function () {
      const fn = fname();
      const got = [];
      const worker = keep(gearmanode.worker({ servers: [defaultServer.server], pollInterval: 250 }));
      worker.addFunction(fn, (job) => {
        got.push(Date.now());
        job.workComplete();
      });
      const c = client();
      await until(async () => (await gearmandStatus(fn)).workers === 1, 8000, 'the worker registered');
      const runAt = Math.ceil(Date.now() / 1000) + 2;
      const job = c.submitJob(fn, 'scheduled', { background: true, runAt });
      await once(job, 'created');
      await until(() => got.length === 1, 8000, 'the scheduled job to reach the worker');
      assert.ok(got[0] >= runAt * 1000, 'the scheduled job reached the worker after its time');
      assert.ok(got[0] < runAt * 1000 + 2000, 'within a few polls of its time');
    });

    it('without pollInterval a sleeping worker is not woken by a scheduled job (gearmand 1.1.20 sends no NOOP)', async function () {
      const fn = fname();
      const got = [];
      const worker = keep(gearmanode.worker({ servers: [defaultServer.server] }));
      worker.addFunction(fn, (job) => {
        got.push(String(job.payload));
        job.workComplete();
      });
      const c = client();
      await until(async () => (await gearmandStatus(fn)).workers === 1, 8000, 'the worker registered');
      const runAt = Math.ceil(Date.now() / 1000) + 1;
      await once(c.submitJob(fn, 'scheduled', { background: true, runAt }), 'created');
      await until(() => Date.now() >= runAt * 1000 + 1500, 8000, 'well past its time');
      assert.deepStrictEqual(got, []);
      // The next NOOP (another job of the function) wakes it, and it gets the scheduled job first.
      c.submitJob(fn, 'wake', { background: true });
      await until(() => got.length === 2, 8000, 'both jobs');
      assert.deepStrictEqual(got, ['scheduled', 'wake']);
    });

    it('checks pollInterval: whole ms from 100', function () {
      for (const bad of [0, 99, 1.5, '500', true]) {
        assert.ok(gearmanode.worker({ servers: [defaultServer.server], pollInterval: bad }) instanceof Error, String(bad));
      }
    });

    it('a time in the past runs at once; a worker asking later gets it', async function () {
      const fn = fname();
      const c = client();
      const job = c.submitJob(fn, 'late', { background: true, runAt: new Date(Date.now() - 3600e3) });
      await once(job, 'created');
      const worker = keep(gearmanode.worker({ servers: [defaultServer.server] }));
      const got = new Promise((resolve) => worker.addFunction(fn, (j) => {
        j.workComplete();
        resolve(String(j.payload));
      }));
      assert.strictEqual(await got, 'late');
    });

    it('the same unique id scheduled twice is one job', async function () {
      // A private gearmand: the job an hour ahead stays queued until the server stops.
      const server = await gearmand.start();
      try {
        const fn = fname();
        const unique = `sched-${crypto.randomUUID()}`;
        const c = keep(gearmanode.client({ host: server.host, port: server.port }));
        const runAt = new Date(Date.now() + 3600e3);
        const a = c.submitJob(fn, 'a', { background: true, runAt, unique });
        const b = c.submitJob(fn, 'b', { background: true, runAt, unique });
        await Promise.all([once(a, 'created'), once(b, 'created')]);
        assert.strictEqual(a.handle, b.handle);
        assert.strictEqual((await gearmandStatus(fn, server.port)).total, 1);
      } finally {
        await server.stop();
      }
    });
  });
});

/** The admin `status` line of `fn` (default server unless `port`): {total, running, workers}. */
async function gearmandStatus(fn, port = defaultServer.port) {
  const text = await gearmand.adminCommand(port, 'status');
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f[0] === fn) return { total: Number(f[1]), running: Number(f[2]), workers: Number(f[3]) };
  }
  return { total: 0, running: 0, workers: 0 };
}
