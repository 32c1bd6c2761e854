'use strict';
// lib/gearmanode/common.js: COMPATIBILITY.md#common-module, checked against exact values and, where
// the original's behaviour is the spec, against the original gearmanode 0.9.2
// (test/support/differential.js).
require('should');
const assert = require('assert');
const util = require('util');
const vm = require('vm');
const sinon = require('sinon');
const diff = require('./support/differential');
const common = require('../lib/gearmanode/common');

const MODULE = 'lib/gearmanode/common';
const EXPORTS = ['verifyOptions', 'verifyAndSanitizeOptions', 'isString', 'isNumber', 'clone', 'mixin',
  'bufferAsHex', 'nullFunction', 'abstractMethod', 'createUUID'];

/** Asserts that `fn(module)` has the same outcome on the original and on ours, for each input. */
function sameOver(inputs, fn) {
  for (const input of inputs) {
    diff.same(MODULE, (m) => fn(m, input), 'input: ' + util.inspect(input));
  }
}

describe('common', function () {
  describe('module', function () {
    it('exports exactly the ten functions, in order, with the original arities', function () {
      Object.keys(common).should.eql(EXPORTS);
      const o = diff.orig(MODULE);
      Object.keys(o).should.eql(EXPORTS);
      for (const k of EXPORTS) {
        common[k].should.be.a.Function();
        assert.strictEqual(common[k].length, o[k].length, k);
      }
    });
  });

  describe('verifyOptions', function () {
    const v = common.verifyOptions;

    it('returns (not throws) Error("options not presented") for null and undefined options', function () {
      v(null, {}).should.be.an.Error().with.property('message', 'options not presented');
      v(undefined, {}).should.be.an.Error().with.property('message', 'options not presented');
      v(undefined, undefined).message.should.equal('options not presented'); // options first
    });

    it('returns Error("pattern not presented") for a null or undefined pattern', function () {
      v({}, null).message.should.equal('pattern not presented');
      v({}, undefined).message.should.equal('pattern not presented');
    });

    it('refuses an option that is not an own key of the pattern', function () {
      v({ a: 1, b: 2 }, { a: 'optional' }).message.should.equal('unknow option: b');
      v({ toString: 1 }, {}).message.should.equal('unknow option: toString');
      v({ a: 1 }, Object.create({ a: 'optional' })).message.should.equal('unknow option: a');
    });

    it('checks an Array pattern value with strict indexOf', function () {
      v({ a: '1' }, { a: [1, 2] }).message.should.equal('value \'1\' not in defined range, key=a');
      v({ a: undefined }, { a: [1] }).message.should.equal('value \'undefined\' not in defined range, key=a');
      v({ a: NaN }, { a: [NaN] }).message.should.equal('value \'NaN\' not in defined range, key=a');
      v({ a: [1, 2] }, { a: [3] }).message.should.equal('value \'1,2\' not in defined range, key=a');
      const o = { a: 2 };
      v(o, { a: [1, 2] }).should.equal(o);
    });

    it('checks options key by key: the first failing key wins, in key order', function () {
      v({ a: 5, b: 1 }, { a: [1] }).message.should.equal('value \'5\' not in defined range, key=a');
      v({ b: 1, a: 5 }, { a: [1] }).message.should.equal('unknow option: b');
    });

    it('requires a mandatory option to be an own key, not undefined and not null', function () {
      v({}, { a: 'mandatory' }).message.should.equal('missing mandatory option: a');
      v({ a: undefined }, { a: 'mandatory' }).message.should.equal('missing mandatory option: a');
      v({ a: null }, { a: 'mandatory' }).message.should.equal('missing mandatory option: a');
      v(Object.create({ a: 1 }), { a: 'mandatory' }).message.should.equal('missing mandatory option: a');
      const o = { a: 0 };
      v(o, { a: 'mandatory' }).should.equal(o);
      v({ a: false }, { a: 'mandatory' }).should.eql({ a: false });
    });

    it('requires the key of an Array pattern value', function () {
      v({}, { a: [1, 2] }).message.should.equal('missing mandatory Array option: a');
      v({ a: 0 }, { a: 'mandatory', b: [1] }).message.should.equal('missing mandatory Array option: b');
    });

    it('imposes nothing for other pattern values, and returns the same unmodified object', function () {
      const o = { a: 1 };
      const r = v(o, { a: 'optional', b: 'optional', c: 5, d: null, e: undefined });
      r.should.equal(o);
      o.should.eql({ a: 1 });
    });

    it('iterates the character indexes of a string; true and numbers have no keys', function () {
      v('ab', {}).message.should.equal('unknow option: 0');
      v(true, {}).should.equal(true);
      v(5, {}).should.equal(5);
      v(true, { a: 'mandatory' }).message.should.equal('missing mandatory option: a');
      v('ab', { 0: 1, 1: 1 }).should.equal('ab');
    });

    it('ignores non-enumerable and inherited keys of options and pattern', function () {
      const o = {};
      Object.defineProperty(o, 'z', { value: 1, enumerable: false });
      v(o, {}).should.equal(o);
      v({}, Object.create({ a: 'mandatory' })).should.eql({});
    });

    it('also works on objects without Object.prototype (the original threw TypeError there)', function () {
      const o = Object.create(null);
      o.a = 1;
      assert.strictEqual(v(o, { a: 'optional' }), o);
      v({ hasOwnProperty: 1 }, { hasOwnProperty: 'optional' }).should.eql({ hasOwnProperty: 1 });
    });

    it('matches the original on a table of inputs', function () {
      const pattern = { host: 'mandatory', port: 'mandatory', servers: 'optional', mode: ['a', 'b'] };
      sameOver([
        [{ host: 'h', port: 1, mode: 'a' }, pattern],
        [{ host: 'h', port: 1 }, pattern],
        [{ host: null, port: 1, mode: 'a' }, pattern],
        [{ host: 'h', port: 1, mode: 'c' }, pattern],
        [{ x: 1 }, pattern],
        [{}, {}],
        [null, {}],
        [{}, null],
        ['ab', {}],
        [true, { a: 'mandatory' }],
        [5, {}],
        [[], {}],
        [[1], {}],
        [{ a: undefined }, { a: [undefined] }],
        [{ a: NaN }, { a: [NaN] }],
        [{ a: {} }, { a: ['[object Object]'] }],
        [Object.create({ a: 1 }), { a: 'mandatory' }],
        [{ a: 1 }, Object.create({ a: 'mandatory' })],
        [{ 0: 1 }, 'ab'],
      ], (m, [o, p]) => m.verifyOptions(o, p));
    });
  });

  describe('verifyAndSanitizeOptions', function () {
    const pattern = { a: 1, b: 2, c: false, d: 0, e: 'optional', f: 'mandatory2', g: null, h: undefined };

    it('fills in defaults where the option is undefined; keeps null; false and 0 work as defaults', function () {
      const o = { a: 5, b: undefined, g: 'x', h: 7 };
      const r = common.verifyAndSanitizeOptions(o, pattern);
      r.should.equal(o); // mutates and returns the same object
      o.should.eql({ a: 5, b: 2, g: 'x', h: 7, c: false, d: 0, f: 'mandatory2' });
      Object.keys(o).should.eql(['a', 'b', 'g', 'h', 'c', 'd', 'f']);
      const n = { a: null };
      common.verifyAndSanitizeOptions(n, { a: 1, g: null }).should.eql({ a: null, g: null });
    });

    it('sets nothing for undefined, "optional" and "mandatory" pattern values', function () {
      const o = { m: 1 };
      common.verifyAndSanitizeOptions(o, { m: 'mandatory', e: 'optional', u: undefined });
      Object.keys(o).should.eql(['m']);
    });

    it('passes the Error of verifyOptions through, and then changes nothing', function () {
      const o = { z: 1 };
      common.verifyAndSanitizeOptions(o, { a: 1 }).message.should.equal('unknow option: z');
      o.should.eql({ z: 1 });
      common.verifyAndSanitizeOptions(null, { a: 1 }).message.should.equal('options not presented');
    });

    it('calls this.verifyOptions (a stub on the module object is used)', function () {
      const stub = sinon.stub(common, 'verifyOptions').returns(new Error('stubbed'));
      try {
        common.verifyAndSanitizeOptions({}, { a: 1 }).message.should.equal('stubbed');
        stub.calledOnce.should.be.true();
        const other = { verifyOptions: () => 'not an error', f: common.verifyAndSanitizeOptions };
        other.f({ k: 1 }, { a: 1 }).should.eql({ k: 1, a: 1 });
      } finally {
        stub.restore();
      }
    });

    it('works standalone too (the original threw "this.verifyOptions is not a function")', function () {
      const { verifyAndSanitizeOptions } = common;
      verifyAndSanitizeOptions({}, { a: 1 }).should.eql({ a: 1 });
      verifyAndSanitizeOptions({ z: 1 }, {}).message.should.equal('unknow option: z');
      const r = diff.both(MODULE, (m) => { const f = m.verifyAndSanitizeOptions; return f({}, { a: 1 }); });
      r.orig.threw.should.be.instanceOf(TypeError); // a defect of the original, fixed on purpose
      r.ours.value.should.eql({ a: 1 });
    });

    it('leaves primitives, frozen objects and getter-only properties alone, like the original', function () {
      common.verifyAndSanitizeOptions('', { a: 1 }).should.equal('');
      common.verifyAndSanitizeOptions(true, { a: 1 }).should.equal(true);
      const frozen = Object.freeze({});
      common.verifyAndSanitizeOptions(frozen, { a: 1 }).should.equal(frozen);
      frozen.should.eql({});
    });

    it('matches the original on a table of inputs (as a method call)', function () {
      sameOver([
        () => [{ a: 5, b: undefined, g: 'x' }, pattern],
        () => [{ a: null }, { a: 1, i: 'mandatory' }],
        () => [{ a: 1, i: 2 }, Object.assign({ i: 'mandatory' }, pattern)],
        () => [{ z: 1 }, { a: 1 }],
        () => ['ab', { 0: 1, 1: 1, a: 5 }],
        () => [[], { length: 5 }],
        () => [[], { 0: 5 }],
        () => [{}, Object.create({ a: 5 })],
        () => [Object.freeze({}), { a: 1 }],
        () => [true, { a: 1 }],
        () => [Object.defineProperty({}, 'a', { get() { return undefined; }, enumerable: true }), { a: 3 }],
      ], (m, make) => { const [o, p] = make(); const r = m.verifyAndSanitizeOptions(o, p); return [r, o]; });
    });
  });

  describe('isString / isNumber', function () {
    it('isString: primitive strings and objects whose constructor is String', function () {
      common.isString('').should.be.true();
      common.isString('x').should.be.true();
      common.isString(new String('x')).should.be.true(); // eslint-disable-line no-new-wrappers
      common.isString({ constructor: String }).should.be.true();
      common.isString(null).should.be.false();
      common.isString(undefined).should.be.false();
      common.isString(1).should.be.false();
      common.isString(['x']).should.be.false();
      common.isString(Object.create(null)).should.be.false();
      common.isString(vm.runInNewContext('new String("x")')).should.be.false(); // another realm's String
    });

    it('isNumber: the same for Number; NaN and Infinity are numbers', function () {
      common.isNumber(0).should.be.true();
      common.isNumber(NaN).should.be.true();
      common.isNumber(Infinity).should.be.true();
      common.isNumber(-1.5).should.be.true();
      common.isNumber(new Number(1)).should.be.true(); // eslint-disable-line no-new-wrappers
      common.isNumber({ constructor: Number }).should.be.true();
      common.isNumber('1').should.be.false();
      common.isNumber(null).should.be.false();
      common.isNumber(undefined).should.be.false();
      common.isNumber(1n).should.be.false();
      common.isNumber(false).should.be.false();
    });

    it('match the original on a table of inputs', function () {
      /* eslint-disable no-new-wrappers */
      const inputs = ['', 'x', new String('x'), { constructor: String }, { constructor: Number }, 0, NaN,
        Infinity, new Number(2), null, undefined, true, [], {}, Object.create(null), 1n, Symbol('s'), () => 1];
      /* eslint-enable no-new-wrappers */
      sameOver(inputs, (m, x) => [m.isString(x), m.isNumber(x)]);
    });
  });

  describe('clone', function () {
    it('returns a non-object as is', function () {
      for (const x of [undefined, null, 0, 'x', true, 1n]) {
        assert.strictEqual(common.clone(x), x);
      }
      const s = Symbol('s');
      common.clone(s).should.equal(s);
    });

    it('slices an Array (extra properties are dropped), also from another realm', function () {
      const a = [1, { b: 2 }];
      a.x = 5;
      const c = common.clone(a);
      c.should.eql([1, { b: 2 }]).and.not.equal(a);
      assert.strictEqual(c.x, undefined);
      c[1].should.equal(a[1]); // shallow
      Array.isArray(common.clone(vm.runInNewContext('[1, 2]'))).should.be.true();
    });

    it('copies the own enumerable properties of any other object into a plain object', function () {
      const d = common.clone(new Date());
      d.should.eql({});
      Object.getPrototypeOf(d).should.equal(Object.prototype);
      common.clone({ a: 1, b: { c: 2 } }).should.eql({ a: 1, b: { c: 2 } });
      common.clone(Buffer.from([1, 2])).should.eql({ 0: 1, 1: 2 });
      common.clone(Object.create({ inherited: 1 })).should.eql({});
      const f = function () {};
      f.a = 1;
      common.clone(f).should.eql({ a: 1 });
      (typeof common.clone(f)).should.equal('object');
    });

    it('copies an own "__proto__" key as data (the original replaced the prototype instead)', function () {
      const o = JSON.parse('{"__proto__": {"z": 1}, "a": 1}');
      const c = common.clone(o);
      Object.keys(c).should.eql(['__proto__', 'a']);
      Object.getPrototypeOf(c).should.equal(Object.prototype);
      assert.strictEqual(c.z, undefined);
    });

    it('matches the original on a table of inputs', function () {
      const inputs = [null, undefined, 5, 'x', [1, 2], new Date(), { a: 1, b: [2] }, new Uint8Array([1, 2]),
        new String('ab'), new Number(3), /x/, Buffer.from([7]), Object.create({ x: 1 }), () => 1]; // eslint-disable-line no-new-wrappers
      sameOver(inputs, (m, x) => m.clone(x));
    });
  });

  describe('mixin', function () {
    it('copies own enumerable properties onto the destination and returns it', function () {
      const dst = { z: 1, a: 0 };
      const r = common.mixin({ a: 1, b: 2 }, dst);
      r.should.equal(dst);
      dst.should.eql({ z: 1, a: 1, b: 2 });
      common.mixin(Object.create({ x: 1 }), {}).should.eql({});
      common.mixin('ab', {}).should.eql({ 0: 'a', 1: 'b' });
      common.mixin(null, { k: 1 }).should.eql({ k: 1 });
    });

    it('assigns (setters run) and skips read-only properties silently, like the original', function () {
      const seen = [];
      common.mixin({ a: 7 }, { set a(v) { seen.push(v); } });
      seen.should.eql([7]);
      const ro = {};
      Object.defineProperty(ro, 'a', { value: 1, writable: false, enumerable: true });
      common.mixin({ a: 2 }, ro).a.should.equal(1);
      common.mixin({ a: 1 }, 'str').should.equal('str');
      (() => common.mixin({ a: 1 }, null)).should.throw(TypeError);
    });

    it('matches the original on a table of inputs', function () {
      sameOver([
        () => [{ a: 1, z: 2 }, { z: 1 }],
        () => [Object.create({ a: 1 }), {}],
        () => ['ab', {}],
        () => [null, {}],
        () => [{}, undefined],
        () => [{ a: 1 }, null],
        () => [{ a: 1 }, Object.freeze({})],
        () => [{ a: 1 }, 'str'],
      ], (m, make) => { const [s, d] = make(); return m.mixin(s, d); });
    });
  });

  describe('bufferAsHex', function () {
    const B = Buffer.from([1, 2, 3, 4]);

    it('is unpadded lowercase hex with a space after every byte but the buffer\'s last', function () {
      common.bufferAsHex(Buffer.from([255, 16, 0, 171])).should.equal('ff 10 0 ab');
      common.bufferAsHex(B, 2).should.equal('1 2 ');
      common.bufferAsHex(B, 4).should.equal('1 2 3 4');
      common.bufferAsHex(Buffer.alloc(0)).should.equal('');
    });

    it('dumps at most 40 bytes by default (undefined or null max)', function () {
      common.bufferAsHex(Buffer.alloc(41, 1)).should.equal('1 '.repeat(40));
      common.bufferAsHex(Buffer.alloc(40, 1)).should.equal('1 '.repeat(39) + '1');
      common.bufferAsHex(B, null).should.equal('1 2 3 4');
      common.bufferAsHex(B, 0).should.equal('');
      common.bufferAsHex(B, NaN).should.equal('');
      common.bufferAsHex(B, 2.5).should.equal('1 2 3 ');
    });

    it('takes the example of COMPATIBILITY.md#common-module literally: an Array of bytes works (the original threw TypeError)', function () {
      common.bufferAsHex([1, 2, 3, 4], 2).should.equal('1 2 ');
      common.bufferAsHex(new Uint8Array([10, 11])).should.equal('a b');
    });

    it('matches the original on Buffers for a table of max values', function () {
      const maxes = [undefined, 2, 0, null, -1, 4, 5, 2.5, '2', NaN, true, '', 'x', Infinity, [3]];
      sameOver(maxes, (m, max) => [m.bufferAsHex(B, max), m.bufferAsHex(Buffer.from([0, 0xab, 0x7f]), max)]);
      sameOver([Buffer.alloc(50, 0xfe), Buffer.alloc(0), Buffer.from('gearman')], (m, b) => m.bufferAsHex(b));
    });
  });

  describe('nullFunction / abstractMethod / createUUID', function () {
    it('nullFunction does nothing and returns undefined', function () {
      assert.strictEqual(common.nullFunction(1, 2), undefined);
    });

    it('abstractMethod throws Error("unimplemented abstract method")', function () {
      (() => common.abstractMethod()).should.throw(Error, { message: 'unimplemented abstract method' });
      diff.same(MODULE, (m) => m.abstractMethod());
    });

    it('createUUID gives lowercase version-4 UUIDs from Math.random', function () {
      const re = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
      const seen = new Set();
      for (let i = 0; i < 200; i++) {
        const u = common.createUUID();
        u.should.match(re);
        seen.add(u);
      }
      seen.size.should.equal(200);
      diff.orig(MODULE).createUUID().should.match(re);
      const stub = sinon.stub(Math, 'random').returns(0);
      try {
        common.createUUID().should.equal('00000000-0000-4000-8000-000000000000');
      } finally {
        stub.restore();
      }
    });
  });

  describe('standalone loading (COMPATIBILITY.md#fixed-1, #fixed-14, #fixed-15)', function () {
    it('loads alone in a fresh process, adds no globals, prints no deprecation warning', function () {
      const r = diff.standalone(MODULE, `
        return [m.verifyAndSanitizeOptions({}, {a: 1}), m.isNumber(NaN), m.clone([1]), m.bufferAsHex(Buffer.from([1, 2])),
          typeof m.createUUID(), messageOf(m.verifyOptions('ab', {}))];
        function messageOf(e) { return e.message; }`);
      assert.strictEqual(r.status, 0, r.stderr);
      r.addedGlobals.should.eql([]);
      r.result.should.eql([{ a: 1 }, true, [1], '1 2', 'string', 'unknow option: 0']);
      r.stderr.should.not.match(/DEP0005|DeprecationWarning/);
    });
  });
});
