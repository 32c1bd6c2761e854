'use strict';
// Reduce jobs (beyond gearmanode 0.9.2): submitJob(name, payload, {reducer}) sends
// SUBMIT_REDUCE_JOB (SUBMIT_REDUCE_JOB_BACKGROUND with background: true); a worker made with
// {grabAll: true} asks with GRAB_JOB_ALL and gets JOB_ASSIGN_ALL for a reduce job, whose job
// carries `unique` and `reducer`. gearmand only carries the reducer's name to such a worker; what
// libgearman's workers make of it is in test/interop/extras.test.js.
const assert = require('assert');
const crypto = require('crypto');
const gearmanode = require('../lib/gearmanode');
const { Job } = require('../lib/gearmanode/job');
const protocol = require('../lib/gearmanode/protocol');
const { defaultServer } = require('./support/hooks');
const { once } = require('./support/trace');
const { closeAfterEach } = require('./support/close-after-each');

const P = protocol.PACKETS;
const fname = () => `reduce-${crypto.randomUUID()}`;

describe('reduce jobs (reducer) and grabAll workers', function () {
  this.timeout(15000);
  const keep = closeAfterEach();
  const client = () => keep(gearmanode.client({ servers: [defaultServer.server] }));
  const worker = (options) => keep(gearmanode.worker({ servers: [defaultServer.server], ...options }));

  /** Registers `fn` on `w`; resolves with the first job's fields, completing it with `result`. */
  function firstJob(w, fn, result) {
    return new Promise((resolve) => {
      w.addFunction(fn, (job) => {
        resolve({ name: job.name, unique: job.unique, reducer: job.reducer, payload: String(job.payload) });
        job.workComplete(result);
      });
    });
  }

  describe('options', function () {
    const owner = { _type: 'Client' };
    const job = (options) => new Job(owner, { name: 'f', payload: 'p', ...options });

    it('reducer picks SUBMIT_REDUCE_JOB, or its background form', function () {
      assert.strictEqual(job({ reducer: 'r' }).getPacketType(), P.SUBMIT_REDUCE_JOB.code);
      assert.strictEqual(job({ reducer: 'r', background: true }).getPacketType(), P.SUBMIT_REDUCE_JOB_BACKGROUND.code);
      assert.strictEqual(job({ reducer: 'r' }).reducer, 'r');
    });

    it('an empty or non-string reducer, NUL, over 64 bytes, or another priority is a returned Error', function () {
      const c = client();
      const cases = [
        [{ reducer: '' }, /invalid reducer/],
        [{ reducer: 7 }, /invalid reducer/],
        [{ reducer: Buffer.from('r') }, /invalid reducer/],
        [{ reducer: 'a\0b' }, /reducer contains NUL/],
        [{ reducer: 'r'.repeat(65) }, /reducer is 65 bytes long, the server accepts at most 64/],
        [{ reducer: 'r', priority: 'LOW' }, /reducer needs priority NORMAL.*LOW/],
      ];
      for (const [options, re] of cases) {
        const r = c.submitJob('f', 'p', options);
        assert.ok(r instanceof Error, `${JSON.stringify(options)} gave ${r}`);
        assert.match(r.message, re);
      }
      assert.strictEqual(c.submitJob('f', 'p', { reducer: 'r'.repeat(65) }).code, 'GEARMAN_ARGUMENT_TOO_LARGE');
      assert.strictEqual(c.jobServers[0].connected, false, 'nothing was sent');
    });

    it('grabAll must be a boolean; the caller\'s options object is left as it was', function () {
      const bad = gearmanode.worker({ port: defaultServer.refusedPort, grabAll: 'yes' });
      assert.ok(bad instanceof Error);
      assert.strictEqual(bad.message, "value 'yes' not in defined range, key=grabAll");
      const options = { port: defaultServer.refusedPort, grabAll: true };
      keep(gearmanode.worker(options));
      assert.deepStrictEqual(options, { port: defaultServer.refusedPort, grabAll: true });
    });
  });

  describe('on gearmand', function () {
    it('a reduce job reaches a grabAll worker with its reducer and unique id; the result reaches the client', async function () {
      const fn = fname();
      const w = worker({ grabAll: true });
      const got = firstJob(w, fn, 'mapped and reduced');
      const job = client().submitJob(fn, 'the data', { reducer: 'my-reducer', unique: 'r-1' });
      assert.deepStrictEqual(await got, { name: fn, unique: 'r-1', reducer: 'my-reducer', payload: 'the data' });
      await once(job, 'complete');
      assert.strictEqual(String(job.response), 'mapped and reduced');
    });

    it('a background reduce job too (without a unique id: an empty one, gearmand makes none up)', async function () {
      const fn = fname();
      const w = worker({ grabAll: true });
      const got = firstJob(w, fn);
      const job = client().submitJob(fn, 'bg data', { reducer: 'bg-reducer', background: true });
      await once(job, 'created');
      const j = await got;
      assert.strictEqual(j.reducer, 'bg-reducer');
      assert.strictEqual(j.payload, 'bg data');
      assert.strictEqual(j.unique, '');
    });

    it('a grabAll worker gets other jobs with their unique id and no reducer', async function () {
      const fn = fname();
      const w = worker({ grabAll: true });
      const got = firstJob(w, fn, 'ok');
      client().submitJob(fn, 'plain', { unique: 'plain-1' });
      assert.deepStrictEqual(await got, { name: fn, unique: 'plain-1', reducer: undefined, payload: 'plain' });
    });

    it('a worker without grabAll gets a reduce job as an ordinary job', async function () {
      const fn = fname();
      const w = worker();
      const got = firstJob(w, fn, 'plain result');
      const job = client().submitJob(fn, 'x', { reducer: 'ignored', unique: 'r-2' });
      assert.deepStrictEqual(await got, { name: fn, unique: undefined, reducer: undefined, payload: 'x' });
      await once(job, 'complete');
      assert.strictEqual(String(job.response), 'plain result');
    });

    it('grabAll with a concurrency limit: several reduce jobs run at once', async function () {
      const fn = fname();
      const w = worker({ grabAll: true, concurrency: 3 });
      const held = [];
      let release;
      const all = new Promise((r) => (release = r));
      w.addFunction(fn, (job) => {
        held.push(job);
        if (held.length === 3) release();
      });
      const c = client();
      const jobs = [1, 2, 3].map((i) => c.submitJob(fn, `d${i}`, { reducer: 'r', unique: `c-${i}` }));
      await all;
      assert.deepStrictEqual(held.map((j) => [j.unique, j.reducer]).sort(), [['c-1', 'r'], ['c-2', 'r'], ['c-3', 'r']]);
      for (const j of held) j.workComplete('done');
      await Promise.all(jobs.map((j) => once(j, 'complete')));
    });
  });
});
