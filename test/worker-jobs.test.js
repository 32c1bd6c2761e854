'use strict';
// Worker-side jobs (COMPATIBILITY.md#grab-cycle, #worker-job-methods, #withunique, #job,
// #worker-job-events, #fixed-7, #fixed-8, #fixed-9, #fixed-17 and #decision-worker-timeout): the
// fields of an assigned job, every report method on the wire (spies on jobServer.send) and as the
// client sees it through the gearmand on 4730, unregistered functions, throwing and async worker
// functions, and the worker's own timeout.
const should = require('should');
const sinon = require('sinon');
const crypto = require('crypto');
const gearmanode = require('../lib/gearmanode');
const { Worker } = require('../lib/gearmanode/worker');
const { Job } = require('../lib/gearmanode/job');
const loggers = require('../lib/logger');
const gearmand = require('./support/gearmand');
const trace = require('./support/trace');

const CAN_DO = 1;
const PRE_SLEEP = 4;
const GRAB_JOB = 9;
const JOB_ASSIGN = 11;
const WORK_STATUS = 12;
const WORK_COMPLETE = 13;
const WORK_FAIL = 14;
const WORK_EXCEPTION = 25;
const WORK_DATA = 28;
const WORK_WARNING = 29;
const JOB_ASSIGN_UNIQ = 31;
const NO_DETAILS = '[no more details provided by worker]';

