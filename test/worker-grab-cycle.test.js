'use strict';
// The default worker's grab cycle (docs/COMPATIBILITY.md#grab-cycle): after answering a job it asks
// for the next one at once (GRAB_JOB, or GRAB_JOB_UNIQ with withUnique, in the same write as the
// answer) and sends PRE_SLEEP only after NO_JOB; one job at a time. What gearmanode 0.9.2's users
// see stays: `_preSleep` is called once after addFunction and once per answered job, a worker-side
// job makes one send call of its own, and an idle worker sleeps (PRE_SLEEP, then NOOP) as before.
// Seen on the wire through a recording relay to the real gearmand on 4730, and through spies.
const should = require('should');
const sinon = require('sinon');
const crypto = require('crypto');
const gearmanode = require('..');
const { Worker } = require('../lib/gearmanode/worker');
const { Job } = require('../lib/gearmanode/job');
const owner = require('../lib/internal/owner');
const wireTap = require('./support/wire-tap');
const trace = require('./support/trace');
const { defaultServer } = require('./support/hooks');

// Packet types, written out.
const CAN_DO = 1;
const PRE_SLEEP = 4;
const NOOP = 6;
const GRAB_JOB = 9;
const NO_JOB = 10;
const JOB_ASSIGN = 11;
const WORK_COMPLETE = 13;
const WORK_FAIL = 14;
const GRAB_JOB_UNIQ = 30;
const JOB_ASSIGN_UNIQ = 31;

const fnName = () => `fn-grab-${crypto.randomUUID()}`;
const typeOf = (b) => b.readUInt32BE(4);
const sentTypes = (spy) => spy.args.map((a) => typeOf(a[0]));
const label = (p) => `${p.from === 'peer' ? '>' : '<'}${p.type}`;

