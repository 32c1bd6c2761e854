'use strict';
// Worker (COMPATIBILITY.md#worker, #registration, #grab-cycle, #worker-close, #owner-events):
// construction and its Errors, registration (addFunction / removeFunction / resetAbilities /
// setWorkerId) checked byte by byte with spies on jobServer.send, the grab cycle driven through
// worker._response and seen on the wire with the gearmand on 4730, and close(). Worker-side jobs
// are in worker-jobs.test.js, reconnection in worker-reconnect.test.js, several servers in
// multi-server.test.js.
const should = require('should');
const assert = require('assert');
const sinon = require('sinon');
const crypto = require('crypto');
const EventEmitter = require('events').EventEmitter;
const gearmanode = require('../lib/gearmanode');
const { Worker } = require('../lib/gearmanode/worker');
const { Job } = require('../lib/gearmanode/job');
const loggers = require('../lib/logger');
const diff = require('./support/differential');
const gearmand = require('./support/gearmand');
const { defaultServer, REFUSED_PORT } = require('./support/hooks');

// Packet type codes, written out (the expected bytes are built here, not by the library).
const CAN_DO = 1;
const CANT_DO = 2;
const RESET_ABILITIES = 3;
const PRE_SLEEP = 4;
const NOOP = 6;
const JOB_CREATED = 8;
const GRAB_JOB = 9;
const NO_JOB = 10;
const JOB_ASSIGN = 11;
const WORK_COMPLETE = 13;
const WORK_FAIL = 14;
const ECHO_RES = 17;
const SET_CLIENT_ID = 22;
const CAN_DO_TIMEOUT = 23;
const GRAB_JOB_UNIQ = 30;
const JOB_ASSIGN_UNIQ = 31;

