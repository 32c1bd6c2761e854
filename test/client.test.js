'use strict';
// Client: construction (COMPATIBILITY.md#client), _getJobServer / _unrecoverableError / toString,
// the parts of submitJob (#submitjob) that need no server answer, _response with crafted parsed
// arrays (#client-response), getStatus checks (#getstatus) and close() (#client-close, #fixed-10).
// Real jobs are in client-jobs.test.js, runs against the original in client-differential.test.js.
const assert = require('assert');
const crypto = require('crypto');
const util = require('util');
const EventEmitter = require('events').EventEmitter;
const sinon = require('sinon');
const gearmanode = require('../lib/gearmanode');
const { Client } = require('../lib/gearmanode/client');
const { Worker } = require('../lib/gearmanode/worker');
const errors = require('../lib/errors');
const { Job } = require('../lib/gearmanode/job');
const lb = require('../lib/gearmanode/load-balancing');
const protocol = require('../lib/gearmanode/protocol');
const gearmand = require('./support/gearmand');
const { Trace, once, sleep, tick } = require('./support/trace');

const T = protocol.PACKET_TYPES;
const CI = 'ConnectInternal140319214558';
const fname = () => 'fn-' + crypto.randomUUID();
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
/** A deep copy of an options literal (the constructors mutate what they are given). */
const copy = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? v.map((e) => (e && typeof e === 'object' ? { ...e } : e)) : v]));

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

