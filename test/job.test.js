'use strict';
// Job (COMPATIBILITY.md#job): constructor rules and key order for client and worker owners,
// getPacketType, close(), getUid/toString, value types; checked against gearmanode 0.9.2 where it
// is the same. Jobs going through gearmand are in client-jobs.test.js.
const assert = require('assert');
const util = require('util');
const EventEmitter = require('events').EventEmitter;
const sinon = require('sinon');
const gearmanode = require('../lib/gearmanode');
const { Job } = require('../lib/gearmanode/job');
const { Client } = require('../lib/gearmanode/client');
const { Worker } = require('../lib/gearmanode/worker');
const common = require('../lib/gearmanode/common');
const diff = require('./support/differential');

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const EE_KEYS = Object.keys(new EventEmitter());
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Job', function () {
  let savedSink;
  const owners = [];
  function clientOwner() {
    const c = new Client();
    owners.push(c);
    return c;
  }
  function workerOwner() {
    const w = new Worker();
    owners.push(w);
    return w;
  }

  before(function () {
    savedSink = gearmanode.setLogger(() => {});
  });
  after(function () {
    gearmanode.setLogger(savedSink);
  });
  afterEach(function () {
    sinon.restore();
    while (owners.length) owners.pop().close();
  });

  describe('class', function () {
    it('is an EventEmitter subclass (super_ === EventEmitter) with a static logger', function () {
      assert.strictEqual(Job.super_, EventEmitter);
      assert.ok(new Job(clientOwner(), { name: 'f', payload: 'p' }) instanceof EventEmitter);
      assert.strictEqual(typeof Job.logger.log, 'function');
      assert.strictEqual(gearmanode.Job, Job);
    });

    it('has the client- and worker-side methods on its prototype', function () {
      for (const m of ['close', 'getPacketType', 'toString', 'getUid', 'getStatus', 'workComplete', 'sendWorkData',
        'reportStatus', 'reportError', 'reportException', 'reportWarning', '_sendAndClose']) {
        assert.strictEqual(typeof Job.prototype[m], 'function', m);
        assert.ok(hasOwn(Job.prototype, m), m);
      }
    });
  });

  describe('constructor (COMPATIBILITY.md#job)', function () {
    it('a falsy owner or one without an own _type → Error(neither Client nor Worker reference)', function () {
      const inherited = Object.create({ _type: 'Client' });
      for (const owner of [undefined, null, 0, '', false, {}, inherited]) {
        const r = new Job(owner, { name: 'f', payload: 'p' });
        assert.ok(r instanceof Error, util.inspect(owner));
        assert.strictEqual(r.message, 'neither Client nor Worker reference');
      }
    });

    it('uuid = createUUID() comes first (called even when an Error is returned)', function () {
      const spy = sinon.spy(common, 'createUUID');
      assert.ok(new Job(null, {}) instanceof Error);
      sinon.assert.calledOnce(spy);
      const j = new Job(clientOwner(), { name: 'f', payload: 'p' });
      sinon.assert.calledTwice(spy);
      assert.strictEqual(j.uuid, spy.secondCall.returnValue);
      assert.match(j.uuid, UUID_RE);
      assert.notStrictEqual(new Job(clientOwner(), { name: 'f', payload: 'p' }).uuid, j.uuid);
    });

    it('name, then payload, must be non-null → Error(missing mandatory option: name|payload)', function () {
      const c = clientOwner();
      const cases = [
        [undefined, 'missing mandatory option: name'],
        [{}, 'missing mandatory option: name'],
        [{ name: null, payload: null }, 'missing mandatory option: name'],
        [{ name: undefined, payload: 'p' }, 'missing mandatory option: name'],
        [{ name: 'f' }, 'missing mandatory option: payload'],
        [{ name: 'f', payload: null }, 'missing mandatory option: payload'],
        [{ name: 'f', payload: undefined }, 'missing mandatory option: payload'],
      ];
      for (const owner of [c, workerOwner(), { _type: 'Other' }]) {
        for (const [options, message] of cases) {
          const r = new Job(owner, options);
          assert.ok(r instanceof Error, util.inspect(options));
          assert.strictEqual(r.message, message);
        }
      }
    });

    it("client owner: defaults background=false, priority='NORMAL', encoding='utf8' written into options", function () {
      const c = clientOwner();
      const options = { name: 'f', payload: 'p' };
      const j = new Job(c, options);
      assert.deepStrictEqual(options, { name: 'f', payload: 'p', background: false, priority: 'NORMAL', encoding: 'utf8' });
      assert.strictEqual(j.background, false);
      assert.strictEqual(j.priority, 'NORMAL');
      assert.strictEqual(j.encoding, 'utf8');
      assert.strictEqual(j.processing, false);
      assert.strictEqual(j.clientOrWorker, c);
      const given = { name: 'f', payload: 'p', background: true, priority: 'LOW', encoding: 'ascii' };
      const k = new Job(c, given);
      assert.deepStrictEqual([k.background, k.priority, k.encoding], [true, 'LOW', 'ascii']);
    });

    it('client owner: key order uuid, clientOrWorker, name, payload, [unique], [toStringEncoding], background, priority, encoding, processing, EE internals', function () {
      const c = clientOwner();
      const base = ['uuid', 'clientOrWorker', 'name', 'payload'];
      const tail = ['background', 'priority', 'encoding', 'processing'].concat(EE_KEYS);
      assert.deepStrictEqual(Object.keys(new Job(c, { name: 'f', payload: 'p' })), base.concat(tail));
      assert.deepStrictEqual(Object.keys(new Job(c, { toStringEncoding: 'utf8', unique: 'u', payload: 'p', name: 'f' })),
        base.concat(['unique', 'toStringEncoding'], tail));
      assert.deepStrictEqual(Object.keys(new Job(c, { name: 'f', payload: 'p', toStringEncoding: 'hex' })),
        base.concat(['toStringEncoding'], tail));
    });

    it('unique is set if it is an own key of options (even undefined or null)', function () {
      const c = clientOwner();
      const a = new Job(c, { name: 'f', payload: 'p', unique: undefined });
      assert.ok(hasOwn(a, 'unique'));
      assert.strictEqual(a.unique, undefined);
      const b = new Job(c, { name: 'f', payload: 'p', unique: null });
      assert.strictEqual(b.unique, null);
      const inherited = Object.assign(Object.create({ unique: 'x' }), { name: 'f', payload: 'p' });
      assert.strictEqual(hasOwn(new Job({ _type: 'Other' }, inherited), 'unique'), false);
    });

    it('client owner: unknown keys and values out of range → Error', function () {
      const c = clientOwner();
      const cases = [
        [{ foo: 1 }, 'unknow option: foo'],
        [{ handle: 'H:1' }, 'unknow option: handle'],
        [{ jobServerUid: 'x' }, 'unknow option: jobServerUid'],
        [{ background: 'true' }, "value 'true' not in defined range, key=background"],
        [{ background: 1 }, "value '1' not in defined range, key=background"],
        [{ background: null }, "value 'null' not in defined range, key=background"],
        [{ priority: 'high' }, "value 'high' not in defined range, key=priority"],
        [{ priority: null }, "value 'null' not in defined range, key=priority"],
        [{ encoding: 'utf-8' }, "value 'utf-8' not in defined range, key=encoding"],
        [{ encoding: 'hex' }, "value 'hex' not in defined range, key=encoding"],
        [{ toStringEncoding: 'nope' }, 'invalid encoding: nope'],
        [{ toStringEncoding: 1 }, 'invalid encoding: 1'],
      ];
      for (const [extra, message] of cases) {
        const r = new Job(c, Object.assign({ name: 'f', payload: 'p' }, extra));
        assert.ok(r instanceof Error, util.inspect(extra));
        assert.strictEqual(r.message, message);
      }
    });

    it('client owner: a falsy toStringEncoding is accepted and not stored', function () {
      const c = clientOwner();
      for (const v of ['', 0, false, null, undefined]) {
        const j = new Job(c, { name: 'f', payload: 'p', toStringEncoding: v });
        assert.ok(j instanceof Job, util.inspect(v));
        assert.strictEqual(hasOwn(j, 'toStringEncoding'), false);
      }
    });

    it('worker owner: sets handle and jobServerUid with no further checks; key order', function () {
      const w = workerOwner();
      const j = new Job(w, { handle: 'H:1', name: 'f', jobServerUid: 'localhost:4730', payload: Buffer.from('p'), foo: 1 });
      assert.deepStrictEqual(Object.keys(j), ['uuid', 'clientOrWorker', 'name', 'payload', 'handle', 'jobServerUid'].concat(EE_KEYS));
      assert.strictEqual(j.handle, 'H:1');
      assert.strictEqual(j.jobServerUid, 'localhost:4730');
      assert.strictEqual(j.clientOrWorker, w);
      const u = new Job(w, { handle: 'H:2', name: 'f', jobServerUid: 'x', payload: 'p', unique: '' });
      assert.deepStrictEqual(Object.keys(u), ['uuid', 'clientOrWorker', 'name', 'payload', 'unique', 'handle', 'jobServerUid'].concat(EE_KEYS));
      for (const k of ['background', 'priority', 'encoding', 'processing', 'closed', 'response']) {
        assert.strictEqual(k in j, false, k);
      }
      const noHandle = new Job(w, { name: 'f', payload: 'p' });
      assert.ok(hasOwn(noHandle, 'handle') && noHandle.handle === undefined);
    });

    it('any other _type gets only the common fields', function () {
      const j = new Job({ _type: 'Other' }, { name: 'f', payload: 'p', handle: 'H', whatever: 1 });
      assert.deepStrictEqual(Object.keys(j), ['uuid', 'clientOrWorker', 'name', 'payload'].concat(EE_KEYS));
    });

    it('absent after construction: closed, response, jobServer; for a client job handle and jobServerUid', function () {
      const j = new Job(clientOwner(), { name: 'f', payload: 'p' });
      for (const k of ['closed', 'response', 'jobServer', 'handle', 'jobServerUid']) assert.strictEqual(k in j, false, k);
    });

    it('payload is kept as given (string, Buffer, number, object)', function () {
      const c = clientOwner();
      const buf = Buffer.from([0, 255]);
      const obj = { a: 1 };
      for (const p of ['s', buf, 0, 42, obj, false, '']) {
        assert.strictEqual(new Job(c, { name: 'f', payload: p }).payload, p);
      }
      assert.strictEqual(new Job(c, { name: 7, payload: 'p' }).name, 7);
    });

    it('same outcomes as the original for a table of constructions (keys, messages, mutated options)', function () {
      const cases = [
        [{ name: 'f', payload: 'p' }],
        [{ name: 'f', payload: 'p', unique: 'u', toStringEncoding: 'utf8', background: true, priority: 'HIGH' }],
        [{ name: 'f', payload: 'p', background: 'yes' }],
        [{ name: 'f', payload: 'p', priority: 'low' }],
        [{ name: 'f', payload: 'p', foo: 1, background: 'x' }],
        [{ name: 'f', payload: 'p', toStringEncoding: 'nope' }],
        [{ name: 'f', payload: 'p', toStringEncoding: '' }],
        [{ name: null, payload: 'p' }],
        [{ name: 'f' }],
        [undefined],
      ];
      for (const [options] of cases) {
        for (const type of ['Client', 'Worker', 'X']) {
          diff.same('', (m) => {
            const o = options === undefined ? undefined : Object.assign({}, options);
            const j = new m.Job({ _type: type }, o);
            return {
              job: j instanceof Error ? j.message : Object.keys(j),
              options: o === undefined ? null : Object.keys(o).map((k) => [k, String(o[k])]),
            };
          }, `${type} ${util.inspect(options)}`);
        }
      }
    });
  });

  describe('getPacketType (COMPATIBILITY.md#job)', function () {
    const TABLE = [
      [false, 'LOW', 33], [false, 'NORMAL', 7], [false, 'HIGH', 21],
      [true, 'LOW', 34], [true, 'NORMAL', 18], [true, 'HIGH', 32],
    ];
    for (const [background, priority, code] of TABLE) {
      it(`${background ? 'background' : 'foreground'} ${priority} → ${code}`, function () {
        const j = new Job(clientOwner(), { name: 'f', payload: 'p', background, priority });
        assert.strictEqual(j.getPacketType(), code);
      });
    }

    it('any other priority → undefined (inherited names too)', function () {
      const j = new Job(clientOwner(), { name: 'f', payload: 'p' });
      for (const p of ['low', 'X', undefined, null, 'toString', 'constructor', '__proto__', 'hasOwnProperty', {}]) {
        j.priority = p;
        for (const bg of [false, true]) {
          j.background = bg;
          assert.strictEqual(j.getPacketType(), undefined, `${util.inspect(p)} ${bg}`);
        }
      }
    });

    it('the same results as the original for odd background/priority values (truthy background → background types)', function () {
      diff.same('', (m) => {
        const c = m.client();
        const j = c.submitJob('f', 'p');
        const r = [];
        for (const bg of [0, 1, null, undefined, '', 'x', {}, true, false]) {
          for (const p of ['LOW', 'NORMAL', 'HIGH', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 'x']) {
            j.background = bg;
            j.priority = p;
            r.push(j.getPacketType());
          }
        }
        c.close();
        return r;
      });
    });
  });

  describe('getUid / toString (COMPATIBILITY.md#job)', function () {
    it("before submission: 'undefined#undefined' and handle/server undefined", function () {
      const j = new Job(clientOwner(), { name: 'f', payload: 'p' });
      assert.strictEqual(j.getUid(), 'undefined#undefined');
      assert.strictEqual(j.toString(), `Job(uuid=${j.uuid}, handle=undefined, server=undefined)`);
    });

    it('with jobServerUid and handle set', function () {
      const j = new Job(clientOwner(), { name: 'f', payload: 'p' });
      j.jobServerUid = 'localhost:4730';
      j.handle = 'H:vm:1';
      assert.strictEqual(j.getUid(), 'localhost:4730#H:vm:1');
      assert.strictEqual(j.toString(), `Job(uuid=${j.uuid}, handle=H:vm:1, server=localhost:4730)`);
      const w = new Job(workerOwner(), { name: 'f', payload: 'p', handle: 'H:2', jobServerUid: '127.0.0.1:4730' });
      assert.strictEqual(w.getUid(), '127.0.0.1:4730#H:2');
    });
  });

  describe('close (COMPATIBILITY.md#job)', function () {
    it('client job: processing=false, removed from owner.jobs, closed=true, one close emit, listeners removed', function () {
      const c = clientOwner();
      const j = new Job(c, { name: 'f', payload: 'p' });
      j.processing = true;
      j.jobServerUid = 'localhost:4730';
      j.handle = 'H:1';
      const other = new Job(c, { name: 'g', payload: 'p' });
      c.jobs[j.getUid()] = j;
      c.jobs['localhost:4730#H:2'] = other;
      const seen = [];
      j.on('close', function (...args) {
        seen.push({ args, closed: j.closed, processing: j.processing, inJobs: hasOwn(c.jobs, 'localhost:4730#H:1') });
      });
      j.on('complete', () => {});
      const emit = sinon.spy(j, 'emit');
      assert.strictEqual(j.close(), undefined);
      sinon.assert.calledOnceWithExactly(emit, 'close');
      assert.deepStrictEqual(seen, [{ args: [], closed: true, processing: false, inJobs: false }]);
      assert.deepStrictEqual(j.eventNames(), []);
      assert.strictEqual(j.closed, true);
      assert.deepStrictEqual(Object.keys(c.jobs), ['localhost:4730#H:2']);
      assert.strictEqual(j.clientOrWorker, c);
    });

    it('a repeated close() emits again (once per call)', function () {
      const j = new Job(clientOwner(), { name: 'f', payload: 'p' });
      const emit = sinon.spy(j, 'emit');
      j.close();
      j.close();
      j.close();
      assert.strictEqual(emit.callCount, 3);
      assert.ok(emit.getCalls().every((call) => call.args.length === 1 && call.args[0] === 'close'));
    });

    it('close() listeners added between two calls get the second one only', function () {
      const j = new Job(clientOwner(), { name: 'f', payload: 'p' });
      const first = sinon.spy();
      const second = sinon.spy();
      j.on('close', first);
      j.close();
      j.on('close', second);
      j.close();
      sinon.assert.calledOnce(first);
      sinon.assert.calledOnce(second);
    });

    it('worker job: processing stays absent, owner without jobs is fine', function () {
      const w = workerOwner();
      const j = new Job(w, { name: 'f', payload: 'p', handle: 'H:1', jobServerUid: 'localhost:4730' });
      const spy = sinon.spy();
      j.on('close', spy);
      j.close();
      sinon.assert.calledOnce(spy);
      assert.strictEqual('processing' in j, false);
      assert.strictEqual(j.closed, true);
      assert.strictEqual(j.clientOrWorker, w);
    });

    it('processing is set to false only if it is an own property; jobs only if the owner has its own', function () {
      const proto = { jobs: { 'undefined#undefined': 1 } };
      const owner = Object.assign(Object.create(proto), { _type: 'Other' });
      const j = new Job(owner, { name: 'f', payload: 'p' });
      j.close();
      assert.strictEqual('processing' in j, false);
      assert.deepStrictEqual(proto.jobs, { 'undefined#undefined': 1 });
      // an inherited `processing` is left alone (no own one is created)
      const k = new Job(owner, { name: 'f', payload: 'p' });
      Object.setPrototypeOf(k, Object.create(Job.prototype, { processing: { value: true, writable: true } }));
      k.close();
      assert.strictEqual(hasOwn(k, 'processing'), false);
      assert.strictEqual(k.processing, true);
    });

    it('goes through the current emit property', function () {
      const j = new Job(clientOwner(), { name: 'f', payload: 'p' });
      const calls = [];
      j.emit = function (...args) { calls.push(args); return true; };
      j.close();
      assert.deepStrictEqual(calls, [['close']]);
    });
  });
});
