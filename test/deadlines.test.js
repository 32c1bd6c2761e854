'use strict';
// Every client job has an end (lib/internal/client-jobs.js, README "Deadlines, cancellation and
// shutdown"): the `timeout` and `signal` options of submitJob / submitJobAsync, client.shutdown(),
// and late packets of expired jobs, against real gearmand (the default one on 4730; a private one
// stopped with SIGSTOP when JOB_CREATED must come late).
const crypto = require('crypto');
const assert = require('assert');
const should = require('should');
const gearmanode = require('..');
const gearmand = require('./support/gearmand');
const loggers = require('../lib/logger');
const { defaultServer } = require('./support/hooks');
const { once, sleep, until } = require('./support/trace');

const fname = (p) => `${p}-${crypto.randomUUID()}`;
const ENDS = ['complete', 'failed', 'exception', 'error', 'timeout', 'close'];

/** Records the events of a job that end it, in order (with the code for `error`). */
function record(job, events = ENDS) {
  const seen = [];
  for (const e of events) job.on(e, (arg) => seen.push(e === 'error' ? `error:${arg.code}` : e));
  return seen;
}

/** Collects the debug lines of one logger while `fn` runs. */
async function debugLines(name, fn) {
  const lines = [];
  const level = loggers.getLevel();
  loggers.setLogger((lvl, message, meta) => { if (meta.logger === name && lvl === 'debug') lines.push(message); });
  loggers.setLevel('debug');
  try {
    await fn();
  } finally {
    loggers.setLevel(level);
    loggers.setLogger(null);
  }
  return lines;
}

