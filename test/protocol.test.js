'use strict';
// lib/gearmanode/protocol.js: COMPATIBILITY.md#protocol-module (CONSTANTS, the four tables,
// encodePacket, parsePacket), exact values and differential against the original gearmanode 0.9.2
// on tables of inputs; PACKETS (our extension: the core's table 1–42) and the NUL check of
// encodePacket (COMPATIBILITY.md#decision-no-malformed-packets).
require('should');
const assert = require('assert');
const util = require('util');
const diff = require('./support/differential');
const protocol = require('../lib/gearmanode/protocol');

const MODULE = 'lib/gearmanode/protocol';
const EXPORTS = ['CONSTANTS', 'DEFINITION', 'PACKET_TYPES', 'PACKET_CODES', 'PACKET_RESP_FORMAT', 'parsePacket',
  'encodePacket'];

// 0.9.2's DEFINITION (COMPATIBILITY.md#protocol-module), entry by entry:
// name → [code, flags, format?].
const DEFINITION = {
  CAN_DO: [1, 1], CANT_DO: [2, 1], RESET_ABILITIES: [3, 1], PRE_SLEEP: [4, 1], NOOP: [6, 2, ''],
  SUBMIT_JOB: [7, 1], JOB_CREATED: [8, 2, 'L'], GRAB_JOB: [9, 1], NO_JOB: [10, 2, ''],
  JOB_ASSIGN: [11, 2, 'nnb'], WORK_STATUS: [12, 3, 'nnL'], WORK_COMPLETE: [13, 3, 'nb'], WORK_FAIL: [14, 3, 'L'],
  GET_STATUS: [15, 1], ECHO_REQ: [16, 1], ECHO_RES: [17, 2, 'L'], SUBMIT_JOB_BG: [18, 1], ERROR: [19, 2, 'nL'],
  STATUS_RES: [20, 2, 'nnnnL'], SUBMIT_JOB_HIGH: [21, 1], SET_CLIENT_ID: [22, 1], CAN_DO_TIMEOUT: [23, 1],
  WORK_EXCEPTION: [25, 3, 'nb'], OPTION_REQ: [26, 1], OPTION_RES: [27, 2, 'L'], WORK_DATA: [28, 3, 'nb'],
  WORK_WARNING: [29, 3, 'nb'], GRAB_JOB_UNIQ: [30, 1], JOB_ASSIGN_UNIQ: [31, 2, 'nnnb'], SUBMIT_JOB_HIGH_BG: [32, 1],
  SUBMIT_JOB_LOW: [33, 1], SUBMIT_JOB_LOW_BG: [34, 1],
};

/** A packet with `magic` (default \0RES), type `code`, the body, and a declared length (default: real). */
function packet(code, body, { magic = 0x00524553, length } = {}) {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const h = Buffer.alloc(12);
  h.writeUInt32BE(magic, 0);
  h.writeUInt32BE(code, 4);
  h.writeUInt32BE(length === undefined ? b.length : length, 8);
  return Buffer.concat([h, b]);
}

/** Asserts the same outcome (value, or error class and message) on the original and on ours. */
function sameOver(inputs, fn) {
  for (const input of inputs) {
    diff.same(MODULE, (m) => fn(m, input), 'input: ' + util.inspect(input));
  }
}

/** Asserts the same thrown error class on both (the messages are Node's or ours, not 0.9.2's). */
function throwsSameClass(fn, Class, label) {
  const r = diff.both(MODULE, fn);
  assert.ok('threw' in r.orig, label + ': the original throws');
  assert.ok('threw' in r.ours, label + ': ours throws');
  assert.ok(r.orig.threw instanceof Class, label + ': the original throws ' + Class.name);
  assert.ok(r.ours.threw instanceof Class, label + ': ours throws ' + Class.name + ', got ' + r.ours.threw);
}

