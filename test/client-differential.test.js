'use strict';
// Client side, differentially: the same scenario runs on gearmanode 0.9.2 (black box) and on this
// package against the same gearmand, with fresh function names, and the ordered (object, event)
// lists recorded by support/trace.js are compared (COMPATIBILITY.md#owner-events,
// #client-job-events, #client-behaviour). Where this package differs on purpose
// (COMPATIBILITY.md#fixed-1 … #fixed-18 and #decisions), the documented difference is asserted. A
// worker of this package serves the jobs in both runs.
const assert = require('assert');
const crypto = require('crypto');
const sinon = require('sinon');
const diff = require('./support/differential');
const gearmand = require('./support/gearmand');
const { Trace, once, sleep, tick } = require('./support/trace');

const ours = require('../lib/gearmanode');
const protocol = require('../lib/gearmanode/protocol');

const T = protocol.PACKET_TYPES;
const CI = 'ConnectInternal140319214558';
const fname = () => 'fn-' + crypto.randomUUID();
const MESSAGE = 'failed to obtain job server from load balancer (all servers invalid?)';

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

/** Event arguments as plain data: Errors by message (and socket code), Buffers as hex. */
function plain(x) {
  if (x instanceof Error) return x.code && /^E[A-Z]+$/.test(x.code) ? { error: x.message, code: x.code } : { error: x.message };
  if (Buffer.isBuffer(x)) return { hex: x.toString('hex') };
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

/** `label:event(args…)` strings of a trace, with the uids made independent of the port. */
function detailed(t, uids = {}) {
  return t.events.map((e) => {
    const args = JSON.stringify(plain(e.args)).replace(/[\w.]+:\d+/g, (u) => uids[u] || u);
    return `${e.label}:${String(e.event)}${args}`;
  });
}

describe('Client differential: gearmanode 0.9.2 vs this package', function () {
  let savedSink;
  let priv;
  let cleanups = [];
  const mods = {};

  /** Runs `scenario(ctx)` with the given implementation; returns ctx (ctx.t is its Trace). */
  async function run(which, scenario) {
    const m = mods[which];
    const t = new Trace();
    const ctx = {
      m,
      t,
      which,
      client(options) {
        const c = m.client(options);
        assert.ok(!(c instanceof Error), c && c.message);
        cleanups.push(() => {
          if (c.closed !== true) {
            c.removeAllListeners();
            c.on('error', () => {});
            c.close();
          }
        });
        return c;
      },
      worker(server, name, fn, options) {
        const w = ours.worker(Object.assign({}, server || {}, options || {}));
        w.addFunction(name, fn);
        cleanups.push(() => { if (w.closed !== true) w.close(); });
        return w;
      },
    };
    await scenario(ctx);
    t.restore();
    return ctx;
  }

  /** Both runs, original first. */
  async function both(scenario) {
    const o = await run('orig', scenario);
    const u = await run('ours', scenario);
    return { orig: o, ours: u };
  }

  before(async function () {
    this.timeout(30000);
    mods.orig = diff.orig('');
    mods.ours = diff.ours('');
    savedSink = ours.setLogger(() => {});
    priv = await startGearmand();
  });
  after(async function () {
    this.timeout(30000);
    ours.setLogger(savedSink);
    if (priv) await priv.stop();
  });
  afterEach(function () {
    sinon.restore();
    for (const c of cleanups.reverse()) c();
    cleanups = [];
  });

  describe('same behaviour', function () {
    it('a whole job lifecycle: the same ordered (object, event) list and arguments, then close', async function () {
      const r = await both(async ({ t, client, worker }) => {
        const name = fname();
        worker(null, name, (job) => {
          job.sendWorkData('part');
          job.reportStatus(1, 2);
          job.reportWarning('careful');
          job.workComplete('done');
        });
        const c = client();
        t.watch(c, 'client');
        t.watch(c.jobServers[0], 'js');
        const job = c.submitJob(name, 'payload');
        t.watch(job, 'job');
        await t.waitFor('job', 'complete');
        c.close();
      });
      assert.deepStrictEqual(r.ours.t.pairs(), r.orig.t.pairs());
      assert.deepStrictEqual(r.ours.t.pairs(), [
        'js:' + CI, 'client:socketConnect', 'job:submited', 'job:created', 'job:workData', 'job:status', 'job:warning',
        'job:complete', 'client:socketDisconnect', 'client:close',
      ]);
      assert.deepStrictEqual(detailed(r.ours.t), detailed(r.orig.t));
    });

    it('exact emit counts per object (sinon spies on client.emit and job.emit) are the same', async function () {
      const counts = {};
      for (const which of ['orig', 'ours']) {
        await run(which, async ({ client, worker }) => {
          const name = fname();
          worker(null, name, (job) => { job.sendWorkData('a'); job.sendWorkData('b'); job.workComplete('c'); });
          const c = client();
          const ce = sinon.spy(c, 'emit');
          const jse = sinon.spy(c.jobServers[0], 'emit');
          const job = c.submitJob(name, 'p');
          const je = sinon.spy(job, 'emit');
          await once(job, 'complete');
          c.close();
          const tally = (s) => s.getCalls().reduce((a, x) => { a[String(x.args[0])] = (a[String(x.args[0])] || 0) + 1; return a; }, {});
          counts[which] = { client: tally(ce), js: tally(jse), job: tally(je) };
        });
      }
      assert.deepStrictEqual(counts.ours, counts.orig);
      assert.deepStrictEqual(counts.ours.job, { submited: 1, created: 1, workData: 2, complete: 1 });
      assert.deepStrictEqual(counts.ours.client, { socketConnect: 1, socketDisconnect: 1, close: 1 });
      assert.deepStrictEqual(counts.ours.js, { [CI]: 1 });
    });

    it('toStringEncoding: string event data and response, the same', async function () {
      const r = await both(async ({ t, client, worker }) => {
        const name = fname();
        worker(null, name, (job) => { job.sendWorkData('část'); job.workComplete('hotovo ✓'); });
        const c = client();
        t.watch(c, 'client');
        const job = c.submitJob(name, 'x', { toStringEncoding: 'utf8' });
        t.watch(job, 'job');
        await t.waitFor('job', 'complete');
        t.response = job.response;
      });
      assert.deepStrictEqual(detailed(r.ours.t), detailed(r.orig.t));
      assert.strictEqual(r.ours.t.response, 'hotovo ✓');
      assert.strictEqual(r.orig.t.response, 'hotovo ✓');
    });

    it('failed and exception (with the option): the same events and fields', async function () {
      const r = await both(async ({ t, client, worker }) => {
        const name = fname();
        worker(null, name, (job) => (String(job.payload) === 'f' ? job.reportError() : job.reportException('boom')));
        const c = client();
        c.jobServers[0].setOption('exceptions');
        t.watch(c, 'client');
        const a = c.submitJob(name, 'f');
        t.watch(a, 'a');
        await t.waitFor('a', 'failed');
        const b = c.submitJob(name, 'e');
        t.watch(b, 'b');
        await t.waitFor('b', 'exception');
        t.fields = [a, b].map((j) => ({ hasResponse: 'response' in j, processing: j.processing, jobs: Object.keys(c.jobs).length }));
      });
      assert.deepStrictEqual(detailed(r.ours.t), detailed(r.orig.t));
      assert.deepStrictEqual(r.ours.t.fields, r.orig.t.fields);
      assert.deepStrictEqual(r.ours.t.fields, [{ hasResponse: true, processing: false, jobs: 0 }, { hasResponse: false, processing: false, jobs: 0 }]);
    });

    it('background job: getStatus answer, stays in jobs, closed by client.close()', async function () {
      const uids = { [`${priv.host}:${priv.port}`]: 'PRIV' };
      const r = await both(async ({ t, client }) => {
        const c = client(priv.server);
        t.watch(c, 'client');
        const job = c.submitJob(fname(), 'x', { background: true });
        t.watch(job, 'job');
        await t.waitFor('job', 'created');
        t.getStatus = job.getStatus();
        await t.waitFor('job', 'status');
        t.inJobs = Object.keys(c.jobs).length;
        t.processing = job.processing;
        c.close();
      });
      assert.deepStrictEqual(detailed(r.ours.t, uids), detailed(r.orig.t, uids));
      assert.deepStrictEqual(r.ours.t.pairs(), ['client:socketConnect', 'job:submited', 'job:created', 'job:status',
        'client:socketDisconnect', 'job:close', 'client:close']);
      for (const x of [r.orig.t, r.ours.t]) {
        assert.strictEqual(x.getStatus, undefined);
        assert.strictEqual(x.inJobs, 1);
        assert.strictEqual(x.processing, true);
      }
    });

    it('close(): FIFO jobs close, socketDisconnect per server (never-connected too), jobs close, close — the same', async function () {
      const uids = { [`${priv.host}:${priv.port}`]: 'PRIV' };
      const r = await both(async ({ t, client }) => {
        const c = client({ servers: [priv.server, { host: '127.0.0.1', port: 4731 }] });
        const name = fname();
        const created = c.submitJob(name, 'created');
        await once(created, 'created');
        const fifo = c.submitJob(name, 'fifo');
        t.watch(c, 'client');
        t.watch(created, 'created');
        t.watch(fifo, 'fifo');
        c.close();
        await sleep(30);
        t.state = { jobs: Object.keys(c.jobs).length, closed: c.closed, listeners: c.eventNames().length };
      });
      assert.deepStrictEqual(detailed(r.ours.t, uids), detailed(r.orig.t, uids));
      assert.deepStrictEqual(r.ours.t.pairs(), ['fifo:close', 'client:socketDisconnect', 'client:socketDisconnect', 'created:close',
        'client:close', 'fifo:submited']);
      assert.deepStrictEqual(r.ours.t.state, r.orig.t.state);
    });

    it('all servers down, first call (job listening): socketError, socketDisconnect, client error, job error — the same list', async function () {
      const r = await both(async ({ t, client }) => {
        const c = client({ port: 4731 });
        t.watch(c, 'client');
        c.on('error', () => {});
        const job = c.submitJob(fname(), 'p');
        t.watch(job, 'job');
        job.on('error', () => {});
        await t.waitFor('job', 'error');
        await sleep(20);
      });
      assert.deepStrictEqual(detailed(r.ours.t), detailed(r.orig.t));
      assert.deepStrictEqual(r.ours.t.pairs(), ['client:socketError', 'client:socketDisconnect', 'client:error', 'job:error']);
    });

    it('_response with crafted parsed arrays: the same events and fields for every type', async function () {
      const cases = [
        [T.JOB_CREATED, ['H:1']],
        [T.WORK_DATA, ['H:1', Buffer.from('d')]],
        [T.WORK_WARNING, ['H:1', Buffer.from('w')]],
        [T.WORK_STATUS, ['H:1', '1', '3']],
        [T.STATUS_RES, ['H:1', '1', '0', '2', '9']],
        [T.WORK_COMPLETE, ['H:1', Buffer.from([0, 255])]],
        [T.WORK_FAIL, ['H:1']],
        [T.WORK_EXCEPTION, ['H:1', Buffer.from('x')]],
        [T.WORK_COMPLETE, ['H:2', Buffer.from('nobody')]],
        [T.NOOP, ['H:1']],
      ];
      for (const enc of [undefined, 'utf8', 'hex']) {
        for (const [type, fields] of cases) {
          const r = await both(async ({ t, m, client }) => {
            const c = client();
            c.on('error', () => {});
            const js = c.jobServers[0];
            const opts = { name: 'f', payload: 'p' };
            if (enc) opts.toStringEncoding = enc;
            const job = new m.Job(c, opts);
            job.processing = true;
            job.jobServerUid = js.getUid();
            job.handle = 'H:1';
            c.jobs[job.getUid()] = job;
            t.watch(c, 'client');
            t.watch(job, 'job');
            c._response(js, type, [12].concat(fields));
            t.fields = {
              keys: Object.keys(job).filter((k) => !k.startsWith('_')),
              response: plain(job.response),
              processing: job.processing,
              jobs: Object.keys(c.jobs),
            };
          });
          const what = `type ${type} ${enc}`;
          assert.deepStrictEqual(detailed(r.ours.t), detailed(r.orig.t), what);
          assert.deepStrictEqual(r.ours.t.fields, r.orig.t.fields, what);
        }
      }
    });

    it('construction: messages, own keys and the mutated options are the same', function () {
      const cases = [
        undefined, {}, { port: '4730' }, { host: '127.0.0.1', port: 4731 },
        { servers: [{ port: 4730 }, { host: '127.0.0.1' }], loadBalancing: 'RoundRobin', recoverTime: 5 },
        { foo: 1 }, { toStringEncoding: 'utf8' }, { loadBalancing: 'roundrobin' }, { loadBalancing: null },
        { recoverTime: '1' }, { recoverTime: null }, { recoverTime: NaN }, { servers: {} }, { servers: [] },
        { servers: undefined }, { servers: null }, { servers: [{ port: 4730 }, { port: '4730' }] }, { servers: [null] },
        { servers: [{ host: null }] }, { servers: [{ port: null }] }, { servers: [{ foo: 1 }] }, { host: null },
        { foo: 1, loadBalancing: 'x', recoverTime: 'y' }, { loadBalancing: 'x', recoverTime: 'y' },
      ];
      for (const options of cases) {
        diff.same('', (m) => {
          const o = options === undefined ? undefined : JSON.parse(JSON.stringify(options, (k, v) => (Number.isNaN(v) ? 'NaN!' : v)), (k, v) => (v === 'NaN!' ? NaN : v));
          const c = m.client(o);
          const out = { options: o === undefined ? null : JSON.stringify(o) };
          if (c instanceof Error) {
            out.error = c.message;
          } else {
            out.keys = Object.keys(c);
            out.servers = c.jobServers.map((js) => [js.getUid(), Object.keys(js)]);
            out.lb = [Object.keys(c.loadBalancer), String(c.loadBalancer.recoverTime)];
            out.closed = 'closed' in c;
            c.close();
          }
          return out;
        }, JSON.stringify(options));
      }
    });

    it('submitJob: returned Errors and the mutated options are the same', function () {
      const cases = [
        [null, 'p'], ['f', null], ['f', 'p', { foo: 1 }], ['f', 'p', { background: 'yes' }], ['f', 'p', { priority: 'low' }],
        ['f', 'p', { toStringEncoding: 'x' }], ['f', 'p', { name: 'n', payload: 'q', unique: 'u' }], ['f', 'p', 'str'], ['f', 'p', 5],
      ];
      for (const args of cases) {
        diff.same('', (m) => {
          const c = m.client({ port: 4731 });
          c.on('error', () => {});
          const opts = args[2] && typeof args[2] === 'object' ? Object.assign({}, args[2]) : args[2];
          sinon.stub(c.jobServers[0], 'send');
          const j = c.submitJob(args[0], args[1], opts);
          sinon.restore();
          const out = { job: j instanceof Error ? j.message : Object.keys(j), options: opts && typeof opts === 'object' ? opts : null };
          c.close();
          return out;
        }, JSON.stringify(args));
      }
    });

    it('getStatus checks: the same messages in the same order', function () {
      diff.same('', (m) => {
        const c = m.client();
        const out = [];
        const fg = new m.Job(c, { name: 'f', payload: 'p' });
        out.push(fg.getStatus().message);
        const j = new m.Job(c, { name: 'f', payload: 'p', background: true });
        out.push(j.getStatus().message);
        j.handle = 'H:1';
        out.push(j.getStatus().message);
        j.jobServerUid = 'nowhere:1';
        out.push(j.getStatus().message);
        c.close();
        return out;
      });
    });
  });

  describe('documented differences (COMPATIBILITY.md#fixed-1 … #fixed-18)', function () {
    it('fixed-17, exception without the option: the original emits client error `unknown job` and the job never ends; ours ends it as failed', async function () {
      const r = await both(async ({ t, client, worker }) => {
        const name = fname();
        worker(null, name, (job) => job.reportException('boom'));
        const c = client();
        t.watch(c, 'client');
        c.on('error', () => {});
        const job = c.submitJob(name, 'x');
        t.watch(job, 'job');
        await Promise.race([t.waitFor('job', 'failed'), t.waitFor('client', 'error')]);
        await sleep(50);
        t.handle = job.handle;
      });
      assert.deepStrictEqual(r.orig.t.pairs(), ['client:socketConnect', 'job:submited', 'job:created', 'client:error']);
      assert.strictEqual(r.orig.t.entries('client', 'error')[0].args[0].message, `unknown job, uid=localhost:4730#${r.orig.t.handle}\0`);
      assert.deepStrictEqual(r.ours.t.pairs(), ['client:socketConnect', 'job:submited', 'job:created', 'job:failed']);
    });

    it('fixed-10, a second close(): the original throws TypeError; ours is harmless and emits nothing', function () {
      const out = {};
      for (const which of ['orig', 'ours']) {
        const c = mods[which].client();
        c.close();
        const emit = sinon.spy(c, 'emit');
        try {
          c.close();
          out[which] = 'ok';
        } catch (e) {
          out[which] = e.constructor.name;
        }
        out[which + 'Emits'] = emit.callCount;
        sinon.restore();
      }
      assert.deepStrictEqual(out, { orig: 'TypeError', origEmits: 0, ours: 'ok', oursEmits: 0 });
    });

    it('fixed-3, all servers down: the original emits the job error in the same stack as the client error; ours one tick later', async function () {
      const sameStack = {};
      for (const which of ['orig', 'ours']) {
        await run(which, async ({ client }) => {
          const c = client({ port: 4731 });
          let inClientError = false;
          c.on('error', () => {
            inClientError = true;
            process.nextTick(() => { inClientError = false; });
          });
          const job = c.submitJob(fname(), 'p');
          const got = once(job, 'error');
          job.on('error', () => { sameStack[which] = inClientError; });
          await got;
        });
      }
      assert.deepStrictEqual(sameStack, { orig: true, ours: false });
    });

    it('fixed-3, called again while every node is bad: the original throws `all job servers fail` out of submitJob; ours returns the job', async function () {
      const out = {};
      for (const which of ['orig', 'ours']) {
        await run(which, async ({ t, client }) => {
          const c = client({ port: 4731 });
          c.on('error', () => {});
          const first = c.submitJob(fname(), 'p');
          first.on('error', () => {});
          await once(first, 'error');
          t.watch(c, 'client');
          let job;
          try {
            job = c.submitJob(fname(), 'p');
          } catch (e) {
            out[which] = { threw: e.message, sync: t.pairs() };
            return;
          }
          out[which] = { returned: job instanceof mods[which].Job, sync: t.pairs() };
          t.watch(job, 'job');
          job.on('error', () => {});
          await tick();
          out[which].later = t.pairs();
        });
      }
      assert.deepStrictEqual(out.orig, { threw: 'all job servers fail', sync: ['client:error'] });
      assert.deepStrictEqual(out.ours, { returned: true, sync: ['client:error'], later: ['client:error', 'job:error'] });
    });

    it('fixed-2, jobs queued on a failing connect: the original loses all but the first; ours fails each one over in order', async function () {
      const uids = { [`${priv.host}:${priv.port}`]: 'PRIV' };
      const r = await both(async ({ t, client, worker }) => {
        const name = fname();
        worker(priv.server, name, (job) => job.workComplete('r' + job.payload));
        const c = client({ servers: [{ host: '127.0.0.1', port: 4731 }, priv.server] });
        c.on('error', () => {});
        t.watch(c, 'client');
        for (let i = 0; i < 3; i++) t.watch(c.submitJob(name, String(i)), `job${i}`);
        await t.waitFor('job0', 'complete');
        await sleep(150);
      });
      const common = ['client:socketError', 'client:socketDisconnect', 'client:socketConnect', 'job0:submited', 'job0:created', 'job0:complete'];
      assert.deepStrictEqual(r.orig.t.pairs(), common);
      assert.deepStrictEqual(r.ours.t.pairs(), ['client:socketError', 'client:socketDisconnect', 'client:socketConnect',
        'job0:submited', 'job1:submited', 'job2:submited', 'job0:created', 'job1:created', 'job2:created',
        'job0:complete', 'job1:complete', 'job2:complete']);
      assert.deepStrictEqual(detailed(r.ours.t, uids).slice(0, 3), detailed(r.orig.t, uids).slice(0, 3));
    });

    it('fixed-16, connection lost after JOB_CREATED: the original leaves the job hanging; ours ends it with error then close', async function () {
      this.timeout(30000);
      const out = {};
      for (const which of ['orig', 'ours']) {
        const srv = await startGearmand();
        try {
          await run(which, async ({ t, client }) => {
            const c = client(srv.server);
            c.on('error', () => {});
            t.watch(c, 'client');
            const job = c.submitJob(fname(), 'x');
            t.watch(job, 'job');
            job.on('error', () => {});
            await t.waitFor('job', 'created');
            await srv.stop({ reap: false });
            await t.waitFor('client', 'socketDisconnect');
            await sleep(100);
            out[which] = t.pairs();
          });
        } finally {
          await srv.stop({ reap: false });
        }
      }
      const prefix = ['client:socketConnect', 'job:submited', 'job:created', 'client:socketDisconnect'];
      assert.deepStrictEqual(out.orig, prefix);
      assert.deepStrictEqual(out.ours, prefix.concat(['job:error', 'job:close']));
    });
  });
});