describe('Client', function () {
  let savedSink;
  const open = [];
  /** A client closed after the test. */
  function client(options) {
    const c = new Client(options);
    if (!(c instanceof Error)) open.push(c);
    return c;
  }

  before(function () {
    savedSink = gearmanode.setLogger(() => {});
  });
  after(function () {
    gearmanode.setLogger(savedSink);
  });
  afterEach(function () {
    sinon.restore();
    while (open.length) {
      const c = open.pop();
      if (c.closed !== true) {
        c.removeAllListeners();
        c.on('error', () => {});
        c.close();
      }
    }
  });

  describe('construction (COMPATIBILITY.md#client)', function () {
    it('defaults: one server localhost:4730, Sequence, recoverTime 30000 on the balancer', function () {
      const c = client();
      assert.ok(c instanceof Client);
      assert.ok(c instanceof EventEmitter);
      assert.strictEqual(Client.super_, EventEmitter);
      assert.strictEqual(c._type, 'Client');
      assert.strictEqual(c.jobServers.length, 1);
      assert.strictEqual(c.jobServers[0].host, 'localhost');
      assert.strictEqual(c.jobServers[0].port, 4730);
      assert.strictEqual(c.jobServers[0].clientOrWorker, c);
      assert.strictEqual(c.jobServers[0].connected, false);
      assert.deepStrictEqual(c.jobs, {});
      assert.ok(c.loadBalancer instanceof lb.Sequence);
      assert.strictEqual(c.loadBalancer.nodeCount, 1);
      assert.strictEqual(c.loadBalancer.recoverTime, 30000);
    });

    it('own keys in order: _type, jobServers, jobs, loadBalancer, then the EventEmitter internals', function () {
      const c = client({ servers: [{ port: 4730 }, { port: 4731 }], loadBalancing: 'RoundRobin', recoverTime: 5 });
      const keys = Object.keys(c);
      assert.deepStrictEqual(keys.slice(0, 4), ['_type', 'jobServers', 'jobs', 'loadBalancer']);
      assert.deepStrictEqual(keys.slice(4), Object.keys(new EventEmitter()));
    });

    it('`closed` is absent and the client has no recoverTime of its own', function () {
      const c = client({ recoverTime: 1234 });
      assert.strictEqual('closed' in c, false);
      assert.strictEqual(hasOwn(c, 'recoverTime'), false);
      assert.strictEqual(c.recoverTime, undefined);
      assert.strictEqual(c.loadBalancer.recoverTime, 1234);
    });

    it('gearmanode.client(o) is new Client(o), and passes an Error on', function () {
      const c = gearmanode.client({ port: 4730 });
      open.push(c);
      assert.ok(c instanceof Client);
      const e = gearmanode.client({ foo: 1 });
      assert.ok(e instanceof Error);
      assert.strictEqual(e.message, 'unknow option: foo');
    });

    it('Client() without new throws TypeError', function () {
      assert.throws(() => Client(), TypeError); // eslint-disable-line new-cap
    });

    it("host and port accept any non-null value ('4730' too)", function () {
      const c = client({ host: '127.0.0.1', port: '4730' });
      assert.strictEqual(c.jobServers[0].host, '127.0.0.1');
      assert.strictEqual(c.jobServers[0].port, '4730');
      assert.strictEqual(c.jobServers[0].getUid(), '127.0.0.1:4730');
    });

    it('host and port are ignored when servers is given', function () {
      const c = client({ host: 'nowhere.invalid', port: 1, servers: [{ port: 4731 }] });
      assert.strictEqual(c.jobServers.length, 1);
      assert.strictEqual(c.jobServers[0].getUid(), 'localhost:4731');
    });

    it("servers: host/port defaults are written into the caller's entries, order kept", function () {
      const servers = [{ port: 4731 }, { host: '127.0.0.1' }, {}];
      const c = client({ servers: servers.slice(0, 2) });
      assert.deepStrictEqual(servers[0], { port: 4731, host: 'localhost' });
      assert.deepStrictEqual(servers[1], { host: '127.0.0.1', port: 4730 });
      assert.deepStrictEqual(c.jobServers.map((js) => js.getUid()), ['localhost:4731', '127.0.0.1:4730']);
      assert.ok(c.jobServers.every((js) => js.clientOrWorker === c));
      assert.strictEqual(c.loadBalancer.nodeCount, 2);
    });

    it("loadBalancing 'RoundRobin' and 'Sequence' build the strategy with n = jobServers.length", function () {
      const rr = client({ servers: [{ port: 4730 }, { port: 4731 }, { port: 4732 }], loadBalancing: 'RoundRobin' });
      assert.ok(rr.loadBalancer instanceof lb.RoundRobin);
      assert.strictEqual(rr.loadBalancer.nodeCount, 3);
      const sq = client({ loadBalancing: 'Sequence' });
      assert.ok(sq.loadBalancer instanceof lb.Sequence);
      assert.strictEqual(sq.loadBalancer.nodeCount, 1);
    });

    it('recoverTime goes to loadBalancer.recoverTime; NaN and Infinity pass isNumber', function () {
      assert.strictEqual(client({ recoverTime: 20 }).loadBalancer.recoverTime, 20);
      assert.ok(Number.isNaN(client({ recoverTime: NaN }).loadBalancer.recoverTime));
      assert.strictEqual(client({ recoverTime: Infinity }).loadBalancer.recoverTime, Infinity);
      assert.strictEqual(client({ recoverTime: undefined }).loadBalancer.recoverTime, 30000);
    });

    const ERRORS = [
      [{ foo: 1 }, 'unknow option: foo'],
      [{ toStringEncoding: 'utf8' }, 'unknow option: toStringEncoding'],
      [{ loadBalancing: 'roundrobin' }, 'unknow load balancing strategy: roundrobin'],
      [{ loadBalancing: 'SEQUENCE' }, 'unknow load balancing strategy: SEQUENCE'],
      [{ loadBalancing: null }, 'unknow load balancing strategy: null'],
      [{ loadBalancing: 0 }, 'unknow load balancing strategy: 0'],
      [{ recoverTime: '100' }, 'option recoverTime is not number'],
      [{ recoverTime: null }, 'option recoverTime is not number'],
      [{ servers: {} }, 'servers: not an array'],
      [{ servers: 'localhost' }, 'servers: not an array'],
      [{ servers: undefined }, 'servers: not an array'],
      [{ servers: null }, 'servers: not an array'],
      [{ servers: [] }, 'servers: empty array'],
      [{ servers: [{ port: 4730 }, { port: '4730' }] }, 'duplicate server, uid=localhost:4730'],
      [{ servers: [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 1 }] }, 'duplicate server, uid=127.0.0.1:1'],
      [{ servers: [null] }, 'missing mandatory option: host'],
      [{ servers: [{ host: null }] }, 'missing mandatory option: host'],
      [{ servers: [{ port: null }] }, 'missing mandatory option: port'],
      [{ servers: [{ foo: 1 }] }, 'unknow option: foo'],
      [{ host: null }, 'missing mandatory option: host'],
      [{ port: null }, 'missing mandatory option: port'],
    ];
    for (const [options, message] of ERRORS) {
      it(`returns Error(${JSON.stringify(message)}) for ${util.inspect(options)}`, function () {
        let r;
        assert.doesNotThrow(() => { r = new Client(copy(options)); });
        assert.ok(r instanceof Error, `got ${util.inspect(r)}`);
        assert.strictEqual(r.message, message);
        const f = gearmanode.client(copy(options));
        assert.ok(f instanceof Error);
        assert.strictEqual(f.message, message);
      });
    }

    it('COMPATIBILITY.md#fixed-12 (the original throws TypeError): an invalid later servers entry returns the Error', function () {
      const cases = [
        [[{ port: 4730 }, null], 'missing mandatory option: host'],
        [[{ port: 4730 }, { host: null }], 'missing mandatory option: host'],
        [[{ port: 4730 }, { port: null }], 'missing mandatory option: port'],
        [[{ port: 4730 }, { port: 4731 }, { bar: 2 }], 'unknow option: bar'],
      ];
      for (const [servers, message] of cases) {
        let r;
        assert.doesNotThrow(() => { r = new Client({ servers }); });
        assert.ok(r instanceof Error, util.inspect(servers));
        assert.strictEqual(r.message, message);
      }
    });

    it('construction order: the first failure is returned', function () {
      // initServers (unknown key) before the strategy, the strategy before recoverTime.
      assert.strictEqual(new Client({ foo: 1, loadBalancing: 'x', recoverTime: 'y' }).message, 'unknow option: foo');
      assert.strictEqual(new Client({ servers: [], loadBalancing: 'x' }).message, 'servers: empty array');
      assert.strictEqual(new Client({ loadBalancing: 'x', recoverTime: 'y' }).message, 'unknow load balancing strategy: x');
      assert.strictEqual(new Client({ loadBalancing: 'RoundRobin', recoverTime: 'y' }).message, 'option recoverTime is not number');
    });

    it("loadBalancing and recoverTime are deleted from the caller's object, whatever the outcome", function () {
      const ok = { port: 4730, loadBalancing: 'RoundRobin', recoverTime: 10 };
      client(ok);
      assert.deepStrictEqual(ok, { port: 4730 });

      const bad = { foo: 1, loadBalancing: 'RoundRobin', recoverTime: 10 };
      assert.ok(new Client(bad) instanceof Error);
      assert.deepStrictEqual(bad, { foo: 1 });

      const nulls = { loadBalancing: null, recoverTime: null };
      assert.strictEqual(new Client(nulls).message, 'unknow load balancing strategy: null');
      assert.deepStrictEqual(Object.keys(nulls), []);

      const undef = { loadBalancing: undefined, recoverTime: undefined };
      const c = client(undef);
      assert.ok(c.loadBalancer instanceof lb.Sequence);
      assert.strictEqual(c.loadBalancer.recoverTime, 30000);
      assert.deepStrictEqual(Object.keys(undef), []);

      const rt = { recoverTime: 'x' };
      assert.strictEqual(new Client(rt).message, 'option recoverTime is not number');
      assert.deepStrictEqual(Object.keys(rt), []);
    });

    it('null/undefined/{} options all give the default client', function () {
      for (const o of [null, undefined, {}]) {
        const c = client(o);
        assert.deepStrictEqual(c.jobServers.map((js) => js.getUid()), ['localhost:4730']);
      }
    });
  });

  describe('_getJobServer, _unrecoverableError, toString (COMPATIBILITY.md#client)', function () {
    it('nextIndex() null → client error with the exact message, returns null', function () {
      const c = client({ servers: [{ port: 4730 }, { port: 4731 }] });
      const errorsSeen = [];
      c.on('error', (e) => errorsSeen.push(e));
      c.loadBalancer.nextIndex = () => null;
      assert.strictEqual(c._getJobServer(), null);
      assert.strictEqual(errorsSeen.length, 1);
      assert.ok(errorsSeen[0] instanceof Error);
      assert.strictEqual(errorsSeen[0].message, 'failed to obtain job server from load balancer (all servers invalid?)');
      // Beyond 0.9.2 (COMPATIBILITY.md#decision-unrecoverable-errors): a GearmanError with a code.
      assert.ok(errorsSeen[0] instanceof errors.GearmanError);
      assert.strictEqual(errorsSeen[0].code, 'GEARMAN_ALL_SERVERS_FAILED');
      c.on('error', () => {});
      for (const [msg, code] of [['unknown job, uid=h:1#H:x', 'GEARMAN_PROTOCOL_ERROR'], ['out of sync with server', 'GEARMAN_PROTOCOL_ERROR']]) {
        c._unrecoverableError(msg);
        assert.strictEqual(errorsSeen[errorsSeen.length - 1].code, code);
      }
      const w = new Worker({ port: 4730 });
      const seen = [];
      w.on('error', (e) => seen.push(e.code));
      w._getFunction('nope');
      w.close();
      assert.deepStrictEqual(seen, ['GEARMAN_UNKNOWN_FUNCTION']);
    });

    it('goes through the current _unrecoverableError and loadBalancer.nextIndex properties', function () {
      const c = client({ servers: [{ port: 4730 }, { port: 4731 }] });
      const ue = sinon.stub(c, '_unrecoverableError');
      const ni = sinon.stub(c.loadBalancer, 'nextIndex');
      ni.returns(null);
      assert.strictEqual(c._getJobServer(), null);
      sinon.assert.calledOnceWithExactly(ue, 'failed to obtain job server from load balancer (all servers invalid?)');
      ni.returns(1);
      assert.strictEqual(c._getJobServer(), c.jobServers[1]);
      ni.returns(0);
      assert.strictEqual(c._getJobServer(), c.jobServers[0]);
      sinon.assert.calledOnce(ue);
    });

    it('_getJobServer with the real balancer: 0 then null once the only node is bad', function () {
      const c = client();
      assert.strictEqual(c._getJobServer(), c.jobServers[0]);
      c.loadBalancer.badOne(0);
      const spy = sinon.spy();
      c.on('error', spy);
      assert.strictEqual(c._getJobServer(), null);
      sinon.assert.calledOnce(spy);
    });

    it('_unrecoverableError(msg) emits error(new Error(msg)); with no listener Node throws', function () {
      const c = client();
      const emit = sinon.spy(c, 'emit');
      assert.throws(() => c._unrecoverableError('boom'), (e) => e instanceof Error && e.message === 'boom');
      sinon.assert.calledOnce(emit);
      assert.strictEqual(emit.firstCall.args[0], 'error');
    });

    it("toString() is 'Client(jobServers=' + util.inspect(jobServers) + ')'", function () {
      const c = client({ servers: [{ port: 4730 }, { host: '127.0.0.1', port: '4731' }] });
      assert.strictEqual(c.toString(), 'Client(jobServers=' + util.inspect(c.jobServers) + ')');
      assert.ok(c.toString().startsWith('Client(jobServers='));
      assert.ok(c.toString().includes("host: '127.0.0.1'"));
      assert.ok(c.toString().includes("port: '4731'"));
    });
  });

  describe('submitJob (COMPATIBILITY.md#submitjob) without a server answer', function () {
    it("writes name and payload into the caller's options (overriding), then the defaults", function () {
      const c = client({ port: 4731 });
      c.on('error', () => {});
      const options = { name: 'old', payload: 'old', unique: 'u1' };
      const job = c.submitJob('new-name', 'new-payload', options);
      assert.ok(job instanceof Job);
      assert.deepStrictEqual(options, {
        name: 'new-name', payload: 'new-payload', unique: 'u1', background: false, priority: 'NORMAL', encoding: 'utf8',
      });
      assert.strictEqual(job.name, 'new-name');
      assert.strictEqual(job.payload, 'new-payload');
      assert.strictEqual(job.unique, 'u1');
      assert.strictEqual(job.processing, true);
      assert.strictEqual(job.clientOrWorker, c);
    });

    it('works without options, keeps given background/priority', function () {
      const c = client({ port: 4731 });
      c.on('error', () => {});
      const j1 = c.submitJob('f', 'p');
      assert.strictEqual(j1.background, false);
      assert.strictEqual(j1.priority, 'NORMAL');
      const o = { background: true, priority: 'HIGH' };
      const j2 = c.submitJob('f', 'p', o);
      assert.strictEqual(j2.background, true);
      assert.strictEqual(j2.priority, 'HIGH');
      assert.strictEqual(o.encoding, 'utf8');
      assert.strictEqual(j2.processing, true);
    });

    const RETURNED = [
      [[null, 'p'], 'missing mandatory option: name'],
      [[undefined, 'p'], 'missing mandatory option: name'],
      [['f', null], 'missing mandatory option: payload'],
      [['f', undefined], 'missing mandatory option: payload'],
      [[null, null], 'missing mandatory option: name'],
      [['f', 'p', { foo: 1 }], 'unknow option: foo'],
      [['f', 'p', { background: 'yes' }], "value 'yes' not in defined range, key=background"],
      [['f', 'p', { priority: 'low' }], "value 'low' not in defined range, key=priority"],
      [['f', 'p', { encoding: 'utf-8' }], "value 'utf-8' not in defined range, key=encoding"],
      [['f', 'p', { toStringEncoding: 'nope' }], 'invalid encoding: nope'],
      [['f', 'p', { jobServerUid: 'x' }], 'unknow option: jobServerUid'],
    ];
    for (const [args, message] of RETURNED) {
      it(`returns Error(${JSON.stringify(message)}) for ${util.inspect(args)}, sends nothing, emits nothing`, function () {
        const c = client();
        const js = c.jobServers[0];
        const send = sinon.spy(js, 'send');
        const connect = sinon.spy(js, 'connect');
        const emit = sinon.spy(c, 'emit');
        let r;
        assert.doesNotThrow(() => { r = c.submitJob(...args); });
        assert.ok(r instanceof Error, util.inspect(r));
        assert.strictEqual(r.message, message);
        sinon.assert.notCalled(send);
        sinon.assert.notCalled(connect);
        sinon.assert.notCalled(emit);
        assert.strictEqual(js.socket, undefined);
        assert.deepStrictEqual(js.jobsWaiting4Created, []);
      });
    }

    it("the caller's options get name/payload even when an Error is returned", function () {
      const c = client();
      const o = { priority: 'low' };
      assert.ok(c.submitJob('f', 'p', o) instanceof Error);
      assert.strictEqual(o.name, 'f');
      assert.strictEqual(o.payload, 'p');
    });

    const NUL_CASES = [
      ['a NUL in the function name', ['fn\0x', 'p']],
      ['a NUL in the function name (Buffer)', [Buffer.from('fn\0x'), 'p']],
      ['a NUL in the unique id', ['fn', 'p', { unique: 'u\0v' }]],
      ['a NUL in the unique id (Buffer)', ['fn', 'p', { unique: Buffer.from([0x41, 0, 0x42]) }]],
    ];
    for (const [title, args] of NUL_CASES) {
      it(`${title} → a returned Error and nothing sent`, async function () {
        const c = client();
        const js = c.jobServers[0];
        const send = sinon.spy(js, 'send');
        const emit = sinon.spy(c, 'emit');
        let r;
        assert.doesNotThrow(() => { r = c.submitJob(...args); });
        assert.ok(r instanceof Error, util.inspect(r));
        assert.match(r.message, /NUL/);
        await tick();
        sinon.assert.notCalled(send);
        sinon.assert.notCalled(emit);
        assert.strictEqual(js.socket, undefined);
        assert.deepStrictEqual(js.jobsWaiting4Created, []);
      });
    }

    it('a NUL in the payload is fine (it is the last field)', function () {
      const c = client({ port: 4731 });
      c.on('error', () => {});
      const j = c.submitJob('f', 'a\0b');
      assert.ok(j instanceof Job);
    });

    it('never throws: primitive or frozen options, String objects, a name whose toString throws', function () {
      const c = client();
      const send = sinon.spy(c.jobServers[0], 'send');
      const cases = [
        [['f', 'p', 'str'], 'missing mandatory option: name'], // as the original (sloppy-mode writes ignored)
        [['f', 'p', 5], 'missing mandatory option: name'],
        [['f', 'p', true], 'missing mandatory option: name'],
        [['f', 'p', Object.freeze({})], 'missing mandatory option: name'],
        // the original throws a TypeError from Buffer here (COMPATIBILITY.md#fixed-16)
        [['f', new String('p')], null],
        [[{ toString() { throw new Error('no text'); } }, 'p'], 'no text'],
      ];
      for (const [args, message] of cases) {
        let r;
        assert.doesNotThrow(() => { r = c.submitJob(...args); }, util.inspect(args));
        assert.ok(r instanceof Error, `${util.inspect(args)} gave ${util.inspect(r)}`);
        if (message !== null) assert.strictEqual(r.message, message);
      }
      // frozen options that carry name and payload: the defaults cannot be written
      let r;
      assert.doesNotThrow(() => { r = c.submitJob('f', 'p', Object.freeze({ name: 'f', payload: 'p' })); });
      assert.ok(r instanceof Error);
      sinon.assert.notCalled(send);
    });

    it("'' is a valid function name (returns a Job)", function () {
      const c = client({ port: 4731 });
      c.on('error', () => {});
      const j = c.submitJob('', 'p');
      assert.ok(j instanceof Job);
      assert.strictEqual(j.name, '');
    });

    it('encodes the packet once, with getPacketType(), [name, unique || "", payload]', function () {
      const c = client();
      const js = c.jobServers[0];
      const send = sinon.stub(js, 'send'); // nothing leaves the process
      c.submitJob('fn-x', 'data', { background: true, priority: 'LOW', unique: 'u' });
      c.submitJob('fn-y', Buffer.from([0, 1, 2]));
      sinon.assert.calledTwice(send);
      assert.ok(send.firstCall.args[0].equals(protocol.encodePacket(T.SUBMIT_JOB_LOW_BG, ['fn-x', 'u', 'data'])));
      assert.ok(send.secondCall.args[0].equals(protocol.encodePacket(T.SUBMIT_JOB, ['fn-y', '', Buffer.from([0, 1, 2])])));
      assert.strictEqual(typeof send.firstCall.args[1], 'function');
    });

    it('each try consults the current _getJobServer; its callback pushes the job, sets jobServerUid, then submited on nextTick', async function () {
      const c = client({ servers: [{ port: 4730 }, { port: 4731 }] });
      const js1 = c.jobServers[1];
      sinon.stub(c, '_getJobServer').returns(js1);
      const send = sinon.stub(js1, 'send');
      const job = c.submitJob('f', 'p');
      sinon.assert.calledOnce(send);
      assert.strictEqual(hasOwn(job, 'jobServerUid'), false);
      const submited = sinon.spy();
      job.on('submited', submited);
      send.firstCall.args[1](); // the send's success callback
      assert.strictEqual(job.jobServerUid, 'localhost:4731');
      assert.deepStrictEqual(js1.jobsWaiting4Created, [job]);
      sinon.assert.notCalled(submited);
      await new Promise((resolve) => process.nextTick(resolve));
      sinon.assert.calledOnce(submited);
    });

    it('a failing send callback fails over: tryToSend again, through _getJobServer', function () {
      const c = client({ servers: [{ port: 4730 }, { port: 4731 }] });
      const [js0, js1] = c.jobServers;
      const get = sinon.stub(c, '_getJobServer');
      get.onFirstCall().returns(js0);
      get.onSecondCall().returns(js1);
      const s0 = sinon.stub(js0, 'send');
      const s1 = sinon.stub(js1, 'send');
      const job = c.submitJob('f', 'p');
      s0.firstCall.args[1](new Error('refused'));
      sinon.assert.calledTwice(get);
      sinon.assert.calledOnce(s1);
      assert.ok(s1.firstCall.args[0].equals(s0.firstCall.args[0]));
      s1.firstCall.args[1]();
      assert.strictEqual(job.jobServerUid, 'localhost:4731');
      assert.deepStrictEqual(js0.jobsWaiting4Created, []);
      assert.deepStrictEqual(js1.jobsWaiting4Created, [job]);
    });
  });

  describe('_response with crafted parsed arrays (COMPATIBILITY.md#client-response)', function () {
    /** A client with one created job under handle H:1 (nothing connected). */
    function setup(jobOptions = {}) {
      const c = client();
      const js = c.jobServers[0];
      const job = new Job(c, Object.assign({ name: 'f', payload: 'p' }, jobOptions));
      job.processing = true;
      job.jobServerUid = js.getUid();
      job.handle = 'H:1';
      c.jobs[job.getUid()] = job;
      const t = new Trace();
      t.watch(c, 'client');
      t.watch(job, 'job');
      return { c, js, job, t };
    }

    it('JOB_CREATED → created', function () {
      const { c, js, job, t } = setup();
      c._response(js, T.JOB_CREATED, [20, 'H:1']);
      assert.deepStrictEqual(t.pairs(), ['job:created']);
      assert.strictEqual(t.entries('job', 'created')[0].args.length, 0);
      assert.strictEqual(c.jobs['localhost:4730#H:1'], job);
    });

    it('WORK_DATA / WORK_WARNING → workData / warning with a Buffer', function () {
      const { c, js, t } = setup();
      c._response(js, T.WORK_DATA, [20, 'H:1', Buffer.from('data')]);
      c._response(js, T.WORK_WARNING, [20, 'H:1', Buffer.from([0xff, 0])]);
      assert.deepStrictEqual(t.pairs(), ['job:workData', 'job:warning']);
      const [d, w] = t.entries('job');
      assert.ok(Buffer.isBuffer(d.args[0]) && d.args[0].equals(Buffer.from('data')));
      assert.ok(Buffer.isBuffer(w.args[0]) && w.args[0].equals(Buffer.from([0xff, 0])));
    });

    it('WORK_DATA / WORK_WARNING with toStringEncoding → strings', function () {
      const { c, js, t } = setup({ toStringEncoding: 'hex' });
      c._response(js, T.WORK_DATA, [20, 'H:1', Buffer.from('ab')]);
      c._response(js, T.WORK_WARNING, [20, 'H:1', Buffer.from('žž')]);
      const [d, w] = t.entries('job');
      assert.strictEqual(d.args[0], '6162');
      assert.strictEqual(w.args[0], Buffer.from('žž').toString('hex'));
    });

    it('WORK_STATUS → status {percent_done_num, percent_done_den} (strings)', function () {
      const { c, js, job, t } = setup();
      c._response(js, T.WORK_STATUS, [20, 'H:1', '3', '7']);
      assert.deepStrictEqual(t.pairs(), ['job:status']);
      const s = t.entries('job', 'status')[0].args[0];
      assert.deepStrictEqual(s, { percent_done_num: '3', percent_done_den: '7' });
      assert.deepStrictEqual(Object.keys(s), ['percent_done_num', 'percent_done_den']);
      assert.strictEqual(job.processing, true);
    });

    it("STATUS_RES → status {known, running, percent_done_num, percent_done_den} (== '1')", function () {
      const { c, js, t } = setup();
      c._response(js, T.STATUS_RES, [30, 'H:1', '1', '0', '2', '5']);
      c._response(js, T.STATUS_RES, [30, 'H:1', '0', '1', '0', '0']);
      const [a, b] = t.entries('job', 'status').map((e) => e.args[0]);
      assert.deepStrictEqual(a, { known: true, running: false, percent_done_num: '2', percent_done_den: '5' });
      assert.deepStrictEqual(Object.keys(a), ['known', 'running', 'percent_done_num', 'percent_done_den']);
      assert.deepStrictEqual(b, { known: false, running: true, percent_done_num: '0', percent_done_den: '0' });
    });

    it('WORK_COMPLETE: processing false, removed from jobs, response (Buffer) set before complete; closed stays absent, listeners stay', function () {
      const { c, js, job, t } = setup();
      const seen = [];
      job.on('complete', function () {
        seen.push({ response: job.response, processing: job.processing, inJobs: hasOwn(c.jobs, 'localhost:4730#H:1') });
      });
      const body = Buffer.from([1, 2, 3]);
      c._response(js, T.WORK_COMPLETE, [20, 'H:1', body]);
      assert.deepStrictEqual(t.pairs(), ['job:complete']);
      assert.strictEqual(t.entries('job', 'complete')[0].args.length, 0);
      assert.strictEqual(seen.length, 1);
      assert.ok(Buffer.isBuffer(seen[0].response) && seen[0].response.equals(body));
      assert.strictEqual(seen[0].processing, false);
      assert.strictEqual(seen[0].inJobs, false);
      assert.strictEqual('closed' in job, false);
      assert.strictEqual(job.listenerCount('complete'), 1);
      assert.deepStrictEqual(c.jobs, {});
    });

    it('WORK_COMPLETE with toStringEncoding → response is a string', function () {
      const { c, js, job } = setup({ toStringEncoding: 'utf8' });
      c._response(js, T.WORK_COMPLETE, [20, 'H:1', Buffer.from('hotovo ž')]);
      assert.strictEqual(job.response, 'hotovo ž');
    });

    it('WORK_FAIL: processing false, removed, response key present and undefined, failed', function () {
      const { c, js, job, t } = setup();
      c._response(js, T.WORK_FAIL, [20, 'H:1']);
      assert.deepStrictEqual(t.pairs(), ['job:failed']);
      assert.strictEqual(hasOwn(job, 'response'), true);
      assert.strictEqual(job.response, undefined);
      assert.strictEqual(job.processing, false);
      assert.deepStrictEqual(c.jobs, {});
      assert.strictEqual('closed' in job, false);
    });

    it('WORK_EXCEPTION: data converted, processing false, removed, exception(data), response not set', function () {
      const a = setup();
      a.c._response(a.js, T.WORK_EXCEPTION, [20, 'H:1', Buffer.from('boom')]);
      assert.deepStrictEqual(a.t.pairs(), ['job:exception']);
      const data = a.t.entries('job', 'exception')[0].args[0];
      assert.ok(Buffer.isBuffer(data) && data.equals(Buffer.from('boom')));
      assert.strictEqual('response' in a.job, false);
      assert.strictEqual(a.job.processing, false);
      assert.deepStrictEqual(a.c.jobs, {});

      const b = setup({ toStringEncoding: 'utf8' });
      b.c._response(b.js, T.WORK_EXCEPTION, [20, 'H:1', Buffer.from('chyba ž')]);
      assert.strictEqual(b.t.entries('job', 'exception')[0].args[0], 'chyba ž');
    });

    it('an unknown job → client error `unknown job, uid=<host:port>#<handle>`, nothing else', function () {
      const { c, js, t } = setup();
      const errs = [];
      c.on('error', (e) => errs.push(e));
      c._response(js, T.WORK_COMPLETE, [20, 'H:2', Buffer.from('x')]);
      assert.deepStrictEqual(t.pairs(), ['client:error']);
      assert.strictEqual(errs[0].message, 'unknown job, uid=localhost:4730#H:2');
      assert.strictEqual(Object.keys(c.jobs).length, 1);
    });

    it('the key must be an own key of jobs (an inherited name is unknown)', function () {
      const c = client();
      const js = c.jobServers[0];
      const errs = [];
      c.on('error', (e) => errs.push(e.message));
      Object.setPrototypeOf(c.jobs, { 'localhost:4730#H:9': new EventEmitter() });
      c._response(js, T.JOB_CREATED, [20, 'H:9']);
      assert.deepStrictEqual(errs, ['unknown job, uid=localhost:4730#H:9']);
    });

    it('the key uses the given job server (uid of js, not of the job)', function () {
      const c = client({ servers: [{ port: 4730 }, { port: 4731 }] });
      const job = new Job(c, { name: 'f', payload: 'p' });
      job.jobServerUid = 'localhost:4731';
      job.handle = 'H:1';
      c.jobs[job.getUid()] = job;
      const errs = [];
      c.on('error', (e) => errs.push(e.message));
      const created = sinon.spy();
      job.on('created', created);
      c._response(c.jobServers[0], T.JOB_CREATED, [20, 'H:1']);
      assert.deepStrictEqual(errs, ['unknown job, uid=localhost:4730#H:1']);
      c._response(c.jobServers[1], T.JOB_CREATED, [20, 'H:1']);
      sinon.assert.calledOnce(created);
    });

    it('other types are ignored for a known job', function () {
      const { c, js, t } = setup();
      c._response(js, T.NOOP, [12, 'H:1']);
      c._response(js, T.ECHO_RES, [12, 'H:1']);
      assert.deepStrictEqual(t.pairs(), []);
    });
  });

  describe('getStatus checks (COMPATIBILITY.md#getstatus)', function () {
    function bgJob(c) {
      return new Job(c, { name: 'f', payload: 'p', background: true });
    }

    it('in order: not background, no handle, no jobServerUid, server not found', function () {
      const c = client();
      const fg = new Job(c, { name: 'f', payload: 'p' });
      fg.handle = 'H:1';
      fg.jobServerUid = 'localhost:4730';
      assert.strictEqual(fg.getStatus().message, 'this is not a background job');

      const j = bgJob(c);
      j.jobServerUid = 'nowhere:1';
      assert.strictEqual(j.getStatus().message, "no job's handle (no created job?)");
      j.handle = 'H:1';
      delete j.jobServerUid;
      assert.strictEqual(j.getStatus().message, 'no associated job server (never ever submited job?)');
      j.jobServerUid = 'nowhere:1';
      assert.strictEqual(j.getStatus().message, 'job server not found by UID, uid=nowhere:1');
      for (const e of [fg.getStatus(), j.getStatus()]) assert.ok(e instanceof Error);
    });

    it('asks the current _getJobServerByUid; sends GET_STATUS [handle] with no callback; returns undefined', function () {
      const c = client();
      const js = c.jobServers[0];
      const send = sinon.stub(js, 'send');
      const j = bgJob(c);
      j.handle = 'H:vm:77';
      j.jobServerUid = 'localhost:4730';
      const byUid = sinon.spy(c, '_getJobServerByUid');
      assert.strictEqual(j.getStatus('ignored', 1, 2), undefined);
      sinon.assert.calledOnceWithExactly(byUid, 'localhost:4730');
      sinon.assert.calledOnce(send);
      assert.ok(send.firstCall.args[0].equals(protocol.encodePacket(T.GET_STATUS, ['H:vm:77'])));
      assert.strictEqual(send.firstCall.args[1], undefined);

      byUid.restore();
      sinon.stub(c, '_getJobServerByUid').returns(undefined);
      assert.strictEqual(j.getStatus().message, 'job server not found by UID, uid=localhost:4730');
      sinon.assert.calledOnce(send);
    });

    it('getStatus is a Job.prototype method', function () {
      assert.strictEqual(typeof Job.prototype.getStatus, 'function');
      assert.strictEqual(hasOwn(Job.prototype, 'getStatus'), true);
    });
  });

  describe('close (COMPATIBILITY.md#client-close, #fixed-10)', function () {
    let server;
    before(async function () {
      this.timeout(30000);
      server = await startGearmand();
    });
    after(async function () {
      this.timeout(30000);
      if (server) await server.stop();
    });

    it('one never-connected server, no jobs: socketDisconnect(uid, undefined), then close; listeners removed', function () {
      const c = client();
      const js = c.jobServers[0];
      const t = new Trace();
      t.watch(c, 'client');
      c.on('socketDisconnect', () => {});
      c.on('close', () => {});
      c.close();
      assert.deepStrictEqual(t.pairs(), ['client:socketDisconnect', 'client:close']);
      const sd = t.entries('client', 'socketDisconnect')[0];
      assert.deepStrictEqual(sd.args, ['localhost:4730', undefined]);
      assert.strictEqual(c.closed, true);
      assert.deepStrictEqual(c.eventNames(), []);
      assert.strictEqual(hasOwn(js, 'clientOrWorker'), false);
      assert.strictEqual(c.jobServers.length, 1);
      assert.strictEqual(c.jobServers[0], js);
    });

    it('order: FIFO jobs close, socketDisconnect per server (never-connected too), jobs close, client close', async function () {
      const c = client({ servers: [server.server, { host: '127.0.0.1', port: 4731 }] });
      const name = fname();
      const created = c.submitJob(name, 'created');
      await once(created, 'created');
      assert.strictEqual(c.jobServers[0].connected, true);
      const fifo = c.submitJob(name, 'fifo'); // already connected: in the FIFO right away
      assert.deepStrictEqual(c.jobServers[0].jobsWaiting4Created, [fifo]);
      const t = new Trace({ ignore: [CI] });
      t.watch(c, 'client');
      t.watch(created, 'created');
      t.watch(fifo, 'fifo');
      for (const j of [created, fifo]) j.on('error', () => {});
      c.close();
      assert.deepStrictEqual(t.pairs(), [
        'fifo:close', 'client:socketDisconnect', 'client:socketDisconnect', 'created:close', 'client:close',
      ]);
      assert.deepStrictEqual(t.entries('client', 'socketDisconnect').map((e) => e.args),
        [[server.server.host + ':' + server.port, undefined], ['127.0.0.1:4731', undefined]]);
      assert.deepStrictEqual(c.jobs, {});
      assert.strictEqual(created.closed, true);
      assert.strictEqual(fifo.closed, true);
      assert.strictEqual(created.processing, false);
      assert.strictEqual(fifo.processing, false);
      assert.deepStrictEqual(created.eventNames(), []);
      assert.deepStrictEqual(c.eventNames(), []);
      assert.ok(c.jobServers.every((js) => !hasOwn(js, 'clientOrWorker') && js.connected === false && !js.socket));
      await sleep(50);
      // Only the `submited` tick scheduled by submitJob before close still fires (on a job that has
      // no listeners left), as in the original; nothing comes from the servers.
      assert.deepStrictEqual(t.pairs().slice(5), ['fifo:submited']);
    });

    it('a second close() is harmless: no throw, no emit (COMPATIBILITY.md#fixed-10; the original throws TypeError)', function () {
      const c = client();
      c.close();
      const emit = sinon.spy(c, 'emit');
      const emitJs = sinon.spy(c.jobServers[0], 'emit');
      assert.doesNotThrow(() => c.close());
      sinon.assert.notCalled(emit);
      sinon.assert.notCalled(emitJs);
      assert.strictEqual(c.closed, true);
    });

    it('submitJob after close: no throw, nothing sent, job error with code GEARMAN_CLOSED when it listens', async function () {
      const c = client({ servers: [server.server] });
      c.close();
      const js = c.jobServers[0];
      const send = sinon.spy(js, 'send');
      const connect = sinon.spy(js, 'connect');
      let job;
      assert.doesNotThrow(() => { job = c.submitJob(fname(), 'p'); });
      assert.ok(job instanceof Job);
      const errs = [];
      job.on('error', (e) => errs.push(e));
      const submited = sinon.spy();
      job.on('submited', submited);
      await tick();
      await sleep(30);
      assert.strictEqual(errs.length, 1);
      assert.strictEqual(errs[0].code, 'GEARMAN_CLOSED');
      assert.ok(errs[0] instanceof Error);
      sinon.assert.notCalled(send);
      sinon.assert.notCalled(connect);
      sinon.assert.notCalled(submited);
      assert.strictEqual(js.socket, undefined);
      assert.strictEqual(js.connected, false);
    });

    it('submitJob after close with no job listener: nothing thrown, later either', async function () {
      const c = client({ servers: [server.server] });
      c.close();
      const job = c.submitJob(fname(), 'p');
      assert.ok(job instanceof Job);
      await tick();
      await sleep(30);
      assert.strictEqual(c.jobServers[0].connected, false);
    });
  });
});