describe('protocol', function () {
  before(function () {
    // The original's protocol module only works once its main module is loaded
    // (COMPATIBILITY.md#fixed-14).
    diff.orig('');
  });

  describe('module', function () {
    it('exports the original seven, in order (extras are not enumerable)', function () {
      Object.keys(protocol).should.eql(EXPORTS);
      Object.keys(diff.orig(MODULE)).should.eql(EXPORTS);
      protocol.parsePacket.should.be.a.Function();
      protocol.encodePacket.should.be.a.Function();
    });

    it('has the logger export (COMPATIBILITY.md#logging) and PACKETS, both non-enumerable', function () {
      for (const k of ['logger', 'PACKETS']) {
        const d = Object.getOwnPropertyDescriptor(protocol, k);
        assert.ok(d, k + ' exists');
        d.enumerable.should.be.false();
      }
      protocol.logger.log.should.be.a.Function();
      protocol.logger.isLevelEnabled.should.be.a.Function();
      protocol.logger.transports.console.should.have.property('level');
    });
  });

  describe('CONSTANTS', function () {
    it('is exactly 0.9.2\'s object, and deep-equals the original\'s (differential)', function () {
      assert.deepStrictEqual(protocol.CONSTANTS, {
        TYPE_REQ: 1, TYPE_RESP: 2, HEADER_REQ: 0x00524551, HEADER_RESP: 0x00524553, HEADER_LEN: 12,
        UNKNOWN_OPTION: 'UNKNOWN_OPTION',
      });
      diff.same(MODULE, (m) => m.CONSTANTS);
      Buffer.from('\0REQ').readUInt32BE(0).should.equal(protocol.CONSTANTS.HEADER_REQ);
      Buffer.from('\0RES').readUInt32BE(0).should.equal(protocol.CONSTANTS.HEADER_RESP);
    });
  });

  describe('tables', function () {
    it('DEFINITION is 0.9.2\'s table, keys in code order, without 5 and 24', function () {
      assert.deepStrictEqual(protocol.DEFINITION, DEFINITION);
      Object.keys(protocol.DEFINITION).should.eql(Object.keys(DEFINITION));
      const codes = Object.values(protocol.DEFINITION).map((d) => d[0]);
      codes.should.eql(codes.slice().sort((a, b) => a - b));
      codes.should.not.containEql(5);
      codes.should.not.containEql(24);
    });

    it('PACKET_TYPES maps name → code, PACKET_CODES code → name', function () {
      const types = {};
      const names = {};
      for (const [name, [code]] of Object.entries(DEFINITION)) {
        types[name] = code;
        names[code] = name;
      }
      assert.deepStrictEqual(protocol.PACKET_TYPES, types);
      assert.deepStrictEqual(protocol.PACKET_CODES, names);
    });

    it('PACKET_RESP_FORMAT holds the formats of flags exactly 2 only', function () {
      assert.deepStrictEqual(protocol.PACKET_RESP_FORMAT,
        { 6: '', 8: 'L', 10: '', 11: 'nnb', 17: 'L', 19: 'nL', 20: 'nnnnL', 27: 'L', 31: 'nnnb' });
    });

    it('the four tables deep-equal the original\'s, key order included (differential)', function () {
      for (const k of ['DEFINITION', 'PACKET_TYPES', 'PACKET_CODES', 'PACKET_RESP_FORMAT']) {
        diff.same(MODULE, (m) => m[k], k);
      }
    });
  });

  describe('PACKETS (extension: the core\'s table, packets 1–42)', function () {
    const P = protocol.PACKETS;

    it('has one frozen entry per code 1–42 except the unused 5, in code order', function () {
      const codes = Object.values(P).map((e) => e.code);
      const expected = [];
      for (let c = 1; c <= 42; c++) if (c !== 5) expected.push(c);
      codes.should.eql(expected);
      Object.isFrozen(P).should.be.true();
      for (const [name, e] of Object.entries(P)) {
        e.name.should.equal(name);
        Object.isFrozen(e).should.be.true();
        ['request', 'response', 'both'].should.containEql(e.direction);
        e.args.should.be.an.Array();
      }
    });

    it('agrees with DEFINITION for 1–34 (code, flags, format) and adds ALL_YOURS (24) and 35–42', function () {
      for (const [name, def] of Object.entries(DEFINITION)) {
        assert.ok(P[name], name);
        P[name].code.should.equal(def[0]);
        P[name].flags.should.equal(def[1]);
        assert.strictEqual(P[name].format, def[2], name);
      }
      const added = Object.keys(P).filter((n) => !(n in DEFINITION));
      added.should.eql(['ALL_YOURS', 'SUBMIT_JOB_SCHED', 'SUBMIT_JOB_EPOCH', 'SUBMIT_REDUCE_JOB',
        'SUBMIT_REDUCE_JOB_BACKGROUND', 'GRAB_JOB_ALL', 'JOB_ASSIGN_ALL', 'GET_STATUS_UNIQUE', 'STATUS_RES_UNIQUE']);
      P.ALL_YOURS.code.should.equal(24);
      P.JOB_ASSIGN_ALL.flags.should.equal(2);
      P.JOB_ASSIGN_ALL.format.should.be.a.String();
      P.STATUS_RES_UNIQUE.flags.should.equal(2);
      P.STATUS_RES_UNIQUE.format.should.be.a.String();
      assert.strictEqual(P.SUBMIT_JOB_SCHED.format, undefined);
    });

    it('names the request arguments (SUBMIT_JOB: function, unique, data)', function () {
      P.SUBMIT_JOB.args.should.eql(['function', 'unique', 'data']);
      P.CAN_DO_TIMEOUT.args.should.eql(['function', 'timeout']);
      P.PRE_SLEEP.args.should.eql([]);
    });

    it('leaves the original tables untouched (non-breaking)', function () {
      Object.keys(protocol.PACKET_TYPES).should.have.length(32);
      assert.strictEqual(protocol.PACKET_TYPES.ALL_YOURS, undefined);
      assert.strictEqual(protocol.PACKET_CODES[35], undefined);
    });
  });

  describe('encodePacket(type, args = [])', function () {
    const enc = (...a) => protocol.encodePacket(...a);

    it('writes the header: \\0REQ, the type, the body length, each UInt32BE', function () {
      const b = enc(7, ['fn', 'u', 'data']);
      Buffer.isBuffer(b).should.be.true();
      b.readUInt32BE(0).should.equal(0x00524551);
      b.readUInt32BE(4).should.equal(7);
      b.readUInt32BE(8).should.equal(b.length - 12);
      b.subarray(12).toString().should.equal('fn\0u\0data');
    });

    it('joins the elements by single NULs with no trailing NUL; no args → empty body', function () {
      enc(4).toString('hex').should.equal('005245510000000400000000');
      enc(4, []).length.should.equal(12);
      enc(16, ['x']).subarray(12).toString().should.equal('x');
      enc(7, ['', '', '']).subarray(12).should.eql(Buffer.from([0, 0]));
      enc(7, ['a', '', 'b']).subarray(12).toString().should.equal('a\0\0b');
    });

    it('coerces the type: undefined and NaN → 0, \'7\' → 7, 1.5 → 1', function () {
      enc(undefined).readUInt32BE(4).should.equal(0);
      enc(NaN).readUInt32BE(4).should.equal(0);
      enc('7', ['a']).readUInt32BE(4).should.equal(7);
      enc(1.5, ['x']).readUInt32BE(4).should.equal(1);
      enc(0xffffffff).readUInt32BE(4).should.equal(0xffffffff);
    });

    it('writes a string as UTF-8, a Buffer raw, anything else as String(x) in UTF-8', function () {
      enc(28, ['H:1', Buffer.from([0xff, 0x00, 0x80])]).subarray(12).should.eql(
        Buffer.concat([Buffer.from('H:1\0'), Buffer.from([0xff, 0x00, 0x80])]));
      enc(16, ['žluť']).subarray(12).should.eql(Buffer.from('žluť', 'utf8'));
      enc(16, [10]).subarray(12).toString().should.equal('10');
      enc(16, [{}]).subarray(12).toString().should.equal('[object Object]');
      enc(16, [new Uint8Array([1, 2])]).subarray(12).toString().should.equal('1,2');
      enc(12, ['H', 1.5, true]).subarray(12).toString().should.equal('H\x001.5\0true');
    });

    it('throws TypeError for null, undefined and String objects', function () {
      (() => enc(16, [null])).should.throw(TypeError);
      (() => enc(16, [undefined])).should.throw(TypeError);
      (() => enc(16, ['ok', new String('x')])).should.throw(TypeError); // eslint-disable-line no-new-wrappers
      throwsSameClass((m) => m.encodePacket(16, [null]), TypeError, 'null');
      throwsSameClass((m) => m.encodePacket(16, [undefined]), TypeError, 'undefined');
      throwsSameClass((m) => m.encodePacket(16, [new String('x')]), TypeError, 'String object'); // eslint-disable-line no-new-wrappers
    });

    it('iterates a string passed as args per character', function () {
      enc(16, 'ab').subarray(12).toString().should.equal('a\0b');
      enc(16, 'žž').subarray(12).should.eql(Buffer.from('ž\0ž'));
      enc(16, '').length.should.equal(12);
    });

    it('does not touch the args array', function () {
      const args = ['fn', Buffer.from('x'), 5];
      enc(7, args);
      args.should.eql(['fn', Buffer.from('x'), 5]);
    });

    describe('NUL in a name, unique id, handle or other non-final field (Decision: differs from the original)', function () {
      const cases = [
        [1, ['a\0b']], [2, ['a\0b']], [1, [Buffer.from([0x61, 0, 0x62])]], [23, ['f\0', '10']],
        [7, ['f\0n', '', 'x']], [7, ['fn', 'u\0', 'x']], [18, ['f\0', '', 'x']], [21, ['f\0', '', 'x']],
        [32, ['f\0', '', 'x']], [33, ['f\0', '', 'x']], [34, ['f\0', '', 'x']],
        [13, ['H\0', 'x']], [28, ['H\0', 'x']], [14, ['H\0']], [15, ['H\0']], [22, ['id\0']],
      ];
      for (const [type, args] of cases) {
        it(`type ${type} ${util.inspect(args)} → Error with code GEARMAN_NUL_IN_ARGUMENT`, function () {
          let thrown;
          try {
            enc(type, args);
          } catch (err) {
            thrown = err;
          }
          assert.ok(thrown instanceof Error, 'throws instead of producing a malformed packet');
          thrown.code.should.equal('GEARMAN_NUL_IN_ARGUMENT');
        });
      }

      it('the original encoded those into a malformed packet (more NULs than fields)', function () {
        const r = diff.both(MODULE, (m) => m.encodePacket(1, ['a\0b']));
        r.orig.value.subarray(12).toString().should.equal('a\0b');
        r.ours.threw.code.should.equal('GEARMAN_NUL_IN_ARGUMENT');
      });

      it('a NUL in the final data field is fine (payloads and texts are binary)', function () {
        enc(7, ['fn', 'u', 'a\0b']).subarray(12).toString().should.equal('fn\0u\0a\0b');
        enc(28, ['H:1', Buffer.from([0, 0])]).subarray(12).should.eql(Buffer.from([0x48, 0x3a, 0x31, 0, 0, 0]));
        enc(16, ['te\0xt']).subarray(12).toString().should.equal('te\0xt');
        enc(25, ['H:1', 'ex\0c']).subarray(12).toString().should.equal('H:1\0ex\0c');
      });
    });

    it('matches the original on a table of inputs (differential)', function () {
      sameOver([
        [1], [1, []], [1, 'ab'], [1, ''], [1, ['a', 'b', 'c']], [1, ['', '']], [4, undefined], [4, null], [4, 5],
        [7, ['fn', '', 'payload']], [7, ['žluť', 'u', Buffer.from([0xff, 0])]], [7, ['f', 'u', '']],
        [28, ['H:1', Buffer.alloc(0)]], [13, ['H:1', 'x'.repeat(1000)]],
        [16, [10, {}, new Uint8Array([1, 2])]], [16, [true, 1.5, -0, NaN, Infinity]], [16, [[1, 2]]],
        [16, [1n]], [16, [Symbol('s')]], [16, { length: 2, 0: 'a', 1: 'b' }],
        [undefined], [undefined, ['x']], ['7', ['a']], [1.5, ['x']], [NaN], ['abc'], [null, []], [{}, []],
        [0xffffffff], [-1], [2 ** 32], [16, ['te\0xt']],
      ], (m, args) => m.encodePacket(...args));
    });
  });

  describe('parsePacket(buff, format = \'\')', function () {
    const parse = (...a) => protocol.parsePacket(...a);

    it('starts at offset 12 and returns [bytesConsumed, fields…]: the examples of COMPATIBILITY.md#protocol-module', function () {
      parse(packet(20, 'H:1\x001\x000\x003\x004'), 'nnnnL').should.eql([23, 'H:1', '1', '0', '3', '4']);
      parse(packet(6, ''), '').should.eql([12]);
      parse(packet(6, '')).should.eql([12]);
    });

    it('does not check the magic', function () {
      parse(packet(17, 'hi', { magic: 0xdeadbeef }), 'L').should.eql([14, 'hi']);
      parse(Buffer.from('garbage-not-a-packet'), 'N').should.eql([21, 'a-packet']);
    });

    it('throws RangeError for a buffer under 12 bytes', function () {
      (() => parse(Buffer.alloc(11), '')).should.throw(RangeError);
      (() => parse(Buffer.alloc(5), 'N')).should.throw(RangeError);
      (() => parse(Buffer.alloc(0))).should.throw(RangeError);
    });

    it('N: to the next NUL or the end, UTF-8; the offset skips the NUL', function () {
      parse(packet(19, 'žluť\0kůň'), 'NN').should.eql([25, 'žluť', 'kůň']);
      parse(packet(19, 'abc'), 'N').should.eql([16, 'abc']);
    });

    it('n: the same as ASCII', function () {
      parse(packet(19, 'žluť\0x'), 'nn').should.eql([21, 'E>luE%', 'x']);
    });

    it('L: UTF-8 up to 12 + the declared length, which becomes the offset', function () {
      parse(packet(19, 'CODE\0text\0more'), 'nL').should.eql([26, 'CODE', 'text\0more']);
      parse(packet(17, 'žluť'), 'L').should.eql([18, 'žluť']);
      parse(packet(19, 'abc\0d', { length: 1 }), 'LN').should.eql([16, 'a', 'bc']);
      parse(Buffer.concat([packet(17, 'hello'), Buffer.from('extra')]), 'L').should.eql([17, 'hello']);
    });

    it('b: a view to the buffer end (shared memory); the offset becomes 12 + declared length', function () {
      const buf = Buffer.concat([packet(13, 'H:1\0data'), Buffer.from('extra')]);
      const r = parse(buf, 'nb');
      r[0].should.equal(20);
      r[1].should.equal('H:1');
      r[2].toString().should.equal('dataextra');
      r[2].buffer.should.equal(buf.buffer);
      buf[16] = 0x44;
      r[2].toString().should.equal('Dataextra');
      parse(packet(19, 'a\0b'), 'bN').should.eql([16, Buffer.from('a\0b'), '']);
    });

    it('returns (does not throw) Error(\'unknow format: <format>\') for any other letter', function () {
      const r = parse(packet(19, 'a\0b'), 'NX');
      r.should.be.an.Error();
      r.message.should.equal('unknow format: NX');
      parse(packet(19, 'a'), 'N ').message.should.equal('unknow format: N ');
    });

    it('matches the original on a table of inputs (differential)', function () {
      sameOver([
        [Buffer.alloc(5), ''], [Buffer.alloc(11), 'N'], [Buffer.alloc(5), 'X'], [Buffer.alloc(0), ''],
        [Buffer.alloc(12), ''], [Buffer.alloc(12), 'N'], [Buffer.alloc(12), 'L'], [Buffer.alloc(12), 'b'],
        [Buffer.alloc(12), 'n'], [Buffer.alloc(12), 'NNNN'],
        [packet(20, 'H:1\x001\x000\x003\x004'), 'nnnnL'], [packet(20, 'H:1\x001\x000\x003\x004'), undefined],
        [packet(11, 'H:1\0fn\0payload'), 'nnb'], [packet(11, 'H:1\0fn\0payload'), 'nNb'],
        [packet(31, 'H:1\0fn\0uniq\0payload'), 'nnnb'], [packet(12, 'H:1\x003\x0010'), 'nnL'],
        [Buffer.concat([packet(13, 'H:1\0data'), Buffer.from('extra')]), 'nb'],
        [Buffer.concat([packet(17, 'hello'), Buffer.from('extra')]), 'L'],
        [packet(17, 'žluť'), 'L'], [packet(17, 'žluť'), 'n'], [packet(17, 'žluť'), 'N'],
        [packet(19, 'CODE\0text\0more'), 'nL'], [packet(19, 'CODE'), 'nL'], [packet(19, 'CODE'), 'nnnn'],
        [packet(19, ''), 'NNN'], [packet(19, 'a\0b'), 'bN'], [packet(19, 'a\0b'), 'LN'],
        [packet(19, 'a\0b'), 'Nz'], [packet(19, 'a\0b'), 'Xn'], [packet(19, 'a\0b'), 5], [packet(19, 'a\0b'), null],
        [packet(19, 'a\0b'), true], [packet(19, 'a\0b'), ''], [packet(19, 'a\0b'), ['N']],
        [packet(19, 'a\0b'), new String('NL')], // eslint-disable-line no-new-wrappers
        [Buffer.from('garbage-not-a-packet'), 'N'], [packet(17, 'hi', { magic: 1 }), 'L'],
        [packet(19, 'abc', { length: 100 }), 'L'], [packet(19, 'abc', { length: 100 }), 'b'],
        [packet(19, 'abc', { length: 100 }), 'bN'], [packet(19, 'abc\0d', { length: 1 }), 'NN'],
        [packet(19, 'abc\0d', { length: 1 }), 'NNN'], [packet(28, Buffer.from([0xff, 0xfe, 0])), 'b'],
        [packet(28, Buffer.from([0xff, 0xfe, 0, 0x41])), 'Nn'],
        // A declared length near 2^32: bytesConsumed is 12 + it, past what a u32 holds.
        [packet(17, 'hi', { length: 0xffffffff }), 'L'], [packet(17, 'hi', { length: 0xfffffff5 }), 'b'],
      ], (m, [b, f]) => m.parsePacket(b, f));
    });
  });
});