/** A packet with the given magic: type, length, the arguments joined by NUL (strings as UTF-8). */
function packet(magic, type, args = []) {
  const parts = [];
  args.forEach((a, i) => {
    if (i > 0) parts.push(Buffer.from([0]));
    parts.push(Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8'));
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(12);
  head.writeUInt32BE(magic, 0);
  head.writeUInt32BE(type, 4);
  head.writeUInt32BE(body.length, 8);
  return Buffer.concat([head, body]);
}
const req = (type, args) => packet(0x00524551, type, args);
const res = (type, args) => packet(0x00524553, type, args);

const hex = (b) => b.toString('hex');
const fnName = (tag = '') => `fn-${tag}${crypto.randomUUID()}`;
/** The packets of a send spy whose type is `type`. */
const sentOf = (spy, type) => spy.args.map((a) => a[0]).filter((b) => b.readUInt32BE(4) === type);

const next = (emitter, event, ms = 5000) => trace.once(emitter, event, ms);

const until = trace.until;

describe('Worker-side jobs', function () {
  const opened = [];
  function keep(x) {
    opened.push(x);
    return x;
  }

  before(function () {
    loggers.setLogger(() => {}); // failing worker functions are logged on purpose here
  });

  after(function () {
    loggers.setLogger(null);
  });

  afterEach(function () {
    sinon.restore();
    while (opened.length) opened.pop().close();
  });

  /**
   * A worker on 4730 with `fn` registered under a fresh name, a client, and a spy on the worker's
   * jobServer.send. Resolves once the worker is connected.
   */
  async function setup(fn, { workerOptions = {}, fnOptions, exceptions = false } = {}) {
    const w = keep(new Worker(workerOptions));
    const js = w.jobServers[0];
    const name = fnName();
    const connected = next(w, 'socketConnect');
    w.addFunction(name, fn, fnOptions);
    await connected;
    const c = keep(gearmanode.client());
    if (exceptions) {
      const cjs = c.jobServers[0];
      cjs.setOption('exceptions');
      (await next(cjs, 'option'))[0].should.equal('exceptions');
    }
    const send = sinon.spy(js, 'send');
    return { w, js, c, name, send };
  }

  /** A worker function that hands its jobs to the returned `jobs` queue (awaitable one by one). */
  function holder() {
    const waiting = [];
    const jobs = [];
    const fn = (job) => {
      if (waiting.length) waiting.shift()(job);
      else jobs.push(job);
    };
    fn.next = () => (jobs.length ? Promise.resolve(jobs.shift()) : new Promise((r) => waiting.push(r)));
    return fn;
  }

  describe('fields (COMPATIBILITY.md#job, #withunique, #fixed-9)', function () {
    it('handle, name, jobServerUid, payload (a Buffer), owner; unique absent without withUnique', async function () {
      const h = holder();
      const { w, c, name } = await setup(h);
      const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80]);
      c.submitJob(name, bytes, { unique: 'given-unique' });
      const job = await h.next();
      job.should.be.instanceof(Job);
      job.handle.should.be.a.String().and.match(/^H:/);
      job.name.should.equal(name);
      job.jobServerUid.should.equal('localhost:4730');
      job.getUid().should.equal(`localhost:4730#${job.handle}`);
      Buffer.isBuffer(job.payload).should.be.true();
      hex(job.payload).should.equal(hex(bytes));
      job.clientOrWorker.should.equal(w);
      ('unique' in job).should.be.false();
      ('closed' in job).should.be.false();
      ('processing' in job).should.be.false();
      ('response' in job).should.be.false();
      job.workComplete();
    });

    it("withUnique: unique is an own string, '' when the client gave none", async function () {
      const h = holder();
      const { c, name } = await setup(h, { workerOptions: { withUnique: true } });
      c.submitJob(name, 'a');
      const job = await h.next();
      job.should.have.ownProperty('unique');
      job.unique.should.equal('');
      job.workComplete();
      const u = `u-${crypto.randomUUID()}`;
      c.submitJob(name, 'b', { unique: u });
      const job2 = await h.next();
      job2.unique.should.equal(u);
      job2.payload.toString().should.equal('b');
      job2.workComplete();
    });

    it('non-ASCII function names and unique ids arrive as UTF-8, so such a function is dispatched (COMPATIBILITY.md#fixed-9; the original decoded ASCII)', async function () {
      const h = holder();
      const w = keep(new Worker({ withUnique: true }));
      const name = fnName('žluťoučký-kůň-');
      w.addFunction(name, h);
      const c = keep(gearmanode.client());
      const u = `ünïqué-${crypto.randomUUID()}`;
      const cj = c.submitJob(name, 'p', { unique: u, toStringEncoding: 'utf8' });
      const job = await h.next();
      job.name.should.equal(name);
      job.unique.should.equal(u);
      job.workComplete('ok');
      await next(cj, 'complete');
      cj.response.should.equal('ok');
    });

    it('the handle stays ASCII-decoded while name and unique are UTF-8 (packet fed to _processData)', function () {
      const w = keep(new Worker({ withUnique: true }));
      const js = w.jobServers[0];
      sinon.stub(js, 'send');
      const seen = [];
      w.addFunction('ž', (job) => seen.push(job));
      js.connected = true; // enough for _processData (COMPATIBILITY.md#jobserver)
      js._processData(res(JOB_ASSIGN_UNIQ, ['H:ž', 'ž', 'ž-u', Buffer.from([1, 2])]));
      js._processData(res(JOB_ASSIGN, ['H:ž2', 'ž', Buffer.from([3])]));
      seen.should.have.length(2);
      seen[0].handle.should.equal('H:E>'); // 'ž' = C5 BE, high bits cleared
      seen[0].name.should.equal('ž');
      seen[0].unique.should.equal('ž-u');
      hex(seen[0].payload).should.equal('0102');
      seen[1].handle.should.equal('H:E>2');
      ('unique' in seen[1]).should.be.false();
      js.connected = false;
    });

    it('toStringEncoding of the function turns the payload into a primitive string', async function () {
      for (const enc of ['utf8', 'base64', 'hex']) {
        const h = holder();
        const { c, name } = await setup(h, { fnOptions: { toStringEncoding: enc } });
        c.submitJob(name, Buffer.from('žluť'));
        const job = await h.next();
        (typeof job.payload).should.equal('string');
        job.payload.should.equal(Buffer.from('žluť').toString(enc));
        job.workComplete();
      }
    });
  });

  describe('reports (COMPATIBILITY.md#worker-job-methods)', function () {
    it('workComplete(Buffer) sends the bytes raw: all 256 byte values reach the client intact (COMPATIBILITY.md#fixed-7)', async function () {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      let handle;
      const { c, name, send } = await setup((job) => {
        handle = job.handle;
        job.workComplete(all);
      });
      const cj = c.submitJob(name, 'x');
      await next(cj, 'complete');
      Buffer.isBuffer(cj.response).should.be.true();
      hex(cj.response).should.equal(hex(all));
      const wc = sentOf(send, WORK_COMPLETE);
      wc.should.have.length(1);
      hex(wc[0]).should.equal(hex(req(WORK_COMPLETE, [handle, all])));
    });

    it("workComplete(0) sends '0' (COMPATIBILITY.md#fixed-7; the original sent ''); no argument sends ''; numbers and strings as text", async function () {
      const results = [0, undefined, 12.5, 'žluť', null, false];
      let i = 0;
      const { c, name, send } = await setup((job) => job.workComplete(results[i++]));
      const got = [];
      for (let k = 0; k < results.length; k++) {
        const cj = c.submitJob(name, 'x', { toStringEncoding: 'utf8' });
        await next(cj, 'complete');
        got.push(cj.response);
      }
      got.should.eql(['0', '', '12.5', 'žluť', '', 'false']);
      sentOf(send, WORK_COMPLETE)[0].subarray(12).toString().should.match(/\u00000$/);
    });

    it('_sendAndClose: send, then _preSleep(js), then close (which emits close once and sets closed)', async function () {
      let spies;
      const { w, js, c, name, send } = await setup((job) => {
        const close = sinon.spy(job, 'close');
        const preSleep = sinon.spy(w, '_preSleep');
        const closes = [];
        job.on('close', () => closes.push(job.closed));
        job.workComplete('r');
        spies = { close, preSleep, closes, job };
      });
      const cj = c.submitJob(name, 'x');
      await next(cj, 'complete');
      const { close, preSleep, closes, job } = spies;
      const wc = send.withArgs(sinon.match((b) => b.readUInt32BE(4) === WORK_COMPLETE));
      wc.calledOnce.should.be.true();
      preSleep.calledOnceWithExactly(js).should.be.true();
      close.calledOnce.should.be.true();
      sinon.assert.callOrder(wc, preSleep, close);
      // _preSleep sent nothing: the worker's bookkeeping asked for the next job when the job closed
      // (COMPATIBILITY.md#grab-cycle)
      const types = send.args.map((a) => a[0].readUInt32BE(4));
      types[types.indexOf(WORK_COMPLETE) + 1].should.equal(GRAB_JOB);
      closes.should.eql([true]);
      job.closed.should.be.true();
      job.eventNames().should.eql([]);
    });

    it('sendWorkData: WORK_DATA [handle, data] (Buffer raw, undefined as \'\'), no PRE_SLEEP, no close', async function () {
      let spies;
      const { w, c, name, send } = await setup((job) => {
        const preSleep = sinon.spy(w, '_preSleep');
        should(job.sendWorkData('part-ž')).be.undefined();
        job.sendWorkData(Buffer.from([0, 0xff]));
        job.sendWorkData();
        spies = { preSleep, job, closed: 'closed' in job };
        job.workComplete('end');
      });
      const cj = c.submitJob(name, 'x');
      const data = [];
      cj.on('workData', (d) => data.push(hex(d)));
      await next(cj, 'complete');
      data.should.eql([hex(Buffer.from('part-ž')), '00ff', '']);
      spies.closed.should.be.false();
      const wd = sentOf(send, WORK_DATA);
      hex(wd[1]).should.equal(hex(req(WORK_DATA, [spies.job.handle, Buffer.from([0, 0xff])])));
      // the only _preSleep is the one of workComplete
      spies.preSleep.callCount.should.equal(1);
    });

    it('reportStatus: an Error for non-numbers and nothing sent; otherwise WORK_STATUS [handle, n, d]', async function () {
      let errors;
      const { c, name, send } = await setup((job) => {
        errors = [['1', 2], [1, '2'], [null, 1], [1, undefined], [{}, 1]].map(([n, d]) => job.reportStatus(n, d));
        sentOf(send, WORK_STATUS).should.have.length(0);
        should(job.reportStatus(1, 4)).be.undefined();
        job.reportStatus(3, 4);
        ('closed' in job).should.be.false();
        job.workComplete();
      });
      const cj = c.submitJob(name, 'x');
      const statuses = [];
      cj.on('status', (s) => statuses.push(s));
      await next(cj, 'complete');
      errors.forEach((e) => {
        e.should.be.instanceof(Error);
        e.message.should.equal('numerator or denominator not a number');
      });
      statuses.should.eql([{ percent_done_num: '1', percent_done_den: '4' }, { percent_done_num: '3', percent_done_den: '4' }]);
      sentOf(send, WORK_STATUS).should.have.length(2);
    });

    it(`reportWarning: WORK_WARNING [handle, data], default '${NO_DETAILS}', no close`, async function () {
      const { c, name, send } = await setup((job) => {
        should(job.reportWarning('careful')).be.undefined();
        job.reportWarning();
        ('closed' in job).should.be.false();
        job.workComplete();
      });
      const cj = c.submitJob(name, 'x', { toStringEncoding: 'utf8' });
      const warnings = [];
      cj.on('warning', (d) => warnings.push(d));
      await next(cj, 'complete');
      warnings.should.eql(['careful', NO_DETAILS]);
      sentOf(send, WORK_WARNING).should.have.length(2);
    });

    it('reportError: WORK_FAIL [handle], GRAB_JOB, close; the client sees failed', async function () {
      let job;
      const { c, name, send } = await setup((j) => {
        job = j;
        should(j.reportError()).be.undefined();
      });
      const cj = c.submitJob(name, 'x');
      await next(cj, 'failed');
      should(cj.response).be.undefined();
      job.closed.should.be.true();
      const types = send.args.map((a) => a[0].readUInt32BE(4));
      types.slice(types.indexOf(WORK_FAIL)).slice(0, 2).should.eql([WORK_FAIL, GRAB_JOB]);
      hex(sentOf(send, WORK_FAIL)[0]).should.equal(hex(req(WORK_FAIL, [job.handle])));
    });

    it("reportException with the client's 'exceptions' option: the client sees exception with the data (Buffer raw, default text)", async function () {
      const payloads = ['bad thing', undefined, Buffer.from([0, 0xff, 0x41])];
      let i = 0;
      const { c, name } = await setup((job) => job.reportException(payloads[i++]), { exceptions: true });
      const got = [];
      for (let k = 0; k < payloads.length; k++) {
        const cj = c.submitJob(name, 'x');
        got.push(hex((await next(cj, 'exception'))[0]));
        should(cj.response).be.undefined();
      }
      got.should.eql([hex(Buffer.from('bad thing')), hex(Buffer.from(NO_DETAILS)), '00ff41']);
    });

    it("reportException without the client's option: the client sees failed (COMPATIBILITY.md#fixed-17)", async function () {
      let job;
      const { c, name, send } = await setup((j) => {
        job = j;
        j.reportException('boom');
      });
      const errors = [];
      c.on('error', (e) => errors.push(e));
      const cj = c.submitJob(name, 'x');
      await next(cj, 'failed');
      errors.should.eql([]);
      job.closed.should.be.true();
      hex(sentOf(send, WORK_EXCEPTION)[0]).should.equal(hex(req(WORK_EXCEPTION, [job.handle, 'boom'])));
    });
  });

  describe('unregistered function (COMPATIBILITY.md#fixed-8)', function () {
    it('JOB_ASSIGN driven through _response: worker error, no throw, WORK_FAIL [handle] then PRE_SLEEP', async function () {
      const { w, js, send } = await setup(() => {});
      const errors = [];
      w.on('error', (e) => errors.push(e));
      (() => w._response(js, JOB_ASSIGN, [30, 'H:nowhere:1', 'ghost-fn', Buffer.from('p')])).should.not.throw();
      errors.map((e) => e.message).should.eql(['function not found in locale register, name=ghost-fn']);
      send.args.map((a) => hex(a[0])).should.eql([hex(req(WORK_FAIL, ['H:nowhere:1'])), hex(req(PRE_SLEEP))]);
    });

    it('a function registered behind the worker\'s back (raw CAN_DO): worker error, the client sees failed, the worker goes on', async function () {
      const { w, js, c, name } = await setup((job) => job.workComplete('fine'));
      const ghost = fnName('ghost-');
      js.send(req(CAN_DO, [ghost]));
      js.send(req(PRE_SLEEP));
      const errors = [];
      w.on('error', (e) => errors.push(e));
      const cj = c.submitJob(ghost, 'x');
      await next(cj, 'failed');
      errors.map((e) => e.message).should.eql([`function not found in locale register, name=${ghost}`]);
      ('ghost' in w.functions).should.be.false();
      const ok = c.submitJob(name, 'y', { toStringEncoding: 'utf8' });
      await next(ok, 'complete');
      ok.response.should.equal('fine');
    });
  });

  describe('throwing and async worker functions', function () {
    it('a throw: worker error GEARMAN_WORKER_FUNCTION_FAILED, the client sees exception (with the option)', async function () {
      const boom = new Error('kaboom');
      const { w, c, name } = await setup(() => { throw boom; }, { exceptions: true });
      const errors = [];
      w.on('error', (e) => errors.push(e));
      const cj = c.submitJob(name, 'x', { toStringEncoding: 'utf8' });
      const [data] = await next(cj, 'exception');
      data.should.containEql('kaboom');
      errors.should.have.length(1);
      errors[0].should.be.instanceof(Error);
      errors[0].code.should.equal('GEARMAN_WORKER_FUNCTION_FAILED');
      errors[0].message.should.containEql('kaboom');
    });

    it('a throw with no worker error listener: nothing escapes, the client sees failed, the worker goes on', async function () {
      let calls = 0;
      const { w, c, name } = await setup((job) => {
        calls++;
        if (calls === 1) throw new TypeError('first call fails');
        job.workComplete('second ok');
      });
      w.listenerCount('error').should.equal(0);
      const cj = c.submitJob(name, 'x');
      await next(cj, 'failed');
      const cj2 = c.submitJob(name, 'y', { toStringEncoding: 'utf8' });
      await next(cj2, 'complete');
      cj2.response.should.equal('second ok');
    });

    it('an async function: its resolved value completes the job', async function () {
      const { c, name, send } = await setup(async (job) => {
        await gearmand.sleep(10);
        return `async:${job.payload}`;
      });
      const cj = c.submitJob(name, 'in', { toStringEncoding: 'utf8' });
      await next(cj, 'complete');
      cj.response.should.equal('async:in');
      sentOf(send, WORK_COMPLETE).should.have.length(1);
    });

    it('an async function resolving a Buffer: sent raw', async function () {
      const { c, name } = await setup(async () => Buffer.from([0xff, 0, 0xfe]));
      const cj = c.submitJob(name, 'in');
      await next(cj, 'complete');
      hex(cj.response).should.equal('ff00fe');
    });

    it('an async rejection reports an exception (with the option) and a worker error', async function () {
      const { w, c, name } = await setup(async () => {
        await gearmand.sleep(5);
        throw new Error('rejected-here');
      }, { exceptions: true });
      const errors = [];
      w.on('error', (e) => errors.push(e));
      const cj = c.submitJob(name, 'x', { toStringEncoding: 'utf8' });
      const [data] = await next(cj, 'exception');
      data.should.containEql('rejected-here');
      errors.map((e) => e.code).should.eql(['GEARMAN_WORKER_FUNCTION_FAILED']);
    });

    it('an async rejection without the option: the client sees failed', async function () {
      const { c, name } = await setup(() => Promise.reject(new Error('nope')));
      const cj = c.submitJob(name, 'x');
      await next(cj, 'failed');
    });

    it('a function that calls workComplete itself and resolves undefined (or a value) completes once', async function () {
      const { c, name, send } = await setup(async (job) => {
        job.workComplete(`self:${job.payload}`);
        await gearmand.sleep(5);
        return job.payload.toString() === 'b' ? 'ignored value' : undefined;
      });
      for (const p of ['a', 'b']) {
        const cj = c.submitJob(name, p, { toStringEncoding: 'utf8' });
        const completes = [];
        cj.on('complete', () => completes.push(cj.response));
        await next(cj, 'complete');
        await gearmand.sleep(50);
        completes.should.eql([`self:${p}`]);
      }
      sentOf(send, WORK_COMPLETE).should.have.length(2);
    });
  });

  describe('the worker enforces timeout (COMPATIBILITY.md#decision-worker-timeout)', function () {
    it('a job held past its 1 s timeout: timeout then close on the job, WORK_FAIL + GRAB_JOB, the client sees failed; a late workComplete is ignored', async function () {
      const h = holder();
      const { w, js, c, name, send } = await setup(h, { fnOptions: { timeout: 1 } });
      const cj = c.submitJob(name, 'slow');
      const failed = next(cj, 'failed', 5000);
      const job = await h.next();
      const events = [];
      job.on('timeout', () => events.push('timeout'));
      job.on('close', () => events.push('close'));
      w.on('error', (e) => events.push(`worker error ${e.message}`));
      await failed;
      events.should.eql(['timeout', 'close']);
      job.closed.should.be.true();
      const fails = sentOf(send, WORK_FAIL);
      fails.should.have.length(1);
      hex(fails[0]).should.equal(hex(req(WORK_FAIL, [job.handle])));
      const types = send.args.map((a) => a[0].readUInt32BE(4));
      types[types.indexOf(WORK_FAIL) + 1].should.equal(GRAB_JOB);
      // the function answers late: ignored without error, nothing sent
      send.resetHistory();
      (() => {
        should(job.workComplete('too late')).be.undefined();
        job.sendWorkData('late');
        job.reportStatus(1, 2);
        job.reportWarning('late');
        job.reportError();
        job.reportException('late');
      }).should.not.throw();
      send.called.should.be.false();
      events.should.eql(['timeout', 'close']);
      js.connected.should.be.true();
    });

    it('a job answered in time gets no timeout and nothing more is sent for it', async function () {
      const h = holder();
      const { c, name, send } = await setup(h, { fnOptions: { timeout: 1 } });
      const cj = c.submitJob(name, 'fast', { toStringEncoding: 'utf8' });
      const job = await h.next();
      const emit = sinon.spy(job, 'emit'); // survives the removeAllListeners of close()
      job.workComplete('in time');
      await next(cj, 'complete');
      cj.response.should.equal('in time');
      // the worker asked for the next job and went to sleep (COMPATIBILITY.md#grab-cycle)
      await until(() => send.lastCall.args[0].readUInt32BE(4) === PRE_SLEEP, 5000, 'PRE_SLEEP after NO_JOB');
      send.resetHistory();
      await gearmand.sleep(1200);
      emit.args.map((a) => a[0]).should.eql(['close']);
      send.called.should.be.false();
    });
  });
});