/** A request packet: `\0REQ`, type, length, the arguments joined by NUL (strings as UTF-8). */
function req(type, args = []) {
  const parts = [];
  args.forEach((a, i) => {
    if (i > 0) parts.push(Buffer.from([0]));
    parts.push(Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8'));
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(12);
  head.writeUInt32BE(0x00524551, 0);
  head.writeUInt32BE(type, 4);
  head.writeUInt32BE(body.length, 8);
  return Buffer.concat([head, body]);
}

/** Hex of every Buffer argument of the calls of a send spy/stub (readable diffs). */
function sentHex(spy) {
  return spy.args.map((a) => a[0].toString('hex'));
}

/** The packet types written through a send spy, in order. */
function sentTypes(spy) {
  return spy.args.map((a) => a[0].readUInt32BE(4));
}

const hex = (b) => b.toString('hex');
const fnName = () => `fn-${crypto.randomUUID()}`;

/** Resolves with the arguments of the next `event` (rejects after `ms`). */
function next(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Polls `fn` (sync or async) until it returns truthy; rejects after `ms`. */
async function until(fn, ms = 5000, what = 'condition') {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await gearmand.sleep(20);
  }
}

describe('Worker', function () {
  const opened = [];
  /** Remembers a client or worker so that afterEach closes it. */
  function keep(x) {
    if (!(x instanceof Error)) opened.push(x);
    return x;
  }

  before(function () {
    loggers.setLogger(() => {}); // some tests make the worker log errors on purpose
  });

  after(function () {
    loggers.setLogger(null);
  });

  afterEach(function () {
    sinon.restore();
    while (opened.length) {
      const x = opened.pop();
      x.close();
    }
  });

  describe('construction (COMPATIBILITY.md#worker)', function () {
    it('defaults: withUnique false, recoverTime 30000, recoverLimit 3, one server localhost:4730', function () {
      const w = keep(new Worker());
      w.should.be.instanceof(EventEmitter);
      Worker.super_.should.equal(EventEmitter);
      w.withUnique.should.be.false();
      w.recoverTime.should.equal(30000);
      w.recoverLimit.should.equal(3);
      w._type.should.equal('Worker');
      w.jobServers.should.have.length(1);
      w.jobServers[0].getUid().should.equal('localhost:4730');
      w.jobServers[0].clientOrWorker.should.equal(w);
      w.functions.should.eql({});
    });

    it('own keys in the original order; closed, workerId, jobs and loadBalancer are absent', function () {
      const w = keep(new Worker({ withUnique: true, recoverTime: 5, recoverLimit: 1 }));
      const keys = Object.keys(w);
      keys.slice(0, 6).should.eql(['withUnique', 'recoverTime', 'recoverLimit', '_type', 'jobServers', 'functions']);
      keys.slice(6).forEach((k) => ['_events', '_eventsCount', '_maxListeners'].should.containEql(k));
      ('closed' in w).should.be.false();
      ('workerId' in w).should.be.false();
      ('jobs' in w).should.be.false();
      ('loadBalancer' in w).should.be.false();
    });

    it('gearmanode.worker(o) is new Worker(o); Worker() without new throws TypeError', function () {
      const w = keep(gearmanode.worker({ port: 4730 }));
      w.should.be.instanceof(Worker);
      gearmanode.Worker.should.equal(Worker);
      (() => Worker()).should.throw(TypeError); // eslint-disable-line new-cap
      w.toString().should.startWith('Worker(jobServers=');
      w.toString().should.endWith(')');
    });

    it('withUnique must be strictly true or false: anything else returns the Error', function () {
      for (const [v, shown] of [['true', 'true'], [1, '1'], [0, '0'], [null, 'null'], ['', ''], [{}, '[object Object]']]) {
        const w = new Worker({ withUnique: v });
        w.should.be.instanceof(Error);
        w.message.should.equal(`value '${shown}' not in defined range, key=withUnique`);
        const f = gearmanode.worker({ withUnique: v });
        f.should.be.instanceof(Error);
        f.message.should.equal(w.message);
      }
      keep(new Worker({ withUnique: true })).withUnique.should.be.true();
      keep(new Worker({ withUnique: false })).withUnique.should.be.false();
    });

    it('recoverTime and recoverLimit are not validated (kept as given); undefined becomes the default', function () {
      const w = keep(new Worker({ recoverTime: 'soon', recoverLimit: null }));
      w.should.not.be.instanceof(Error);
      w.recoverTime.should.equal('soon');
      should(w.recoverLimit).be.null();
      const n = keep(new Worker({ recoverTime: NaN, recoverLimit: -1 }));
      Number.isNaN(n.recoverTime).should.be.true();
      n.recoverLimit.should.equal(-1);
      const u = keep(new Worker({ recoverTime: undefined, recoverLimit: undefined, withUnique: undefined }));
      [u.withUnique, u.recoverTime, u.recoverLimit].should.eql([false, 30000, 3]);
    });

    it("deletes withUnique, recoverTime and recoverLimit from the caller's object (also when it returns an Error)", function () {
      const o = { withUnique: true, recoverTime: 100, recoverLimit: 5, port: 4730 };
      keep(new Worker(o));
      o.should.eql({ port: 4730 });
      const bad = { withUnique: 'x', recoverTime: 1, recoverLimit: 2, host: 'localhost' };
      new Worker(bad).should.be.instanceof(Error);
      bad.should.eql({ host: 'localhost' });
      // differential: the same on gearmanode 0.9.2
      diff.quietOriginal();
      diff.same('lib/gearmanode/worker', (m) => {
        const opts = { withUnique: 'x', recoverTime: 1, recoverLimit: 2, port: 4730 };
        const r = new m.Worker(opts);
        return [opts, r instanceof Error ? r.message : Object.keys(r).slice(0, 6)];
      });
    });

    it('initServers runs after the three options: loadBalancing, toStringEncoding and bad servers give their Errors', function () {
      new Worker({ loadBalancing: 'RoundRobin' }).message.should.equal('unknow option: loadBalancing');
      new Worker({ toStringEncoding: 'utf8' }).message.should.equal('unknow option: toStringEncoding');
      new Worker({ servers: [] }).message.should.equal('servers: empty array');
      new Worker({ servers: 'x' }).message.should.equal('servers: not an array');
      new Worker({ servers: [{ port: 4730 }, { port: '4730' }] }).message.should.equal('duplicate server, uid=localhost:4730');
      // withUnique is checked before initServers
      new Worker({ withUnique: 'no', loadBalancing: 'x' }).message.should.equal("value 'no' not in defined range, key=withUnique");
      const entry = { port: 4730 };
      const w = keep(new Worker({ servers: [entry, { host: '127.0.0.1', port: REFUSED_PORT }] }));
      entry.should.eql({ port: 4730, host: 'localhost' }); // defaults written into the caller's entry
      w.jobServers.map((js) => js.getUid()).should.eql(['localhost:4730', `127.0.0.1:${REFUSED_PORT}`]);
    });

    it('has the prototype methods of 0.9.2, and the job-side methods on Job.prototype', function () {
      for (const m of ['initServers', 'closeServers', '_getJobServerIndexByUid', '_getJobServerByUid', '_response',
        '_unrecoverableError', 'addFunction', 'removeFunction', 'resetAbilities', 'setWorkerId', 'close',
        'toString', '_getFunction', '_preSleep']) {
        Worker.prototype.should.have.ownProperty(m);
        Worker.prototype[m].should.be.a.Function();
      }
      for (const m of ['workComplete', 'sendWorkData', 'reportStatus', 'reportError', 'reportException',
        'reportWarning', '_sendAndClose']) {
        Job.prototype[m].should.be.a.Function();
      }
    });
  });

  describe('addFunction (COMPATIBILITY.md#registration)', function () {
    /** A worker on two servers whose sends are stubbed (nothing connects). */
    function stubbedWorker(options = {}) {
      const w = keep(new Worker({ servers: [{ port: 4730 }, { host: '127.0.0.1', port: REFUSED_PORT }], ...options }));
      const sends = w.jobServers.map((js) => sinon.stub(js, 'send'));
      return { w, sends };
    }

    it('returns the Errors of 0.9.2, in order, and sends, stores and emits nothing', function () {
      const { w, sends } = stubbedWorker();
      const emit = sinon.spy(w, 'emit');
      const cb = () => {};
      for (const name of ['', undefined, null, 0, false]) {
        w.addFunction(name, cb).message.should.equal('undefined function name');
      }
      w.addFunction('', 'not a function', { bad: 1 }).message.should.equal('undefined function name');
      for (const f of [undefined, null, 'f', {}, 42]) {
        w.addFunction('f', f).message.should.equal('invalid callback (not a function)');
      }
      w.addFunction('f', 'x', { bad: 1 }).message.should.equal('invalid callback (not a function)');
      w.addFunction('f', cb, { bad: 1 }).message.should.equal('unknow option: bad');
      w.addFunction('f', cb, { timeout: 1, other: 2 }).message.should.equal('unknow option: other');
      w.addFunction('f', cb, { toStringEncoding: 'klingon' }).message.should.equal('invalid encoding: klingon');
      w.addFunction('f', cb, { foo: 1, toStringEncoding: 'klingon' }).message.should.equal('unknow option: foo');
      sends.forEach((s) => s.called.should.be.false());
      emit.called.should.be.false();
      w.functions.should.eql({});
    });

    it('sends CAN_DO [name] then PRE_SLEEP (through _preSleep) to every server in order; returns undefined', function () {
      const { w, sends } = stubbedWorker();
      const preSleep = sinon.spy(w, '_preSleep');
      const name = 'ž-' + fnName();
      const cb = () => {};
      should(w.addFunction(name, cb)).be.undefined();
      for (const s of sends) sentHex(s).should.eql([hex(req(CAN_DO, [name])), hex(req(PRE_SLEEP))]);
      preSleep.callCount.should.equal(2);
      preSleep.firstCall.args[0].should.equal(w.jobServers[0]);
      preSleep.secondCall.args[0].should.equal(w.jobServers[1]);
      sinon.assert.callOrder(sends[0].withArgs(sinon.match((b) => b.readUInt32BE(4) === CAN_DO)),
        preSleep.withArgs(w.jobServers[0]),
        sends[1].withArgs(sinon.match((b) => b.readUInt32BE(4) === CAN_DO)),
        preSleep.withArgs(w.jobServers[1]));
      // the name crosses as UTF-8
      sends[0].firstCall.args[0].subarray(12).toString('hex').should.equal(Buffer.from(name, 'utf8').toString('hex'));
      w.functions[name][0].should.equal(cb);
      w.functions[name][1].should.eql({});
    });

    // The timeout (seconds) goes out in milliseconds, the unit gearmand reads, plus a 1 s margin:
    // gearmand 1.1.20 requeues a job at its CAN_DO_TIMEOUT without telling the client, so the
    // worker's own timeout (COMPATIBILITY.md#decision-worker-timeout) must reach it first (see
    // worker-jobs.test.js).
    it('with an own timeout key sends CAN_DO_TIMEOUT [name, milliseconds (+1000 ms server margin)]', function () {
      const { w, sends } = stubbedWorker();
      const name = fnName();
      should(w.addFunction(name, () => {}, { timeout: 2 })).be.undefined();
      for (const s of sends) sentHex(s).should.eql([hex(req(CAN_DO_TIMEOUT, [name, '3000'])), hex(req(PRE_SLEEP))]);
      const name2 = fnName();
      w.addFunction(name2, () => {}, { timeout: 1.5, toStringEncoding: 'utf8' });
      sends[0].args[2][0].toString('hex').should.equal(hex(req(CAN_DO_TIMEOUT, [name2, '2500'])));
      // toStringEncoding alone: plain CAN_DO
      const name3 = fnName();
      w.addFunction(name3, () => {}, { toStringEncoding: 'hex' });
      sends[0].args[4][0].toString('hex').should.equal(hex(req(CAN_DO, [name3])));
    });

    it("stores functions[name] = [cb, options] with the caller's own object, adding no key to it", function () {
      const { w } = stubbedWorker();
      const name = fnName();
      const cb = () => {};
      const opts = { timeout: 3, toStringEncoding: 'base64' };
      w.addFunction(name, cb, opts);
      w.functions[name].should.be.an.Array().and.have.length(2);
      w.functions[name][0].should.equal(cb);
      w.functions[name][1].should.equal(opts);
      Object.keys(opts).should.eql(['timeout', 'toStringEncoding']);
      opts.should.eql({ timeout: 3, toStringEncoding: 'base64' });
      // a second addFunction of the same name replaces the entry
      const cb2 = () => {};
      w.addFunction(name, cb2);
      w.functions[name][0].should.equal(cb2);
      w.functions[name][1].should.eql({});
      w.functions[name][1].should.not.equal(opts);
    });

    it('goes through the current _preSleep and send properties (dynamic dispatch)', function () {
      const w = keep(new Worker());
      const js = w.jobServers[0];
      const log = [];
      js.send = (buf) => { log.push(['send', buf.readUInt32BE(4)]); };
      w._preSleep = (s) => { log.push(['preSleep', s === js]); };
      w.addFunction(fnName(), () => {});
      log.should.eql([['send', CAN_DO], ['preSleep', true]]);
      delete js.send;
    });
  });

  describe('removeFunction, resetAbilities, setWorkerId (COMPATIBILITY.md#registration)', function () {
    function stubbedWorker() {
      const w = keep(new Worker({ servers: [{ port: 4730 }, { host: '127.0.0.1', port: REFUSED_PORT }] }));
      const sends = w.jobServers.map((js) => sinon.stub(js, 'send'));
      return { w, sends };
    }

    it('removeFunction: Errors for a falsy or unregistered name (own keys only), nothing sent', function () {
      const { w, sends } = stubbedWorker();
      for (const n of ['', undefined, null, 0]) w.removeFunction(n).message.should.equal('undefined function name');
      w.removeFunction('nope').message.should.equal('function not registered, name=nope');
      w.removeFunction('toString').message.should.equal('function not registered, name=toString');
      w.removeFunction('constructor').message.should.equal('function not registered, name=constructor');
      sends.forEach((s) => s.called.should.be.false());
    });

    it('removeFunction sends CANT_DO [name] to every server, then deletes the entry; returns undefined', function () {
      const { w, sends } = stubbedWorker();
      const name = fnName();
      const other = fnName();
      w.addFunction(name, () => {});
      w.addFunction(other, () => {});
      sends.forEach((s) => s.resetHistory());
      should(w.removeFunction(name)).be.undefined();
      for (const s of sends) sentHex(s).should.eql([hex(req(CANT_DO, [name]))]);
      Object.keys(w.functions).should.eql([other]);
      w.removeFunction(name).message.should.equal(`function not registered, name=${name}`);
    });

    it('resetAbilities sends RESET_ABILITIES to every server and keeps functions', function () {
      const { w, sends } = stubbedWorker();
      const name = fnName();
      const cb = () => {};
      w.addFunction(name, cb);
      sends.forEach((s) => s.resetHistory());
      should(w.resetAbilities()).be.undefined();
      for (const s of sends) sentHex(s).should.eql([hex(req(RESET_ABILITIES))]);
      w.functions[name][0].should.equal(cb);
    });

    it('setWorkerId: Errors for a non-string or blank id; nothing sent and workerId stays absent', function () {
      const { w, sends } = stubbedWorker();
      for (const v of [5, null, undefined, {}, ['id'], true]) w.setWorkerId(v).message.should.equal('worker ID not a string');
      w.setWorkerId('').message.should.equal('worker ID cannot be blank');
      sends.forEach((s) => s.called.should.be.false());
      ('workerId' in w).should.be.false();
    });

    it('setWorkerId sets workerId and sends SET_CLIENT_ID [id] to every server (whitespace is not checked)', function () {
      const { w, sends } = stubbedWorker();
      should(w.setWorkerId('worker-1')).be.undefined();
      w.workerId.should.equal('worker-1');
      for (const s of sends) sentHex(s).should.eql([hex(req(SET_CLIENT_ID, ['worker-1']))]);
      should(w.setWorkerId(' a b ')).be.undefined();
      w.workerId.should.equal(' a b ');
      sends[1].args[1][0].toString('hex').should.equal(hex(req(SET_CLIENT_ID, [' a b '])));
    });

    it('the worker id and the registered functions show in gearmand\'s admin `workers`', async function () {
      const w = keep(new Worker());
      const id = `wid-${crypto.randomUUID()}`;
      const a = fnName();
      const b = fnName();
      w.setWorkerId(id);
      w.addFunction(a, () => {});
      w.addFunction(b, () => {}, { timeout: 10 });
      const line = await until(async () => {
        const lines = (await gearmand.adminCommand(defaultServer.port, 'workers')).split('\n');
        return lines.find((l) => l.includes(` ${id} : `) && l.includes(a) && l.includes(b));
      }, 5000, 'worker line');
      line.should.match(/^\d+ \S+ wid-\S+ : /);
      line.split(' : ')[1].split(' ').sort().should.eql([a, b].sort());
      // removeFunction: the function leaves the line
      w.removeFunction(a);
      await until(async () => {
        const lines = (await gearmand.adminCommand(defaultServer.port, 'workers')).split('\n');
        const l = lines.find((x) => x.includes(` ${id} : `));
        return l && !l.includes(a) && l.includes(b);
      }, 5000, 'function removed from the worker line');
      // resetAbilities: no function left on the server, functions kept locally
      w.resetAbilities();
      await until(async () => {
        const lines = (await gearmand.adminCommand(defaultServer.port, 'workers')).split('\n');
        const l = lines.find((x) => x.includes(` ${id} :`));
        return l && l.split(':').pop().trim() === '';
      }, 5000, 'abilities reset');
      Object.keys(w.functions).should.eql([b]);
    });
  });

  describe('grab cycle (COMPATIBILITY.md#grab-cycle)', function () {
    function stubbed(options) {
      const w = keep(new Worker(options));
      const js = w.jobServers[0];
      const send = sinon.stub(js, 'send');
      return { w, js, send };
    }

    it('NOOP → GRAB_JOB, or GRAB_JOB_UNIQ when withUnique is true at call time (parsed may be omitted)', function () {
      const { w, js, send } = stubbed();
      should(w._response(js, NOOP)).be.undefined();
      w.withUnique = true;
      w._response(js, NOOP);
      w.withUnique = false;
      w._response(js, NOOP, [12]);
      sentHex(send).should.eql([hex(req(GRAB_JOB)), hex(req(GRAB_JOB_UNIQ)), hex(req(GRAB_JOB))]);
      const u = stubbed({ withUnique: true });
      u.w._response(u.js, NOOP);
      sentHex(u.send).should.eql([hex(req(GRAB_JOB_UNIQ))]);
    });

    it('one GRAB per NOOP, with no concurrency cap', function () {
      const { w, js, send } = stubbed();
      for (let i = 0; i < 5; i++) w._response(js, NOOP);
      sentTypes(send).should.eql([GRAB_JOB, GRAB_JOB, GRAB_JOB, GRAB_JOB, GRAB_JOB]);
    });

    it('NO_JOB → _preSleep(js) → PRE_SLEEP', function () {
      const { w, js, send } = stubbed();
      const preSleep = sinon.spy(w, '_preSleep');
      w._response(js, NO_JOB);
      preSleep.calledOnceWithExactly(js).should.be.true();
      sentHex(send).should.eql([hex(req(PRE_SLEEP))]);
    });

    it('JOB_ASSIGN calls the function synchronously with a worker-side Job; no GRAB follows', function () {
      const { w, js, send } = stubbed();
      const name = fnName();
      let got = null;
      w.addFunction(name, (job) => { got = job; });
      send.resetHistory();
      const payload = Buffer.from([0, 1, 2, 255]);
      w._response(js, JOB_ASSIGN, [99, 'H:x:1', name, payload]);
      should(got).not.be.null(); // synchronously
      got.should.be.instanceof(Job);
      got.handle.should.equal('H:x:1');
      got.name.should.equal(name);
      got.jobServerUid.should.equal('localhost:4730');
      got.payload.should.equal(payload);
      got.clientOrWorker.should.equal(w);
      ('unique' in got).should.be.false();
      ('closed' in got).should.be.false();
      send.called.should.be.false();
    });

    it('JOB_ASSIGN_UNIQ gives the job its unique; toStringEncoding turns the payload into a string', function () {
      const { w, js } = stubbed({ withUnique: true });
      const name = fnName();
      let got = null;
      w.addFunction(name, (job) => { got = job; }, { toStringEncoding: 'hex' });
      w._response(js, JOB_ASSIGN_UNIQ, [99, 'H:x:2', name, 'u-1', Buffer.from('ab')]);
      got.unique.should.equal('u-1');
      got.payload.should.equal('6162');
      (typeof got.payload).should.equal('string');
    });

    it('reads the function through the current _getFunction (dynamic dispatch)', function () {
      const { w, js } = stubbed();
      const seen = [];
      w._getFunction = (name) => [(job) => seen.push([name, job.handle]), {}];
      w._response(js, JOB_ASSIGN, [9, 'H:x:3', 'never-registered', Buffer.from('p')]);
      seen.should.eql([['never-registered', 'H:x:3']]);
    });

    it('other packet types are ignored: nothing sent, nothing emitted', function () {
      const { w, js, send } = stubbed();
      const emit = sinon.spy(w, 'emit');
      for (const t of [JOB_CREATED, WORK_COMPLETE, WORK_FAIL, ECHO_RES, 12345]) {
        should(w._response(js, t, [12, 'H:x:4', Buffer.from('z')])).be.undefined();
      }
      send.called.should.be.false();
      emit.called.should.be.false();
    });

    it('_getFunction returns functions[name]; an unknown name emits `error` and returns undefined', function () {
      const { w } = stubbed();
      const name = fnName();
      const cb = () => {};
      w.addFunction(name, cb);
      w._getFunction(name).should.equal(w.functions[name]);
      const errors = [];
      w.on('error', (e) => errors.push(e));
      should(w._getFunction('ghost')).be.undefined();
      errors.should.have.length(1);
      errors[0].message.should.equal('function not found in locale register, name=ghost');
    });

    it('_unrecoverableError(msg) emits error with new Error(msg) (COMPATIBILITY.md#client, #owner-events)', function () {
      const { w } = stubbed();
      const emit = sinon.spy(w, 'emit');
      const errors = [];
      w.on('error', (e) => errors.push(e));
      should(w._unrecoverableError('out of sync with server')).be.undefined();
      emit.callCount.should.equal(1);
      errors.should.have.length(1);
      errors[0].should.be.instanceof(Error);
      errors[0].message.should.equal('out of sync with server');
    });

    for (const withUnique of [false, true]) {
      const grab = withUnique ? 'GRAB_JOB_UNIQ' : 'GRAB_JOB';
      it(`on the wire (withUnique ${withUnique}): CAN_DO, PRE_SLEEP, ${grab}, WORK_COMPLETE, ${grab}, and PRE_SLEEP after NO_JOB`, async function () {
        const w = keep(new Worker({ withUnique }));
        const js = w.jobServers[0];
        const send = sinon.spy(js, 'send');
        const name = fnName();
        let assigned = null;
        w.addFunction(name, (job) => {
          assigned = job;
          job.workComplete('done');
        });
        const c = keep(gearmanode.client());
        const job = c.submitJob(name, 'payload', { toStringEncoding: 'utf8' });
        await next(job, 'complete');
        job.response.should.equal('done');
        // COMPATIBILITY.md#grab-cycle: the next job is asked for right after the answer; the worker
        // sleeps once the server has no job for it.
        const G = withUnique ? GRAB_JOB_UNIQ : GRAB_JOB;
        await until(() => send.callCount >= 6, 5000, 'PRE_SLEEP after NO_JOB');
        sentTypes(send).should.eql([CAN_DO, PRE_SLEEP, G, WORK_COMPLETE, G, PRE_SLEEP]);
        hex(send.args[3][0]).should.equal(hex(req(WORK_COMPLETE, [assigned.handle, 'done'])));
      });
    }

    it('a later PRE_SLEEP while a job runs gets a second job: jobs run concurrently (no cap)', async function () {
      const w = keep(new Worker());
      const js = w.jobServers[0];
      const name = fnName();
      const held = [];
      let firstArrived;
      const first = new Promise((resolve) => { firstArrived = resolve; });
      w.addFunction(name, (job) => {
        held.push(job);
        firstArrived();
      });
      const c = keep(gearmanode.client());
      const j1 = c.submitJob(name, '1', { toStringEncoding: 'utf8' });
      const j2 = c.submitJob(name, '2', { toStringEncoding: 'utf8' });
      await first;
      held.should.have.length(1);
      w._preSleep(js); // the grab cycle: PRE_SLEEP → NOOP → GRAB_JOB → JOB_ASSIGN
      await until(() => held.length === 2, 5000, 'second job assigned');
      ('closed' in held[0]).should.be.false(); // the first is still running
      held[1].payload.toString().should.not.equal(held[0].payload.toString());
      held.forEach((j) => j.workComplete(`r${j.payload}`));
      await Promise.all([next(j1, 'complete'), next(j2, 'complete')]);
      [j1.response, j2.response].should.eql(['r1', 'r2']);
    });
  });

  describe('close() (COMPATIBILITY.md#worker-close, #fixed-10)', function () {
    it('closed = true, one socketDisconnect per server, functions cleared, close, then no listeners; nothing sent', async function () {
      const w = keep(new Worker({ servers: [{ port: 4730 }, { host: '127.0.0.1', port: REFUSED_PORT }] }));
      const name = fnName();
      w.jobServers[1].send = () => {}; // never connects
      w.addFunction(name, () => {});
      await next(w, 'socketConnect');
      const sends = w.jobServers.map((js) => sinon.spy(js, 'send'));
      const emit = sinon.spy(w, 'emit');
      w.on('close', () => {
        w.closed.should.be.true();
        Object.keys(w.functions).should.eql([]);
      });
      should(w.close()).be.undefined();
      emit.args.map((a) => a.slice(0, 3)).should.eql([
        ['socketDisconnect', 'localhost:4730', undefined],
        ['socketDisconnect', `127.0.0.1:${REFUSED_PORT}`, undefined],
        ['close'],
      ]);
      w.closed.should.be.true();
      w.functions.should.eql({});
      w.eventNames().should.eql([]);
      w.jobServers.should.have.length(2);
      for (const js of w.jobServers) {
        js.connected.should.be.false();
        ('socket' in js).should.be.false();
        ('clientOrWorker' in js).should.be.false();
      }
      sends.forEach((s) => s.called.should.be.false()); // no CANT_DO, no RESET_ABILITIES
    });

    it('a second close() is harmless: no throw, no emit', function () {
      const w = keep(new Worker());
      w.close();
      const emit = sinon.spy(w, 'emit');
      should(w.close()).be.undefined();
      emit.called.should.be.false();
      w.closed.should.be.true();
    });

    it('a late workComplete after close() is harmless: no throw, nothing sent, no new connection', async function () {
      const w = keep(new Worker());
      const js = w.jobServers[0];
      const name = fnName();
      let running;
      const arrived = new Promise((resolve) => {
        w.addFunction(name, (job) => {
          running = job;
          resolve();
        });
      });
      const c = keep(gearmanode.client());
      c.submitJob(name, 'x');
      await arrived;
      w.close();
      const send = sinon.spy(js, 'send');
      should(running.workComplete('late')).be.undefined();
      running.sendWorkData('late');
      running.reportStatus(1, 2);
      running.reportWarning('late');
      running.reportError();
      running.reportException('late');
      send.called.should.be.false();
      ('socket' in js).should.be.false();
      js.connected.should.be.false();
      await gearmand.sleep(100);
      ('socket' in js).should.be.false();
    });

    it('a closed worker does not run jobs: after close nothing reconnects to take one', async function () {
      const w = keep(new Worker({ recoverTime: 20 }));
      const name = fnName();
      let calls = 0;
      w.addFunction(name, () => { calls++; });
      await next(w, 'socketConnect');
      w.close();
      const c = keep(gearmanode.client());
      const job = c.submitJob(name, 'x', { background: true });
      await next(job, 'created');
      await gearmand.sleep(200);
      calls.should.equal(0);
      const status = await gearmand.adminCommand(defaultServer.port, 'status');
      const line = status.split('\n').find((l) => l.startsWith(`${name}\t`));
      assert.ok(line, 'the function is known to gearmand');
      line.split('\t').slice(1).should.eql(['1', '0', '0']); // queued, not running, no worker
      // consume the job (the shared gearmand keeps no leftovers)
      const w2 = keep(new Worker());
      await new Promise((resolve) => w2.addFunction(name, (j) => { j.workComplete(); resolve(); }));
    });
  });
});
