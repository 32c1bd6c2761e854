'use strict';
// Client jobs through a real gearmand (COMPATIBILITY.md#owner-events, #client-job-events,
// #submitjob to #getstatus, #job value types, #fixed-2, #fixed-3, #fixed-9, #fixed-16, #fixed-17):
// a worker of this package in the same process serves them. The default gearmand on 4730 is shared
// with other runs, so every test uses its own function name; jobs that would stay queued go to a
// private gearmand started here.
const assert = require('assert');
const crypto = require('crypto');
const sinon = require('sinon');
const gearmanode = require('../lib/gearmanode');
const { Job } = require('../lib/gearmanode/job');
const gearmand = require('./support/gearmand');
const { Trace, once, sleep, tick } = require('./support/trace');

const CI = 'ConnectInternal140319214558';
const DEFAULT_UID = 'localhost:4730';
const fname = (tag = '') => `fn-${tag}${crypto.randomUUID()}`;
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * gearmand.start() retried a few times: concurrent test runs may pick the same free port (the
 * other run's gearmand then answers on it) and the harness does not retry that case itself.
 */
async function startGearmand() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await gearmand.start();
    } catch (err) {
      if (attempt >= 5 || err.code !== 'EGEARMAND_START') throw err;
    }
  }
}

/** Calls `fn` until it returns a truthy value (polling every `interval` ms). */
async function until(fn, { timeout = 8000, interval = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await sleep(interval);
  }
}

