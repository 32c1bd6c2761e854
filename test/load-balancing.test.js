'use strict';
// lib/gearmanode/load-balancing.js over the Rust balancer: COMPATIBILITY.md#load-balancing (every
// rule and example, lax numbers included), checked with exact values and differentially against
// gearmanode 0.9.2.
const should = require('should');
const assert = require('assert');
const util = require('util');
const sinon = require('sinon');
const diff = require('./support/differential');
const loggers = require('../lib/logger');
const native = require('../lib/internal/native');
const lb = require('../lib/gearmanode/load-balancing');

const MODULE = 'lib/gearmanode/load-balancing';
const { Sequence, RoundRobin } = lb;
const LBStrategy = Sequence.super_;
const T0 = 1700000000000;

/** Calls nextIndex n times; returns the results. */
function calls(lbo, n) {
  return Array.from({ length: n }, () => lbo.nextIndex());
}

describe('load-balancing', function () {
  let clock;
  let logged;
  let savedLevel;

  before(function () {
    savedLevel = loggers.getLevel();
  });

  after(function () {
    loggers.setLevel(savedLevel);
  });

  beforeEach(function () {
    loggers.setLevel('warn');
    clock = sinon.useFakeTimers({ now: T0, toFake: ['Date'] });
    logged = [];
    loggers.setLogger((level, message, meta) => logged.push([level, message, meta.logger]));
  });

  afterEach(function () {
    clock.restore();
    loggers.setLogger(null);
  });

  describe('module and classes', function () {
    it('exports Sequence and RoundRobin only; LBStrategy is reachable as Sequence.super_', function () {
      Object.keys(lb).should.eql(['Sequence', 'RoundRobin']);
      LBStrategy.should.be.a.Function();
      LBStrategy.name.should.equal('LBStrategy');
      RoundRobin.super_.should.equal(LBStrategy);
      Object.getPrototypeOf(Sequence.prototype).should.equal(LBStrategy.prototype);
      (new Sequence(1) instanceof LBStrategy).should.be.true();
      (new RoundRobin(1) instanceof LBStrategy).should.be.true();
    });

    it('has the original prototype methods, and a static logger on LBStrategy only', function () {
      Object.keys(LBStrategy.prototype).should.eql(['nextIndex', 'goodOne', 'badOne', '_searchNextGood']);
      Object.keys(Sequence.prototype).should.eql(['nextIndex']);
      Object.keys(RoundRobin.prototype).should.eql(['nextIndex']);
      LBStrategy.logger.should.equal(loggers.get('LBStrategy'));
      should(Sequence.logger).be.undefined();
      diff.same(MODULE, (m) => [Object.keys(m), Object.keys(m.Sequence.super_), Object.keys(m.Sequence.super_.prototype),
        Object.keys(m.Sequence.prototype), Object.keys(m.RoundRobin.prototype), m.Sequence.super_.name,
        m.RoundRobin.super_ === m.Sequence.super_, typeof m.Sequence.logger]);
    });

    it('LBStrategy#nextIndex is abstract: it throws', function () {
      (() => new LBStrategy(2).nextIndex()).should.throw(Error, { message: 'unimplemented abstract method' });
    });
  });

  describe('constructor(nodeCount)', function () {
    it('returns (not throws) Error("count of nodes is not number") for a non-number', function () {
      for (const Ctor of [Sequence, RoundRobin, LBStrategy]) {
        for (const bad of [undefined, 'x', '2', null, true, {}, [2]]) {
          const r = new Ctor(bad);
          r.should.be.an.Error();
          r.message.should.equal('count of nodes is not number');
        }
      }
      new Sequence().message.should.equal('count of nodes is not number');
    });

    it('has own keys nodeCount, badNodes = {}, recoverTime = 30000; lastIndex absent', function () {
      const s = new Sequence(2);
      Object.keys(s).should.eql(['nodeCount', 'badNodes', 'recoverTime']);
      s.nodeCount.should.equal(2);
      s.badNodes.should.eql({});
      s.recoverTime.should.equal(30000);
      ('lastIndex' in s).should.be.false();
      s.nextIndex();
      Object.keys(s).should.eql(['nodeCount', 'badNodes', 'recoverTime', 'lastIndex']);
    });

    it('has no range check: lax numbers are kept as given', function () {
      for (const n of [NaN, -1, 0, 2.5, Infinity, -Infinity]) {
        const r = new RoundRobin(n);
        r.should.not.be.an.Error();
        assert(Object.is(r.nodeCount, n));
      }
      const boxed = new Number(2); // eslint-disable-line no-new-wrappers
      assert.strictEqual(new Sequence(boxed).nodeCount, boxed);
    });
  });

  describe('badOne / goodOne', function () {
    it('badOne(idx) marks a node with the current Date when idx < nodeCount and idx is a number', function () {
      const s = new Sequence(3);
      s.badOne(1);
      Object.keys(s.badNodes).should.eql(['1']);
      s.badNodes[1].should.be.instanceOf(Date);
      (+s.badNodes[1]).should.equal(T0);
    });

    it('marking again refreshes the time', function () {
      const s = new Sequence(3);
      s.badOne(1);
      clock.tick(500);
      s.badOne(1);
      (+s.badNodes[1]).should.equal(T0 + 500);
    });

    it('ignores strings, null, booleans, NaN and out-of-range values; keeps negative and fractional ones', function () {
      const s = new Sequence(3);
      for (const v of ['1', null, true, false, NaN, 3, 5, Infinity, undefined, {}, [1]]) {
        s.badOne(v);
      }
      s.badNodes.should.eql({});
      s.badOne(-1);
      s.badOne(0.5);
      s.badOne(-0); // the key of -0 is '0'
      s.badOne(new Number(2)); // eslint-disable-line no-new-wrappers
      Object.keys(s.badNodes).should.eql(['0', '2', '-1', '0.5']);
    });

    it('negative and fractional marks never match a node of an integer count', function () {
      const s = new Sequence(2);
      s.badOne(-1);
      s.badOne(0.5);
      calls(s, 2).should.eql([0, 0]);
      const r = new RoundRobin(2);
      r.badOne(-1);
      r.badOne(0.5);
      calls(r, 3).should.eql([0, 1, 0]);
    });

    it('goodOne(idx) deletes the mark (any key)', function () {
      const s = new Sequence(3);
      s.badOne(0);
      s.badOne(-1);
      s.goodOne(0);
      s.goodOne('-1');
      s.goodOne(7);
      s.goodOne();
      s.badNodes.should.eql({});
    });
  });

  describe('_searchNextGood(bad)', function () {
    it('visits (bad + i) % nodeCount, bad first, and returns a node not in badNodes at once', function () {
      const s = new Sequence(3);
      s.badOne(1);
      s.badOne(2);
      s._searchNextGood(1).should.equal(0);
      s._searchNextGood(3).should.equal(0);
      s._searchNextGood(0).should.equal(0);
      const t = new Sequence(4);
      t.badOne(2);
      t._searchNextGood(2).should.equal(3);
    });

    it('clears expired marks (strictly older than recoverTime) with goodOne, the later one wins', function () {
      const s = new Sequence(3);
      s.recoverTime = 20;
      s.badOne(0);
      s.badOne(1);
      s.badOne(2);
      clock.tick(20);
      should(s._searchNextGood(0)).be.null(); // 20 ms is not more than 20 ms
      Object.keys(s.badNodes).should.eql(['0', '1', '2']);
      s.badOne(0); // fresh again
      clock.tick(1);
      const goodOne = sinon.spy(s, 'goodOne'); // called through the current property
      s._searchNextGood(0).should.equal(2);
      goodOne.args.should.eql([[1], [2]]);
      goodOne.alwaysCalledOn(s).should.be.true();
      Object.keys(s.badNodes).should.eql(['0']);
    });

    it('returns a good node found after an expired one, and clears only what it visited', function () {
      const s = new Sequence(4);
      s.recoverTime = 20;
      s.badOne(0);
      s.badOne(3);
      clock.tick(21);
      s.badOne(1);
      s._searchNextGood(0).should.equal(2);
      Object.keys(s.badNodes).should.eql(['1', '3']); // 3 expired too, but was not visited
    });

    it('uses the marks as the user left them: a spy goodOne that deletes nothing still gets each expired node', function () {
      const s = new Sequence(2);
      s.recoverTime = -1;
      s.badOne(0);
      s.badOne(1);
      s.goodOne = sinon.spy();
      s._searchNextGood(0).should.equal(1);
      s.goodOne.args.should.eql([[0], [1]]);
      Object.keys(s.badNodes).should.eql(['0', '1']);
    });

    it('returns null after an error log when every node is bad', function () {
      const s = new Sequence(2);
      s.badOne(0);
      s.badOne(1);
      should(s._searchNextGood(0)).be.null();
      logged.should.eql([['error', 'all nodes invalid, no candidate more', 'LBStrategy']]);
    });

    it('keeps JavaScript arithmetic for lax inputs', function () {
      const s = new Sequence(3);
      s.badOne(1);
      s.badOne(2);
      s._searchNextGood(-1).should.equal(-1);
      s._searchNextGood(0.5).should.equal(0.5);
      s._searchNextGood(NaN).should.be.NaN();
      s._searchNextGood(undefined).should.be.NaN();
      s._searchNextGood(Infinity).should.be.NaN();
      s._searchNextGood(null).should.equal(0);
      s._searchNextGood(true).should.equal(0);
      s._searchNextGood('1').should.equal(0); // '01' % 3, '11' % 3, '21' % 3
      s._searchNextGood([1]).should.equal(0); // 0 + [1] is '01' too
      s._searchNextGood('0x1').should.be.NaN(); // '00x1'
      // gearmanode computes i + bad (COMPATIBILITY.md#load-balancing): a string visits '07', '17',
      // '27'.
      const h = new Sequence(100);
      h.badOne(7);
      h.badOne(17);
      h._searchNextGood('7').should.equal(27);
      s._searchNextGood(new Date(5)).should.be.NaN();
      assert(Object.is(new Sequence(2)._searchNextGood(-2), -0));
      should(new Sequence(0)._searchNextGood(0)).be.null();
    });

    it('treats any own key as bad (even with an undefined or invalid mark) and ignores inherited ones', function () {
      const s = new Sequence(3);
      s.badNodes[0] = undefined; // never expires
      s.badNodes[1] = new Date(NaN); // never expires
      s.recoverTime = -Infinity;
      s._searchNextGood(0).should.equal(2);
      s.badNodes = Object.create({ 0: new Date() });
      s._searchNextGood(0).should.equal(0);
      const search = sinon.spy(s, '_searchNextGood');
      s.lastIndex = 0;
      s.nextIndex().should.equal(0);
      search.called.should.be.false(); // an inherited key is no bad node for nextIndex either
      search.restore();
      s.badNodes = {};
      Object.defineProperty(s.badNodes, '0', { value: new Date(), enumerable: false, configurable: true });
      s.nextIndex().should.equal(1);
    });
  });

  describe('Sequence#nextIndex', function () {
    it('2 nodes: 0,0,0; after badOne(0): 1,1; both bad and fresh: null', function () {
      const s = new Sequence(2);
      calls(s, 3).should.eql([0, 0, 0]);
      s.badOne(0);
      calls(s, 2).should.eql([1, 1]);
      s.badOne(1);
      calls(s, 2).should.eql([null, null]);
      should(s.lastIndex).be.null();
    });

    it('is sticky: it stays on the failover node after node 0 recovers', function () {
      const s = new Sequence(3);
      s.badOne(0);
      s.nextIndex().should.equal(1);
      s.goodOne(0);
      calls(s, 2).should.eql([1, 1]);
      s.badOne(1);
      s.nextIndex().should.equal(2);
    });

    it('after null it restarts at 0', function () {
      const s = new Sequence(2);
      s.badOne(0);
      s.badOne(1);
      should(s.nextIndex()).be.null();
      s.goodOne(0);
      s.nextIndex().should.equal(0);
    });

    it('lastIndex ??= 0: other values the user wrote are kept', function () {
      const s = new Sequence(2);
      s.lastIndex = NaN;
      s.nextIndex().should.be.NaN();
      s.lastIndex = '1';
      s.nextIndex().should.equal('1');
      s.lastIndex = null;
      s.nextIndex().should.equal(0);
    });

    it('calls _searchNextGood (through the current property) only when the current node is bad', function () {
      const s = new Sequence(2);
      const search = sinon.spy(s, '_searchNextGood');
      const core = sinon.spy(native, 'lbSearchNextGood');
      try {
        calls(s, 5);
        search.called.should.be.false();
        core.called.should.be.false(); // the common path never crosses into Rust
        s.badOne(0);
        s.nextIndex().should.equal(1);
        search.calledOnceWithExactly(0).should.be.true();
        core.calledOnce.should.be.true();
      } finally {
        core.restore();
      }
    });
  });

  describe('RoundRobin#nextIndex', function () {
    it('2 nodes: 0,1,0,1; after badOne(0): 1,1', function () {
      const r = new RoundRobin(2);
      calls(r, 4).should.eql([0, 1, 0, 1]);
      r.badOne(0);
      calls(r, 2).should.eql([1, 1]);
    });

    it('3 nodes with node 1 bad: 0,2,0,2', function () {
      const r = new RoundRobin(3);
      r.badOne(1);
      calls(r, 4).should.eql([0, 2, 0, 2]);
    });

    it('lastIndex starts at -1, and after null it restarts at 0', function () {
      const r = new RoundRobin(2);
      r.badOne(0);
      r.badOne(1);
      calls(r, 2).should.eql([null, null]);
      r.goodOne(0);
      calls(r, 2).should.eql([0, 0]);
    });

    it('lax numbers: RoundRobin(0) gives NaN, a fractional count gives fractional indexes', function () {
      const zero = new RoundRobin(0);
      calls(zero, 2).forEach((x) => x.should.be.NaN());
      calls(new RoundRobin(2.5), 8).should.eql([0, 1, 2, 0.5, 1.5, 0, 1, 2]);
      const frac = new RoundRobin(2.5);
      frac.badOne(0.5);
      calls(frac, 5).should.eql([0, 1, 2, 1.5, 0]);
      calls(new RoundRobin(-2), 3).should.eql([0, 1, 0]);
      calls(new RoundRobin(NaN), 2).forEach((x) => x.should.be.NaN());
    });
  });

  describe('recovery example', function () {
    it('recoverTime = 20, both bad: null and both keys stay; more than 20 ms later a number and {}', function () {
      for (const Ctor of [Sequence, RoundRobin]) {
        const s = new Ctor(2);
        s.recoverTime = 20;
        s.badOne(0);
        s.badOne(1);
        should(s.nextIndex()).be.null();
        Object.keys(s.badNodes).should.eql(['0', '1']);
        clock.tick(21);
        s.nextIndex().should.be.a.Number();
        s.badNodes.should.eql({});
      }
    });

    it('works on the real clock too', async function () {
      clock.restore();
      const s = new Sequence(2);
      s.recoverTime = 20;
      s.badOne(0);
      s.badOne(1);
      should(s.nextIndex()).be.null();
      await new Promise((resolve) => setTimeout(resolve, 30));
      s.nextIndex().should.equal(1);
      s.badNodes.should.eql({});
      clock = sinon.useFakeTimers({ now: T0, toFake: ['Date'] }); // for afterEach
    });
  });

  describe('differential: the same operations on gearmanode 0.9.2 and here', function () {
    /** Field-by-field state: own keys, nodeCount, recoverTime, lastIndex, badNodes keys and times. */
    function snapshot(o) {
      if (o instanceof Error) return { error: o.message };
      const bad = o.badNodes;
      const marks = bad !== null && typeof bad === 'object'
        ? Object.keys(bad).map((k) => [k, bad[k] instanceof Date, diff.comparable(+bad[k])]) : diff.comparable(bad);
      return {
        keys: Object.keys(o),
        nodeCount: diff.comparable(o.nodeCount),
        recoverTime: diff.comparable(o.recoverTime),
        lastIndex: 'lastIndex' in o ? diff.comparable(o.lastIndex) : 'absent',
        badNodes: marks,
      };
    }

    /**
     * Runs `ops` on a new `ctor(count)` of module `m`; returns a trace of [result, snapshot, error
     * logs] per step. Ops: ['next'], ['bad', v], ['good', v], ['search', v], ['set', field, v],
     * ['mark', key, value], ['tick', ms].
     */
    function scenario(m, which, ctor, count, ops) {
      const errors = [];
      const L = m.Sequence.super_.logger;
      let restore;
      if (which === 'orig') {
        const original = L.log; // the original logs through logger.log(level, …)
        L.log = function log(level, ...rest) {
          if (level === 'error') errors.push('error');
          return original.call(this, level, ...rest);
        };
        restore = () => { L.log = original; };
      } else {
        loggers.setLogger((level) => { if (level === 'error') errors.push('error'); });
        restore = () => loggers.setLogger(null);
      }
      clock.setSystemTime(T0);
      try {
        const o = new m[ctor](count);
        const trace = [['new', snapshot(o)]];
        if (o instanceof Error) return trace;
        // Counts the scans nextIndex starts (non-enumerable, so the own keys stay the original's).
        let scans = 0;
        const search = o._searchNextGood;
        Object.defineProperty(o, '_searchNextGood', {
          configurable: true,
          writable: true,
          value(bad) { scans++; return search.call(this, bad); },
        });
        for (const [op, a, b] of ops) {
          let r;
          try {
            if (op === 'next') r = o.nextIndex();
            else if (op === 'bad') r = o.badOne(a);
            else if (op === 'good') r = o.goodOne(a);
            else if (op === 'search') r = o._searchNextGood(a);
            else if (op === 'set') o[a] = typeof b === 'function' ? b() : b; // a function makes a fresh value per run
            else if (op === 'mark') o.badNodes[a] = b;
            else if (op === 'tick') clock.tick(a);
            r = diff.comparable(r);
          } catch (err) {
            r = { threw: err.name };
          }
          trace.push([op, r, snapshot(o), errors.length, scans]);
        }
        return trace;
      } finally {
        restore();
      }
    }

    function sameScenario(ctor, count, ops) {
      const r = diff.both(MODULE, (m, which) => scenario(m, which, ctor, count, ops));
      should(r.orig.threw).be.undefined();
      should(r.ours.threw).be.undefined();
      assert.deepStrictEqual(r.ours.value, r.orig.value, util.inspect({ ctor, count, ops }, { depth: 4 }));
    }

    const COUNTS = [undefined, 'x', '2', null, NaN, -1, 0, 1, 2, 3, 2.5, Infinity, true];
    const BASIC = [['next'], ['next'], ['next'], ['bad', 0], ['next'], ['next'], ['bad', 1], ['next'], ['next'],
      ['good', 0], ['next'], ['next'], ['bad', 2], ['next'], ['set', 'recoverTime', 20], ['tick', 20], ['next'],
      ['tick', 1], ['next'], ['next'], ['bad', 0], ['bad', 1], ['bad', 2], ['next'], ['next'], ['tick', 30001],
      ['set', 'recoverTime', 30000], ['next'], ['next']];

    it('constructors and the basic sequence, for a table of node counts', function () {
      for (const ctor of ['Sequence', 'RoundRobin']) {
        for (const count of COUNTS) {
          sameScenario(ctor, count, BASIC);
        }
      }
    });

    it('badOne and goodOne on lax values', function () {
      const values = [0, '1', null, true, false, NaN, 3, 5, -1, 0.5, -0, 2, Infinity, -Infinity, undefined, {}, [1], 1e21];
      const ops = [];
      for (const v of values) ops.push(['bad', v]);
      ops.push(['next'], ['next'], ['next']);
      for (const v of values) ops.push(['good', v]);
      ops.push(['next']);
      for (const ctor of ['Sequence', 'RoundRobin']) {
        for (const count of [3, 2.5, -1, 0]) sameScenario(ctor, count, ops);
      }
    });

    it('_searchNextGood on a table of bad values and marks', function () {
      const bads = [0, 1, 2, 3, -1, -2, 0.5, NaN, '1', null, undefined, true, -0, Infinity, -Infinity, '', '0x1',
        ' 2 ', [1], new Date(5), { valueOf: () => 1 }, 1e21, '7', '1e1', '.5'];
      for (const count of [3, 2.5, 1, 0, NaN, '3', 100]) {
        for (const b of bads) {
          sameScenario('Sequence', count, [['bad', 1], ['bad', 2], ['bad', 7], ['bad', 17], ['search', b], ['bad', 0], ['search', b],
            ['mark', '10', new Date(T0)], ['mark', 'NaN', new Date(T0)], ['search', b]]);
        }
      }
    });

    it('expiry on a table of marks and recover times', function () {
      const marks = [undefined, null, 0, false, '', NaN, 'x', {}, true, T0 - 100000, T0 + 1e9, String(T0 - 100000),
        new Date(NaN), new Date(T0 - 50), new Date(T0 - 100000)];
      const recoverTimes = [30000, 20, 0, -1, NaN, '20', null, undefined, -Infinity, 'x'];
      for (const mark of marks) {
        for (const rt of recoverTimes) {
          sameScenario('Sequence', 3, [['set', 'recoverTime', rt], ['mark', 0, mark], ['mark', 2, mark],
            ['next'], ['bad', 1], ['search', 0], ['set', 'lastIndex', 0], ['next']]);
          sameScenario('RoundRobin', 2, [['set', 'recoverTime', rt], ['mark', 0, mark], ['mark', 1, mark],
            ['next'], ['next'], ['next']]);
        }
      }
    });

    it('lastIndex written by the user', function () {
      for (const li of [undefined, null, NaN, 0, 1, -1, '1', 5, 0.5, false, '', -3, Infinity]) {
        for (const ctor of ['Sequence', 'RoundRobin']) {
          sameScenario(ctor, 2, [['set', 'lastIndex', li], ['next'], ['next'], ['bad', 0], ['set', 'lastIndex', li],
            ['next'], ['next']]);
        }
      }
    });

    it('nodeCount and badNodes replaced by the user', function () {
      sameScenario('Sequence', 2, [['set', 'nodeCount', '3'], ['bad', 2], ['bad', 0], ['next'], ['next']]);
      sameScenario('Sequence', 2, [['set', 'badNodes', () => Object.create({ 0: new Date(T0) })], ['next'],
        ['search', 0]]);
      sameScenario('RoundRobin', 3, [['set', 'badNodes', () => []], ['bad', 1], ['next'], ['next'], ['next']]);
      sameScenario('Sequence', 3, [['set', 'badNodes', () => Object.freeze({ 0: new Date(T0) })], ['bad', 1],
        ['next'], ['good', 0], ['next']]);
    });
  });

  describe('standalone loading (COMPATIBILITY.md#fixed-1, #fixed-14, #fixed-15)', function () {
    it('loads alone in a fresh process, adds no globals, prints no deprecation warning', function () {
      const r = diff.standalone(MODULE, `const s = new m.Sequence(2); s.badOne(0);
        const r = new m.RoundRobin(3); r.badOne(1);
        return [s.nextIndex(), s.nextIndex(), [0, 1, 2, 3].map(() => r.nextIndex()), m.Sequence.super_.name];`);
      assert.strictEqual(r.status, 0, r.stderr);
      r.addedGlobals.should.eql([]);
      r.result.should.eql([1, 1, [0, 2, 0, 2], 'LBStrategy']);
      r.stderr.should.equal('');
    });
  });
});