describe('deadlines, cancellation and client shutdown', function () {
  let client;
  let worker;
  let clientErrors;
  beforeEach(function () {
    client = gearmanode.client({ port: defaultServer.port });
    worker = gearmanode.worker({ port: defaultServer.port });
    clientErrors = [];
    client.on('error', (e) => clientErrors.push(e));
  });
  afterEach(function () {
    client.close();
    worker.close();
  });

  describe('timeout option', function () {
    it('a job nobody works on emits timeout, then close; its promise rejects with GEARMAN_TIMEOUT', async function () {
      const job = client.submitJob(fname('nobody'), 'x', { timeout: 150 });
      const seen = record(job);
      await once(job, 'close');
      seen.should.eql(['timeout', 'close']);
      const err = await client.submitJobAsync(fname('nobody'), 'x', { timeout: 100 }).then(() => null, (e) => e);
      err.should.be.instanceOf(gearmanode.errors.GearmanError);
      err.code.should.equal('GEARMAN_TIMEOUT');
    });

    it('the late WORK_COMPLETE of a timed-out job is dropped quietly (debug log), not an unknown job', async function () {
      const fn = fname('slow');
      worker.addFunction(fn, (job) => setTimeout(() => job.workComplete('late'), 400));
      let job;
      const lines = await debugLines('Client', async () => {
        job = client.submitJob(fn, 'x', { timeout: 150 });
        const seen = record(job);
        await once(job, 'close');
        seen.should.eql(['timeout', 'close']);
        // The next job on the same connection still gets its own answers.
        (await client.submitJobAsync(fn, 'y', { toStringEncoding: 'utf8' })).should.equal('late');
      });
      clientErrors.should.eql([]);
      lines.filter((l) => l.startsWith('packet for an expired job dropped')).length.should.be.above(0);
    });

    it('a timeout racing a complete: each job gets exactly one terminal outcome', async function () {
      const fn = fname('race');
      worker.addFunction(fn, (job) => setTimeout(() => job.workComplete('done'), 100));
      const jobs = [];
      for (let i = 0; i < 20; i++) {
        const job = client.submitJob(fn, 'x', { timeout: 80 + 5 * i });
        jobs.push({ job, seen: record(job) });
      }
      await until(() => jobs.every((j) => j.seen.length > 0), 15000, 'every job to end');
      await sleep(300);
      for (const { seen } of jobs) {
        const ends = seen.filter((e) => e === 'complete' || e === 'timeout');
        ends.should.have.length(1);
        if (ends[0] === 'timeout') seen.should.eql(['timeout', 'close']);
        else seen.should.eql(['complete']);
      }
      clientErrors.should.eql([]);
    });

    it('a background job ends when created: its timeout never fires', async function () {
      const job = client.submitJob(fname('bg'), 'x', { background: true, timeout: 100 });
      const seen = record(job, ENDS.concat('created'));
      await once(job, 'created');
      await sleep(250);
      seen.should.eql(['created']);
    });

    it('a job that times out before JOB_CREATED: the late JOB_CREATED is taken for it, not for the next job', async function () {
      const server = await gearmand.start({ port: await gearmand.freePort(4740) });
      const c = gearmanode.client({ port: server.port, host: '127.0.0.1' });
      const w = gearmanode.worker({ port: server.port, host: '127.0.0.1' });
      try {
        const fn = fname('frozen');
        w.addFunction(fn, (job) => job.workComplete(job.payload));
        (await c.submitJobAsync(fn, 'warm', { toStringEncoding: 'utf8' })).should.equal('warm');
        server.kill('SIGSTOP');
        const job = c.submitJob(fn, 'expired', { timeout: 150 });
        const seen = record(job);
        await once(job, 'close');
        seen.should.eql(['timeout', 'close']);
        const next = c.submitJobAsync(fn, 'next', { toStringEncoding: 'utf8' });
        server.kill('SIGCONT');
        (await next).should.equal('next');
      } finally {
        server.kill('SIGCONT');
        c.close();
        w.close();
        await server.stop();
      }
    });

    it('is checked: a whole number of ms from 1 to 2147483647', function () {
      for (const bad of [0, -1, 1.5, '100', NaN, 2 ** 31]) {
        client.submitJob('f', 'x', { timeout: bad }).should.be.an.Error();
      }
    });
  });

  describe('signal option', function () {
    it('a signal aborted before the call: error AbortError, then close, and nothing is sent', async function () {
      const fn = fname('never');
      const ac = new AbortController();
      ac.abort(new Error('changed my mind'));
      const job = client.submitJob(fn, 'x', { signal: ac.signal });
      const errs = [];
      job.on('error', (e) => errs.push(e));
      const seen = record(job);
      await once(job, 'close');
      seen.should.eql(['error:ABORT_ERR', 'close']);
      errs[0].name.should.equal('AbortError');
      errs[0].cause.message.should.equal('changed my mind');
      const err = await client.submitJobAsync(fn, 'x', { signal: ac.signal }).then(() => null, (e) => e);
      err.code.should.equal('ABORT_ERR');
      const status = await gearmand.adminCommand(defaultServer.port, 'status');
      status.should.not.containEql(fn);
    });

    it('an abort during a job: error (cause: the reason), then close; the promise rejects; later packets are dropped', async function () {
      const fn = fname('held');
      let assigned;
      const started = new Promise((resolve) => { assigned = resolve; });
      worker.addFunction(fn, (job) => { assigned(); setTimeout(() => job.workComplete('too late'), 300); });
      const ac = new AbortController();
      const p = client.submitJobAsync(fn, 'x', { signal: ac.signal });
      await started;
      ac.abort('stop');
      const err = await p.then(() => null, (e) => e);
      err.name.should.equal('AbortError');
      err.code.should.equal('ABORT_ERR');
      should(err.cause).equal('stop');
      await sleep(400);
      clientErrors.should.eql([]);
    });

    it('is checked: an AbortSignal', function () {
      client.submitJob('f', 'x', { signal: {} }).should.be.an.Error();
      client.submitJob('f', 'x', { signal: new AbortController() }).should.be.an.Error();
    });
  });

  describe('client.shutdown({ timeout })', function () {
    it('lets jobs in flight end, times out the rest, refuses new jobs, then closes', async function () {
      const quick = fname('quick');
      const stuck = fname('stuck');
      const other = gearmanode.worker({ port: defaultServer.port });
      worker.addFunction(quick, (job) => setTimeout(() => job.workComplete('ok'), 50));
      other.addFunction(stuck, () => {});
      const a = client.submitJob(quick, 'a');
      const b = client.submitJob(stuck, 'b');
      const seenA = record(a);
      const seenB = record(b);
      await once(a, 'created');
      await once(b, 'created').catch(() => {});
      const closed = once(client, 'close');
      const done = client.shutdown({ timeout: 500 });
      const refused = client.submitJob(quick, 'c');
      const errs = [];
      refused.on('error', (e) => errs.push(e.code));
      (await done).should.eql({ timedOut: 1 });
      await closed;
      seenA.should.eql(['complete']);
      seenB.should.eql(['timeout', 'close']);
      errs.should.eql(['GEARMAN_CLOSED']);
      client.closed.should.be.true();
      other.close();
    });

    it('resolves at once on an idle client', async function () {
      (await client.shutdown({ timeout: 1000 })).should.eql({ timedOut: 0 });
      client.closed.should.be.true();
    });

    it('checks its timeout', async function () {
      const err = await client.shutdown({ timeout: -1 }).then(() => null, (e) => e);
      assert.ok(err instanceof Error);
    });
  });
});