describe('Client jobs through gearmand', function () {
  let savedSink;
  let priv; // private gearmand for jobs that stay queued
  const owners = [];

  function client(options) {
    const c = gearmanode.client(options);
    assert.ok(!(c instanceof Error), c && c.message);
    owners.push(c);
    return c;
  }
  function worker(options) {
    const w = gearmanode.worker(options);
    assert.ok(!(w instanceof Error), w && w.message);
    owners.push(w);
    return w;
  }
  /** A worker on `server` (default 4730) with `name` → fn registered. */
  function serve(name, fn, { server, options, fnOptions } = {}) {
    const w = worker(Object.assign({}, server || {}, options || {}));
    assert.strictEqual(w.addFunction(name, fn, fnOptions), undefined);
    return w;
  }

  before(async function () {
    this.timeout(30000);
    savedSink = gearmanode.setLogger(() => {});
    priv = await startGearmand();
  });
  after(async function () {
    this.timeout(30000);
    gearmanode.setLogger(savedSink);
    if (priv) await priv.stop();
  });
  afterEach(function () {
    sinon.restore();
    while (owners.length) {
      const o = owners.pop();
      if (o.closed !== true) {
        o.on('error', () => {});
        o.close();
      }
    }
  });

  describe('lifecycle (COMPATIBILITY.md#owner-events, #client-job-events, #submitjob)', function () {
    it('exact emit counts for a whole job (sinon spies on client.emit, jobServer.emit and job.emit)', async function () {
      const name = fname();
      serve(name, (job) => {
        job.sendWorkData('part');
        job.workComplete('done');
      });
      const c = client();
      const js = c.jobServers[0];
      const clientEmit = sinon.spy(c, 'emit');
      const jsEmit = sinon.spy(js, 'emit');
      const job = c.submitJob(name, 'payload');
      const jobEmit = sinon.spy(job, 'emit');
      await once(job, 'complete');

      assert.deepStrictEqual(clientEmit.getCalls().map((x) => x.args), [['socketConnect', DEFAULT_UID]]);
      assert.deepStrictEqual(jsEmit.getCalls().map((x) => x.args), [[CI]]);
      const jobCalls = jobEmit.getCalls().map((x) => x.args);
      assert.deepStrictEqual(jobCalls.map((a) => a[0]), ['submited', 'created', 'workData', 'complete']);
      assert.deepStrictEqual(jobCalls.map((a) => a.length), [1, 1, 2, 1]);
      assert.ok(Buffer.isBuffer(jobCalls[2][1]) && jobCalls[2][1].equals(Buffer.from('part')));
      // the order across objects
      const order = [clientEmit, jsEmit, jobEmit].flatMap((s, i) => s.getCalls().map((x) => [x.callId, ['client', 'js', 'job'][i], x.args[0]]))
        .sort((a, b) => a[0] - b[0]).map((e) => `${e[1]}:${e[2]}`);
      assert.deepStrictEqual(order, ['js:' + CI, 'client:socketConnect', 'job:submited', 'job:created', 'job:workData', 'job:complete']);

      c.close();
      assert.deepStrictEqual(clientEmit.getCalls().slice(1).map((x) => x.args), [['socketDisconnect', DEFAULT_UID, undefined], ['close']]);
      assert.strictEqual(jobEmit.callCount, 4); // a finished job is not in jobs: no close
      assert.strictEqual(jsEmit.callCount, 1);
      assert.strictEqual(hasOwn(job, 'closed'), false);
    });

    it('lazy connect: nothing pushed at return; at socketConnect the job is in the FIFO; submited follows on the next tick', async function () {
      const name = fname();
      serve(name, (job) => job.workComplete());
      const c = client();
      const js = c.jobServers[0];
      const t = new Trace({ ignore: [CI] });
      t.watch(c, 'client');
      let atConnect = null;
      c.on('socketConnect', () => {
        atConnect = { fifo: js.jobsWaiting4Created.slice(), uid: job.jobServerUid, submited: t.count('job', 'submited') };
      });
      const job = c.submitJob(name, 'x');
      t.watch(job, 'job');
      assert.strictEqual(hasOwn(job, 'jobServerUid'), false);
      assert.deepStrictEqual(js.jobsWaiting4Created, []);
      assert.strictEqual(job.processing, true);
      let atSubmited = null;
      job.on('submited', () => {
        atSubmited = { fifo: js.jobsWaiting4Created.slice(), uid: job.jobServerUid, handle: hasOwn(job, 'handle') };
      });
      await t.waitFor('job', 'complete');
      assert.deepStrictEqual(t.pairs(), ['client:socketConnect', 'job:submited', 'job:created', 'job:complete']);
      assert.deepStrictEqual(atConnect, { fifo: [job], uid: DEFAULT_UID, submited: 0 });
      assert.deepStrictEqual(atSubmited, { fifo: [job], uid: DEFAULT_UID, handle: false });
    });

    it('already connected: FIFO push and jobServerUid before submitJob returns; submited on the next tick, not synchronously', async function () {
      const name = fname();
      serve(name, (job) => job.workComplete());
      const c = client();
      const js = c.jobServers[0];
      await new Promise((resolve, reject) => js.connect((err) => (err ? reject(err) : resolve())));
      const job = c.submitJob(name, 'x');
      assert.strictEqual(job.jobServerUid, DEFAULT_UID);
      assert.deepStrictEqual(js.jobsWaiting4Created, [job]);
      const submited = sinon.spy();
      job.on('submited', submited);
      sinon.assert.notCalled(submited);
      await new Promise((resolve) => process.nextTick(resolve));
      sinon.assert.calledOnce(submited);
      await once(job, 'complete');
    });

    it("'' is a valid function name: the job is submitted and created", async function () {
      const c = client(priv.server);
      const job = c.submitJob('', 'p');
      assert.ok(job instanceof Job);
      const t = new Trace();
      t.watch(job, 'job');
      await t.waitFor('job', 'created');
      assert.deepStrictEqual(t.pairs(), ['job:submited', 'job:created']);
      assert.match(job.handle, /^H:/);
    });

    it('handle is a UTF-8 string; getUid/toString after submission', async function () {
      const name = fname();
      serve(name, (job) => job.workComplete());
      const c = client();
      const job = c.submitJob(name, 'x');
      // Listening for `complete` first: it may arrive in the same read as JOB_CREATED.
      const completed = once(job, 'complete');
      await once(job, 'created');
      assert.strictEqual(typeof job.handle, 'string');
      assert.strictEqual(job.getUid(), `${DEFAULT_UID}#${job.handle}`);
      assert.strictEqual(job.toString(), `Job(uuid=${job.uuid}, handle=${job.handle}, server=${DEFAULT_UID})`);
      await completed;
    });
  });

  describe('jobs map (COMPATIBILITY.md#jobs-map)', function () {
    it("keyed '<host>:<port>#<handle>': enters on created, leaves on complete", async function () {
      const name = fname();
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      serve(name, async (job) => { await held; job.workComplete('r'); });
      const c = client();
      const job = c.submitJob(name, 'x');
      assert.deepStrictEqual(c.jobs, {});
      let atCreated;
      job.on('created', () => { atCreated = Object.keys(c.jobs); });
      await once(job, 'created');
      assert.deepStrictEqual(atCreated, [`${DEFAULT_UID}#${job.handle}`]);
      assert.strictEqual(c.jobs[`${DEFAULT_UID}#${job.handle}`], job);
      release();
      await once(job, 'complete');
      assert.deepStrictEqual(c.jobs, {});
      assert.strictEqual(job.processing, false);
    });

    it('leaves on failed and on exception', async function () {
      const name = fname();
      serve(name, (job) => (String(job.payload) === 'fail' ? job.reportError() : job.reportException('x')));
      const c = client();
      c.jobServers[0].setOption('exceptions');
      const a = c.submitJob(name, 'fail');
      const b = c.submitJob(name, 'exc');
      await Promise.all([once(a, 'failed'), once(b, 'exception')]);
      assert.deepStrictEqual(c.jobs, {});
      assert.strictEqual(a.processing, false);
      assert.strictEqual(b.processing, false);
    });

    it('job.close() removes it; background jobs stay with processing true until closed', async function () {
      const c = client(priv.server);
      const bg = c.submitJob(fname(), 'x', { background: true });
      const fg = c.submitJob(fname(), 'y');
      await Promise.all([once(bg, 'created'), once(fg, 'created')]);
      await sleep(50);
      assert.deepStrictEqual(Object.keys(c.jobs).sort(), [bg.getUid(), fg.getUid()].sort());
      assert.strictEqual(bg.processing, true);
      fg.close();
      assert.deepStrictEqual(Object.keys(c.jobs), [bg.getUid()]);
      assert.strictEqual(fg.processing, false);
      bg.close();
      assert.deepStrictEqual(c.jobs, {});
      assert.strictEqual(bg.processing, false);
    });

    it('a background job that a worker finishes stays in jobs (gearmand tells the client nothing)', async function () {
      const name = fname();
      let done;
      const finished = new Promise((resolve) => { done = resolve; });
      serve(name, (job) => { job.workComplete('ignored'); done(); });
      const c = client();
      const bg = c.submitJob(name, 'x', { background: true });
      const t = new Trace();
      t.watch(bg, 'bg');
      await finished;
      await sleep(100);
      assert.deepStrictEqual(t.pairs(), ['bg:submited', 'bg:created']);
      assert.strictEqual(c.jobs[bg.getUid()], bg);
      assert.strictEqual(bg.processing, true);
      c.close();
      assert.deepStrictEqual(c.jobs, {});
      assert.deepStrictEqual(t.pairs(), ['bg:submited', 'bg:created', 'bg:close']);
    });
  });

  describe('_response through real jobs (COMPATIBILITY.md#client-response)', function () {
    it('workData, warning, status (WORK_STATUS), complete: Buffers by default', async function () {
      const name = fname();
      serve(name, (job) => {
        job.sendWorkData(Buffer.from([0, 1, 255]));
        job.reportWarning('careful');
        job.reportStatus(3, 7);
        job.workComplete('done');
      });
      const c = client();
      const job = c.submitJob(name, 'x');
      const t = new Trace();
      t.watch(job, 'job');
      const seenAtComplete = [];
      job.on('complete', () => seenAtComplete.push(job.response));
      await t.waitFor('job', 'complete');
      assert.deepStrictEqual(t.pairs(), ['job:submited', 'job:created', 'job:workData', 'job:warning', 'job:status', 'job:complete']);
      const [wd] = t.entries('job', 'workData')[0].args;
      assert.ok(Buffer.isBuffer(wd) && wd.equals(Buffer.from([0, 1, 255])));
      const [w] = t.entries('job', 'warning')[0].args;
      assert.ok(Buffer.isBuffer(w) && w.equals(Buffer.from('careful')));
      assert.deepStrictEqual(t.entries('job', 'status')[0].args, [{ percent_done_num: '3', percent_done_den: '7' }]);
      assert.ok(Buffer.isBuffer(job.response) && job.response.equals(Buffer.from('done')));
      assert.strictEqual(seenAtComplete[0], job.response);
      assert.strictEqual(job.processing, false);
      assert.strictEqual('closed' in job, false);
    });

    it('with toStringEncoding: workData, warning and response are strings', async function () {
      const name = fname();
      serve(name, (job) => {
        job.sendWorkData('část ž');
        job.reportWarning('varování');
        job.workComplete('hotovo ✓');
      });
      const c = client();
      const job = c.submitJob(name, 'x', { toStringEncoding: 'utf8' });
      const t = new Trace();
      t.watch(job, 'job');
      await t.waitFor('job', 'complete');
      assert.deepStrictEqual(t.entries('job', 'workData')[0].args, ['část ž']);
      assert.deepStrictEqual(t.entries('job', 'warning')[0].args, ['varování']);
      assert.strictEqual(job.response, 'hotovo ✓');
    });

    it('failed: response key present and undefined, processing false', async function () {
      const name = fname();
      serve(name, (job) => job.reportError());
      const c = client();
      const job = c.submitJob(name, 'x');
      const t = new Trace();
      t.watch(job, 'job');
      await t.waitFor('job', 'failed');
      assert.deepStrictEqual(t.pairs(), ['job:submited', 'job:created', 'job:failed']);
      assert.strictEqual(hasOwn(job, 'response'), true);
      assert.strictEqual(job.response, undefined);
      assert.strictEqual(job.processing, false);
    });

    it("exception with setOption('exceptions') on the client's job server: exception(data), no response", async function () {
      const name = fname();
      serve(name, (job) => job.reportException('boom ž'));
      const c = client();
      const js = c.jobServers[0];
      const option = once(js, 'option');
      assert.strictEqual(js.setOption('exceptions'), undefined);
      const job = c.submitJob(name, 'x');
      const t = new Trace();
      t.watch(job, 'job');
      await t.waitFor('job', 'exception');
      assert.deepStrictEqual(await option, ['exceptions']);
      assert.deepStrictEqual(t.pairs(), ['job:submited', 'job:created', 'job:exception']);
      const [data] = t.entries('job', 'exception')[0].args;
      assert.ok(Buffer.isBuffer(data) && data.equals(Buffer.from('boom ž')));
      assert.strictEqual('response' in job, false);
      assert.strictEqual(job.processing, false);
      assert.deepStrictEqual(c.jobs, {});
    });

    it('exception with toStringEncoding: the data is a string', async function () {
      const name = fname();
      serve(name, (job) => job.reportException('chyba'));
      const c = client();
      c.jobServers[0].setOption('exceptions');
      const job = c.submitJob(name, 'x', { toStringEncoding: 'utf8' });
      const [data] = await once(job, 'exception');
      assert.strictEqual(data, 'chyba');
    });

    it('COMPATIBILITY.md#fixed-17 (the original reports `unknown job` and the job never ends): an exception without the option ends as failed', async function () {
      const name = fname();
      serve(name, (job) => job.reportException('boom'));
      const c = client();
      const clientErrors = [];
      c.on('error', (e) => clientErrors.push(e.message));
      const job = c.submitJob(name, 'x');
      const t = new Trace();
      t.watch(job, 'job');
      await t.waitFor('job', 'failed');
      await sleep(30);
      assert.deepStrictEqual(t.pairs(), ['job:submited', 'job:created', 'job:failed']);
      assert.deepStrictEqual(clientErrors, []);
      assert.deepStrictEqual(c.jobs, {});
      assert.strictEqual(hasOwn(job, 'response'), true);
      assert.strictEqual(job.response, undefined);
    });

    it('WORK_* for a job the user closed → client error `unknown job, uid=<uid>#<handle>` (COMPATIBILITY.md#quirks-kept)', async function () {
      const name = fname();
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      serve(name, async (job) => { await held; job.workComplete('late'); });
      const c = client();
      const job = c.submitJob(name, 'x');
      await once(job, 'created');
      const key = job.getUid();
      job.close();
      const err = once(c, 'error');
      release();
      const [e] = await err;
      assert.strictEqual(e.message, `unknown job, uid=${key}`);
    });
  });

  describe('getStatus with a real background job (COMPATIBILITY.md#getstatus)', function () {
    it('polled: queued (known, not running), running with the reported status, then unknown after it ends', async function () {
      this.timeout(15000);
      const name = fname();
      const c = client(priv.server);
      const job = c.submitJob(name, 'x', { background: true });
      assert.strictEqual(job.getStatus().message, "no job's handle (no created job?)");
      await once(job, 'created');
      const ask = async () => {
        const p = once(job, 'status');
        assert.strictEqual(job.getStatus(), undefined);
        return (await p)[0];
      };
      assert.deepStrictEqual(await ask(), { known: true, running: false, percent_done_num: '0', percent_done_den: '0' });

      let release;
      const held = new Promise((resolve) => { release = resolve; });
      serve(name, async (wjob) => {
        wjob.reportStatus(1, 4);
        await held;
        wjob.workComplete('done');
      }, { server: priv.server });
      const running = await until(async () => {
        const s = await ask();
        return s.running && s.percent_done_num === '1' ? s : null;
      }, { what: 'running status 1/4' });
      assert.deepStrictEqual(running, { known: true, running: true, percent_done_num: '1', percent_done_den: '4' });
      release();
      const ended = await until(async () => {
        const s = await ask();
        return s.known ? null : s;
      }, { what: 'unknown status' });
      assert.deepStrictEqual(ended, { known: false, running: false, percent_done_num: '0', percent_done_den: '0' });
      assert.strictEqual(job.processing, true);
      assert.strictEqual(c.jobs[job.getUid()], job);
    });
  });

  describe('priorities (COMPATIBILITY.md#job getPacketType on the wire)', function () {
    it('LOW/NORMAL/HIGH, foreground and background, reach the worker in priority order', async function () {
      const name = fname();
      const c = client();
      const jobs = [];
      for (const background of [false, true]) {
        for (const priority of ['LOW', 'NORMAL', 'HIGH']) {
          jobs.push(c.submitJob(name, `${background ? 'bg' : 'fg'}-${priority}`, { background, priority }));
        }
      }
      assert.deepStrictEqual(jobs.map((j) => j.getPacketType()), [33, 7, 21, 34, 18, 32]);
      await Promise.all(jobs.map((j) => once(j, 'created')));
      const order = [];
      let all;
      const got = new Promise((resolve) => { all = resolve; });
      serve(name, (job) => {
        order.push(String(job.payload));
        job.workComplete('ok');
        if (order.length === 6) all();
      });
      await got;
      assert.deepStrictEqual(order, ['fg-HIGH', 'bg-HIGH', 'fg-NORMAL', 'bg-NORMAL', 'fg-LOW', 'bg-LOW']);
      await until(() => jobs.slice(0, 3).every((j) => j.processing === false), { what: 'foreground completes' });
    });
  });

  describe('unique ids', function () {
    it('reach the worker (withUnique): given, UTF-8 (COMPATIBILITY.md#fixed-9), and "" when none', async function () {
      const name = fname();
      const seen = {};
      let all;
      const got = new Promise((resolve) => { all = resolve; });
      serve(name, (job) => {
        seen[String(job.payload)] = job.unique;
        job.workComplete();
        if (Object.keys(seen).length === 3) all();
      }, { options: { withUnique: true } });
      const c = client();
      const u1 = 'uniq-' + crypto.randomUUID();
      const u2 = 'ž-' + crypto.randomUUID();
      c.submitJob(name, 'a', { unique: u1 });
      c.submitJob(name, 'b', { unique: u2 });
      c.submitJob(name, 'c');
      await got;
      assert.deepStrictEqual(seen, { a: u1, b: u2, c: '' });
    });

    it('gearmand coalesces two submissions with the same unique id (same handle)', async function () {
      const c = client(priv.server);
      const name = fname();
      const u = crypto.randomUUID();
      const a = c.submitJob(name, 'x', { unique: u, background: true });
      const b = c.submitJob(name, 'x', { unique: u, background: true });
      const d = c.submitJob(name, 'x', { unique: u + '-other', background: true });
      await Promise.all([once(a, 'created'), once(b, 'created'), once(d, 'created')]);
      assert.strictEqual(a.handle, b.handle);
      assert.notStrictEqual(a.handle, d.handle);
    });
  });

  describe('payloads (COMPATIBILITY.md#job value types)', function () {
    it('binary: all 256 byte values round trip; the worker gets a Buffer, the response Buffer is equal', async function () {
      const name = fname();
      const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      let workerPayload;
      serve(name, (job) => {
        workerPayload = job.payload;
        job.workComplete(Buffer.concat([job.payload, Buffer.from(job.payload).reverse()]));
      });
      const c = client();
      const job = c.submitJob(name, payload);
      await once(job, 'complete');
      assert.ok(Buffer.isBuffer(workerPayload) && workerPayload.equals(payload));
      assert.ok(Buffer.isBuffer(job.response));
      assert.ok(job.response.equals(Buffer.concat([payload, Buffer.from(payload).reverse()])));
      assert.strictEqual(job.payload, payload); // kept as given on the client
    });

    it('UTF-8 payloads: Buffer on the worker, string with toStringEncoding on either side', async function () {
      const name = fname();
      const text = 'Příliš žluťoučký kůň úpěl ďábelské ódy 🐎';
      const seen = [];
      serve(name, (job) => {
        seen.push(job.payload);
        job.workComplete(job.payload);
      });
      const name2 = fname();
      serve(name2, (job) => {
        seen.push(job.payload);
        job.workComplete(job.payload + '!');
      }, { fnOptions: { toStringEncoding: 'utf8' } });
      const c = client();
      const a = c.submitJob(name, text);
      await once(a, 'complete');
      const b = c.submitJob(name2, text, { toStringEncoding: 'utf8' });
      await once(b, 'complete');
      assert.ok(Buffer.isBuffer(seen[0]) && seen[0].equals(Buffer.from(text)));
      assert.ok(Buffer.isBuffer(a.response) && a.response.toString('utf8') === text);
      assert.strictEqual(seen[1], text);
      assert.strictEqual(b.response, text + '!');
      assert.strictEqual(a.payload, text);
    });

    it('a number payload is kept as given on the client and sent as its text', async function () {
      const name = fname();
      let got;
      serve(name, (job) => { got = job.payload; job.workComplete(); });
      const c = client();
      const job = c.submitJob(name, 42);
      await once(job, 'complete');
      assert.strictEqual(job.payload, 42);
      assert.ok(got.equals(Buffer.from('42')));
    });

    it("COMPATIBILITY.md#fixed-9: 'ž' in a function name works (the original never dispatches it)", async function () {
      const name = fname('ž-čř-');
      let workerName;
      serve(name, (job) => { workerName = job.name; job.workComplete('ok'); });
      const c = client();
      const job = c.submitJob(name, 'x');
      await once(job, 'complete');
      assert.strictEqual(workerName, name);
      assert.strictEqual(job.response.toString(), 'ok');
    });

    it('a large payload (8 MiB) round trip', async function () {
      this.timeout(30000);
      const name = fname();
      const payload = crypto.randomBytes(8 * 1024 * 1024);
      let workerLength = -1;
      serve(name, (job) => { workerLength = job.payload.length; job.workComplete(job.payload); });
      const c = client();
      const job = c.submitJob(name, payload);
      await once(job, 'complete', 25000);
      assert.strictEqual(workerLength, payload.length);
      assert.ok(Buffer.isBuffer(job.response));
      assert.strictEqual(job.response.length, payload.length);
      assert.ok(job.response.equals(payload));
    });
  });

  describe('all servers down (COMPATIBILITY.md#submitjob, #fixed-3)', function () {
    const REFUSED_UID = 'localhost:4731';
    const MESSAGE = 'failed to obtain job server from load balancer (all servers invalid?)';

    it('first call: socketError, socketDisconnect, client error (asynchronously), job error one tick later with GEARMAN_ALL_SERVERS_FAILED', async function () {
      const c = client({ port: 4731 });
      const t = new Trace({ ignore: [CI] });
      t.watch(c, 'client');
      let inClientErrorStack = false;
      let jobErrorSawStack = null;
      c.on('error', () => {
        inClientErrorStack = true;
        process.nextTick(() => { inClientErrorStack = false; });
      });
      let returned = false;
      const job = c.submitJob(fname(), 'p');
      returned = true;
      t.watch(job, 'job');
      assert.deepStrictEqual(t.pairs(), []); // nothing synchronous on the first call
      job.on('error', () => { jobErrorSawStack = inClientErrorStack; });
      await t.waitFor('job', 'error');
      assert.ok(returned);
      assert.deepStrictEqual(t.pairs(), ['client:socketError', 'client:socketDisconnect', 'client:error', 'job:error']);
      const [se, sd, ce, je] = t.events;
      assert.strictEqual(se.args[0], REFUSED_UID);
      assert.strictEqual(se.args[1].code, 'ECONNREFUSED');
      assert.deepStrictEqual(sd.args, [REFUSED_UID, se.args[1]]);
      assert.ok(ce.args[0] instanceof Error);
      assert.strictEqual(ce.args[0].message, MESSAGE);
      assert.ok(je.args[0] instanceof Error);
      assert.strictEqual(je.args[0].message, 'all job servers fail');
      assert.strictEqual(je.args[0].code, 'GEARMAN_ALL_SERVERS_FAILED');
      assert.strictEqual(jobErrorSawStack, false, 'the job error came in a later tick than the client error');
      assert.ok(c.loadBalancer.badNodes[0] instanceof Date);
      await sleep(30);
      assert.strictEqual(t.events.length, 4);
    });

    it('first call with no job error listener: client error, nothing thrown', async function () {
      const c = client({ port: 4731 });
      const t = new Trace({ ignore: [CI] });
      t.watch(c, 'client');
      c.on('error', () => {});
      const job = c.submitJob(fname(), 'p');
      t.watch(job, 'job');
      await t.waitFor('client', 'error');
      await tick();
      await sleep(30);
      assert.deepStrictEqual(t.pairs(), ['client:socketError', 'client:socketDisconnect', 'client:error']);
      assert.strictEqual(job.listenerCount('error'), 0);
    });

    it('called again while the node is still bad: client error synchronously inside submitJob, job error next tick (only when listening)', async function () {
      const c = client({ port: 4731 });
      const errs = [];
      c.on('error', (e) => errs.push(e.message));
      const first = c.submitJob(fname(), 'p');
      first.on('error', () => {});
      await until(() => errs.length === 1, { what: 'first client error' });
      const socketEvents = sinon.spy();
      c.on('socketError', socketEvents);
      c.on('socketConnect', socketEvents);
      c.on('socketDisconnect', socketEvents);

      const job = c.submitJob(fname(), 'p');
      assert.ok(job instanceof Job);
      assert.deepStrictEqual(errs, [MESSAGE, MESSAGE]); // synchronously, inside submitJob
      const jobErrs = [];
      job.on('error', (e) => jobErrs.push(e));
      assert.strictEqual(jobErrs.length, 0);
      await new Promise((resolve) => process.nextTick(resolve));
      await tick();
      assert.strictEqual(jobErrs.length, 1);
      assert.strictEqual(jobErrs[0].message, 'all job servers fail');
      assert.strictEqual(jobErrs[0].code, 'GEARMAN_ALL_SERVERS_FAILED');

      // no job listener: no throw, and no socket activity (the node is not tried again)
      const quiet = c.submitJob(fname(), 'p');
      assert.ok(quiet instanceof Job);
      assert.strictEqual(errs.length, 3);
      await tick();
      await sleep(30);
      sinon.assert.notCalled(socketEvents);
      assert.strictEqual(c.jobServers[0].socket, undefined);
    });

    it('called again while bad and no client error listener: Node throws the client error (COMPATIBILITY.md#decision-stray-packet-throws)', async function () {
      const c = client({ port: 4731 });
      c.on('error', () => {});
      c.submitJob(fname(), 'p');
      await until(() => c.loadBalancer.badNodes[0] instanceof Date, { what: 'node marked bad' });
      await tick();
      c.removeAllListeners('error');
      assert.throws(() => c.submitJob(fname(), 'p'), (e) => e.message === MESSAGE);
    });
  });

  describe('connection lost after JOB_CREATED (COMPATIBILITY.md#fixed-16)', function () {
    let srv;
    afterEach(async function () {
      this.timeout(30000);
      if (srv) await srv.stop({ reap: false });
      srv = null;
    });

    it('the created job ends with error (GEARMAN_CONNECTION_LOST) then close, after socketDisconnect', async function () {
      this.timeout(30000);
      srv = await startGearmand();
      const uid = `${srv.host}:${srv.port}`;
      const c = client(srv.server);
      c.on('error', () => {});
      const t = new Trace({ ignore: [CI] });
      t.watch(c, 'client');
      const job = c.submitJob(fname(), 'x');
      t.watch(job, 'job');
      const errs = [];
      job.on('error', (e) => errs.push(e));
      await t.waitFor('job', 'created');
      const key = job.getUid();
      await srv.stop({ reap: false });
      await t.waitFor('job', 'close');
      assert.deepStrictEqual(t.pairs(), ['client:socketConnect', 'job:submited', 'job:created', 'client:socketDisconnect', 'job:error', 'job:close']);
      assert.deepStrictEqual(t.entries('client', 'socketDisconnect')[0].args, [uid, undefined]);
      assert.strictEqual(errs.length, 1);
      assert.ok(errs[0] instanceof Error);
      assert.strictEqual(errs[0].code, 'GEARMAN_CONNECTION_LOST');
      assert.strictEqual(hasOwn(c.jobs, key), false);
      assert.strictEqual(job.closed, true);
      assert.strictEqual(job.processing, false);
    });

    it('without a job error listener: only close, nothing thrown', async function () {
      this.timeout(30000);
      srv = await startGearmand();
      const c = client(srv.server);
      c.on('error', () => {});
      const job = c.submitJob(fname(), 'x');
      const t = new Trace({ ignore: [CI] });
      t.watch(job, 'job');
      await t.waitFor('job', 'created');
      await srv.stop({ reap: false });
      await t.waitFor('job', 'close');
      await sleep(30);
      // no `error` emit at all on a job without an error listener (COMPATIBILITY.md#ground-rules)
      assert.deepStrictEqual(t.pairs(), ['job:submited', 'job:created', 'job:close']);
      assert.strictEqual(job.closed, true);
    });
  });

  describe('COMPATIBILITY.md#fixed-2: jobs queued on a connecting server whose connect fails', function () {
    it('each one fails over to the next server in order; none is lost', async function () {
      const name = fname();
      serve(name, (job) => job.workComplete('r' + job.payload), { server: priv.server });
      const c = client({ servers: [{ host: '127.0.0.1', port: 4731 }, priv.server] });
      const goodUid = `${priv.host}:${priv.port}`;
      const t = new Trace({ ignore: [CI] });
      t.watch(c, 'client');
      c.on('error', () => {});
      const jobs = [0, 1, 2, 3].map((i) => t.watch(c.submitJob(name, String(i)), `job${i}`));
      await Promise.all(jobs.map((j, i) => t.waitFor(`job${i}`, 'complete')));
      assert.deepStrictEqual(t.pairs('client'), ['client:socketError', 'client:socketDisconnect', 'client:socketConnect']);
      assert.deepStrictEqual(t.entries('client', 'socketError')[0].args[0], '127.0.0.1:4731');
      assert.deepStrictEqual(t.entries('client', 'socketConnect')[0].args, [goodUid]);
      assert.deepStrictEqual(t.events.filter((e) => e.event === 'submited').map((e) => e.label), ['job0', 'job1', 'job2', 'job3']);
      assert.deepStrictEqual(t.events.filter((e) => e.event === 'created').map((e) => e.label), ['job0', 'job1', 'job2', 'job3']);
      for (let i = 0; i < 4; i++) {
        assert.strictEqual(jobs[i].jobServerUid, goodUid);
        assert.strictEqual(jobs[i].response.toString(), 'r' + i);
        assert.deepStrictEqual(t.pairs(`job${i}`), [`job${i}:submited`, `job${i}:created`, `job${i}:complete`]);
      }
    });
  });
});