describe('worker grab cycle (COMPATIBILITY.md#grab-cycle)', function () {
  const opened = [];
  const keep = (x) => {
    opened.push(x);
    return x;
  };
  afterEach(async function () {
    sinon.restore();
    while (opened.length) {
      const x = opened.pop();
      if (typeof x.close === 'function') await x.close();
    }
  });

  /** A worker through a recording relay, `fn` registered; a client straight to gearmand. */
  async function throughTap(fn, workerOptions = {}) {
    const tap = keep(await wireTap.start(defaultServer.port));
    const w = keep(new Worker(Object.assign({ host: '127.0.0.1', port: tap.port }, workerOptions)));
    const c = keep(gearmanode.client({ port: defaultServer.port }));
    const name = fnName();
    w.addFunction(name, fn);
    await tap.until((ps) => ps.some((p) => p.from === 'peer' && p.type === PRE_SLEEP), 'registration');
    return { tap, w, c, name };
  }

  /** The packets after the index-th packet of the peer of type `type` (-1: the last one). */
  function after(tap, type, index = -1) {
    const at = tap.packets.map((p, i) => [p, i]).filter(([p]) => p.from === 'peer' && p.type === type);
    return tap.packets.slice(at.at(index)[1] + 1).map(label);
  }

  for (const withUnique of [false, true]) {
    const G = withUnique ? GRAB_JOB_UNIQ : GRAB_JOB;
    const A = withUnique ? JOB_ASSIGN_UNIQ : JOB_ASSIGN;

    it(`on the wire (withUnique ${withUnique}): an idle worker sleeps; a job wakes it with NOOP; after WORK_COMPLETE comes ${withUnique ? 'GRAB_JOB_UNIQ' : 'GRAB_JOB'} in the same write, PRE_SLEEP only after NO_JOB`, async function () {
      const { tap, c, name } = await throughTap((job) => job.workComplete('ok'), { withUnique });
      tap.sent().should.eql([CAN_DO, PRE_SLEEP]);
      for (let i = 0; i < 3; i++) {
        const start = tap.packets.length;
        (await c.submitJobAsync(name, String(i), { toStringEncoding: 'utf8' })).should.equal('ok');
        // Nothing else is queued, so the worker goes back to sleep before the next submit.
        await tap.until((ps) => ps.length > start && ps.at(-1).from === 'peer' && ps.at(-1).type === PRE_SLEEP,
          `PRE_SLEEP after job ${i}`);
        tap.packets.slice(start).map(label).should.eql(
          [`<${NOOP}`, `>${G}`, `<${A}`, `>${WORK_COMPLETE}`, `>${G}`, `<${NO_JOB}`, `>${PRE_SLEEP}`]);
        const wc = tap.packets.slice(start).filter((p) => p.from === 'peer' && (p.type === WORK_COMPLETE || p.type === G));
        wc[1].chunk.should.equal(wc[2].chunk); // WORK_COMPLETE and the next GRAB left in one write
      }
      tap.malformed.should.eql([]);
    });
  }

  it('on the wire, 30 jobs queued before the worker comes: one job at a time, a GRAB right after each answer, no NOOP or PRE_SLEEP between jobs', async function () {
    const c = keep(gearmanode.client({ port: defaultServer.port }));
    const name = fnName();
    const jobs = [];
    for (let i = 0; i < 30; i++) jobs.push(c.submitJob(name, String(i), { toStringEncoding: 'utf8' }));
    await Promise.all(jobs.map((j) => trace.once(j, 'created')));
    const results = jobs.map((j) => trace.once(j, 'complete').then(() => j.response));
    const tap = keep(await wireTap.start(defaultServer.port));
    const w = keep(new Worker({ host: '127.0.0.1', port: tap.port }));
    let running = 0;
    let peak = 0;
    w.addFunction(name, (job) => {
      running++;
      peak = Math.max(peak, running);
      setImmediate(() => {
        running--;
        job.workComplete(job.payload);
      });
    });
    (await Promise.all(results)).should.eql(Array.from({ length: 30 }, (_, i) => String(i)));
    await tap.until((ps) => ps.at(-1).from === 'peer' && ps.at(-1).type === PRE_SLEEP && ps.length > 2, 'PRE_SLEEP at the end');
    peak.should.equal(1);
    const perJob = [`<${JOB_ASSIGN}`, `>${WORK_COMPLETE}`, `>${GRAB_JOB}`];
    tap.packets.map(label).should.eql([].concat(
      [`>${CAN_DO}`, `>${PRE_SLEEP}`, `<${NOOP}`, `>${GRAB_JOB}`],
      ...Array.from({ length: 30 }, () => perJob),
      [`<${NO_JOB}`, `>${PRE_SLEEP}`]));
    tap.malformed.should.eql([]);
  });

  it('a job failed by the worker\'s timeout: WORK_FAIL, then the GRAB; PRE_SLEEP after NO_JOB', async function () {
    this.timeout(10000);
    const tap = keep(await wireTap.start(defaultServer.port));
    const w = keep(new Worker({ host: '127.0.0.1', port: tap.port }));
    const c = keep(gearmanode.client({ port: defaultServer.port }));
    const name = fnName();
    w.addFunction(name, () => {}, { timeout: 1 });
    const failed = trace.once(c.submitJob(name, 'slow'), 'failed', 5000);
    await failed;
    await tap.until((ps) => ps.at(-1).from === 'peer' && ps.at(-1).type === PRE_SLEEP && ps.some((p) => p.type === WORK_FAIL),
      'PRE_SLEEP after the failed job');
    after(tap, WORK_FAIL).should.eql([`>${GRAB_JOB}`, `<${NO_JOB}`, `>${PRE_SLEEP}`]);
  });

  describe('what suites see through spies', function () {
    /** A worker whose job server is never connected: `send` is a stub. */
    function handBuilt() {
      const w = keep(new Worker());
      const js = w.jobServers[0];
      return { w, js, send: sinon.stub(js, 'send') };
    }

    /** handBuilt() with a function that keeps its jobs; `assign(payload)` drives a JOB_ASSIGN. */
    function driven() {
      const { w, js, send } = handBuilt();
      const name = fnName();
      const jobs = [];
      w.addFunction(name, (job) => jobs.push(job));
      send.resetHistory();
      let n = 0;
      const assign = (payload) => w._response(js, JOB_ASSIGN, [0, `H:r:${++n}`, name, Buffer.from(payload)]);
      return { w, js, send, jobs, assign };
    }

    it('workComplete on a job built by hand: ONE send (WORK_COMPLETE), then _preSleep(js), then close', function () {
      const { w, js, send } = handBuilt();
      const preSleep = sinon.stub(w, '_preSleep');
      const job = new Job(w, { handle: 'H:hand:1', name: 'f', jobServerUid: js.getUid(), payload: 'p' });
      const close = sinon.spy(job, 'close');
      should(job.workComplete('r')).be.undefined();
      send.callCount.should.equal(1);
      typeOf(send.args[0][0]).should.equal(WORK_COMPLETE);
      preSleep.calledOnceWithExactly(js).should.be.true();
      sinon.assert.callOrder(send, preSleep, close);
      job.closed.should.be.true();
    });

    it('a job built by hand with the real _preSleep: WORK_COMPLETE then PRE_SLEEP (the worker does not run it, so no GRAB)', function () {
      const { w, js, send } = handBuilt();
      const preSleep = sinon.spy(w, '_preSleep');
      const job = new Job(w, { handle: 'H:hand:2', name: 'f', jobServerUid: js.getUid(), payload: 'p' });
      job.reportError();
      sentTypes(send).should.eql([WORK_FAIL, PRE_SLEEP]);
      preSleep.calledOnceWithExactly(js).should.be.true();
    });

    it('driven through _response: the answer makes one send, the GRAB comes when the job closes, NO_JOB then sends PRE_SLEEP without a second _preSleep', function () {
      const { w, js, send, jobs, assign } = driven();
      const preSleep = sinon.spy(w, '_preSleep');
      w._response(js, NOOP);
      assign('a');
      sentTypes(send).should.eql([GRAB_JOB]);
      const job = jobs[0];
      const closeSeen = [];
      job.on('close', () => closeSeen.push(sentTypes(send)));
      job.workComplete('done');
      // The worker's own close listener (registered first) sent the GRAB before the user's listener ran.
      closeSeen.should.eql([[GRAB_JOB, WORK_COMPLETE, GRAB_JOB]]);
      preSleep.callCount.should.equal(1);
      w._response(js, NO_JOB);
      sentTypes(send).should.eql([GRAB_JOB, WORK_COMPLETE, GRAB_JOB, PRE_SLEEP]);
      preSleep.callCount.should.equal(1);
      // The next NO_JOB answers a GRAB the worker sent for a NOOP: through _preSleep, as 0.9.2.
      w._response(js, NOOP);
      w._response(js, NO_JOB);
      preSleep.callCount.should.equal(2);
      sentTypes(send).slice(-2).should.eql([GRAB_JOB, PRE_SLEEP]);
    });

    it('one job at a time: an answer while a GRAB is out sends no second GRAB; that GRAB\'s NO_JOB goes through _preSleep', function () {
      const { w, js, send, jobs, assign } = driven();
      const preSleep = sinon.spy(w, '_preSleep');
      assign('a');
      w._response(js, NOOP); // a NOOP while the job runs is answered, as in 0.9.2
      jobs[0].workComplete('done');
      sentTypes(send).should.eql([GRAB_JOB, WORK_COMPLETE]);
      w._response(js, NO_JOB);
      preSleep.callCount.should.equal(2);
      sentTypes(send).should.eql([GRAB_JOB, WORK_COMPLETE, PRE_SLEEP]);
    });

    it('a job the worker runs carries none of the library\'s listeners (as in 0.9.2); the bookkeeping does not depend on them', function () {
      const { w, js, send, jobs, assign } = driven();
      assign('a');
      const job = jobs[0];
      job.eventNames().should.eql([]);
      job.removeAllListeners();
      job.workComplete('done');
      sentTypes(send).should.eql([WORK_COMPLETE, GRAB_JOB]);
      w._response(js, NO_JOB);
      sentTypes(send).should.eql([WORK_COMPLETE, GRAB_JOB, PRE_SLEEP]);
    });

    it('several jobs running on a server (a NOOP while one runs): closed in any order; a lost server closes the others, oldest first, and ignores their later reports', function () {
      const { w, js, send, jobs, assign } = driven();
      assign('a');
      w._response(js, NOOP);
      assign('b');
      w._response(js, NOOP);
      assign('c');
      w._response(js, NOOP);
      assign('d');
      jobs[1].workComplete('b'); // the middle of the list
      const closed = [];
      jobs.forEach((j, i) => j.on('close', () => closed.push(i)));
      w[owner.SERVER_DOWN](js, new Error('lost'), false);
      closed.should.eql([0, 2, 3]);
      send.resetHistory();
      jobs[0].workComplete('late');
      jobs[3].reportError();
      send.called.should.be.false();
    });

    it('a job closed without an answer sends nothing (as 0.9.2); a _preSleep replaced by a stub sends nothing either', function () {
      const { w, js, send, jobs, assign } = driven();
      assign('a');
      jobs[0].close();
      send.called.should.be.false();
      w._preSleep = sinon.stub();
      assign('b');
      jobs[1].workComplete('x');
      // _preSleep decides whether the worker goes on: replaced, it neither sleeps nor asks (as 0.9.2)
      sentTypes(send).should.eql([WORK_COMPLETE]);
      w._preSleep.calledOnceWithExactly(js).should.be.true();
    });

    it('against gearmand: _preSleep once after addFunction and once per answered job, each after its answer\'s send', async function () {
      const w = keep(new Worker());
      const js = w.jobServers[0];
      const send = sinon.spy(js, 'send');
      const preSleep = sinon.spy(w, '_preSleep');
      const name = fnName();
      w.addFunction(name, (job) => job.workComplete(`r${job.payload}`));
      const c = keep(gearmanode.client());
      for (let i = 0; i < 4; i++) {
        (await c.submitJobAsync(name, String(i), { toStringEncoding: 'utf8' })).should.equal(`r${i}`);
        // wait until the worker sleeps again: its last packet is PRE_SLEEP
        await trace.until(() => typeOf(send.lastCall.args[0]) === PRE_SLEEP, 5000, `sleep after job ${i}`);
      }
      preSleep.callCount.should.equal(5);
      const completes = send.getCalls().filter((call) => typeOf(call.args[0]) === WORK_COMPLETE);
      completes.should.have.length(4);
      completes.forEach((call, i) => call.calledBefore(preSleep.getCall(i + 1)).should.be.true());
      const types = sentTypes(send);
      types.forEach((t, i) => {
        if (t === WORK_COMPLETE) types[i + 1].should.equal(GRAB_JOB);
      });
    });
  });
});
