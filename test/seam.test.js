'use strict';
// The seam between JavaScript and the Rust core (src/binding/): the numbers both sides share are
// the addon's exports (EventKind, ScanSlot, ScanError, FrameSlot, FieldSlot), errors cross with a `code` set by
// the core and listed by `errorCodes()`, every exported function and method is panic-safe
// (`#[napi(catch_unwind)]`), and the test hooks are refused unless GEARMANODE_TEST_HOOKS=1.

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const diff = require('./support/differential');
const native = require('../lib/internal/native');
const protocol = require('../lib/gearmanode/protocol');
const errors = require('../lib/errors');

const BINDING = path.join(__dirname, '..', 'src', 'binding');

/**
 * The `#[napi]` functions and methods of Rust sources: `[{js, cls, catchUnwind, file}]`. `js` is the
 * name JavaScript sees (`js_name`, else the Rust name in camelCase; `constructor` for a
 * constructor), `cls` the class of a method (the `impl` it is in), null for a function.
 */
function napiFunctions(sources) {
  const found = [];
  for (const [file, text] of sources) {
    let cls = null;
    // An attribute, then doc comments and other attributes, then the item it applies to.
    const re = /#\[napi(\((?:[^()]|\([^()]*\))*\))?\]\s*((?:(?:\/\/[^\n]*|#\[[^\]]*\])\s*)*)([^\n{;]*)/g;
    let m;
    while ((m = re.exec(text)) !== null) {
      const opts = m[1] || '';
      const item = m[3];
      const impl = /^impl\s+(\w+)/.exec(item);
      if (impl) {
        cls = impl[1];
        continue;
      }
      const fn = /\bfn\s+(\w+)/.exec(item);
      if (!fn) continue; // struct, enum, object
      // A method is indented inside its `impl`; a function starts at column 0.
      const indented = m.index > text.lastIndexOf('\n', m.index - 1) + 1;
      const jsName = /js_name\s*=\s*"([^"]+)"/.exec(opts);
      const js = /\bconstructor\b/.test(opts) ? 'constructor'
        : jsName ? jsName[1] : fn[1].replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
      found.push({ js, cls: indented ? cls : null, catchUnwind: /\bcatch_unwind\b/.test(opts), file });
    }
  }
  return found;
}

function bindingSources() {
  return fs.readdirSync(BINDING).filter((f) => f.endsWith('.rs'))
    .map((f) => [f, fs.readFileSync(path.join(BINDING, f), 'utf8')]);
}

/** The addon's functions and methods as `Class.method` / `function` names. */
function exportedEntryPoints(addon) {
  const out = [];
  for (const [name, value] of Object.entries(addon)) {
    if (typeof value !== 'function') continue;
    const methods = Object.getOwnPropertyNames(value.prototype || {}).filter((k) => k !== 'constructor');
    if (methods.length > 0) {
      out.push(`${name}.constructor`);
      for (const k of methods) out.push(`${name}.${k}`);
    } else {
      out.push(name);
    }
  }
  return out;
}

/** The exported entry points that are not declared with catch_unwind (or not found at all). */
function unguarded(addon, sources) {
  const declared = new Map(napiFunctions(sources).map((f) => [f.cls ? `${f.cls}.${f.js}` : f.js, f]));
  return exportedEntryPoints(addon).filter((e) => !(declared.has(e) && declared.get(e).catchUnwind));
}

describe('the seam between JavaScript and the Rust core', function () {
  describe('shared numbers are the addon\'s exports', function () {
    it('EventKind, ScanSlot, ScanError, FrameSlot and FieldSlot', function () {
      assert.deepStrictEqual({ ...native.EventKind }, { Connect: 1, Data: 2, Error: 3, End: 4, Close: 5 });
      assert.deepStrictEqual({ ...native.ScanSlot }, { Consumed: 0, Packets: 1, PendingTotal: 2, Error: 3, Frames: 4 });
      assert.deepStrictEqual({ ...native.ScanError }, { None: 0, BadMagic: 1, TooLarge: 2 });
      assert.deepStrictEqual({ ...native.FrameSlot }, { Code: 0, Start: 1, End: 2, Argc: 3, Args: 4 });
      assert.deepStrictEqual({ ...native.FieldSlot }, { Consumed: 0, Ranges: 1 });
    });

    it('a scanPackets result reads by ScanSlot and its frames by FrameSlot', function () {
      const { ScanSlot, ScanError, FrameSlot } = native;
      const res = (code, args) => {
        const b = protocol.encodePacket(code, args);
        b.write('\0RES', 0, 'latin1');
        return b;
      };
      const assign = res(11, ['H:1', 'fn', Buffer.from('da\0ta')]);
      const noop = res(6, []);
      const partial = res(13, ['H:1', 'result']).subarray(0, 15);
      const chunk = Buffer.concat([assign, noop, partial]);
      const r = native.scanPackets(chunk, 1 << 20);
      assert.strictEqual(r[ScanSlot.Consumed], assign.length + noop.length);
      assert.strictEqual(r[ScanSlot.Packets], 2);
      assert.strictEqual(r[ScanSlot.PendingTotal], 12 + 'H:1\0result'.length);
      assert.strictEqual(r[ScanSlot.Error], ScanError.None);
      let at = ScanSlot.Frames;
      assert.strictEqual(r[at + FrameSlot.Code], 11);
      assert.strictEqual(r[at + FrameSlot.Start], 0);
      assert.strictEqual(r[at + FrameSlot.End], assign.length);
      assert.strictEqual(r[at + FrameSlot.Argc], 3);
      const arg = (i) => chunk.subarray(r[at + FrameSlot.Args + 2 * i], r[at + FrameSlot.Args + 2 * i + 1]).toString('latin1');
      assert.deepStrictEqual([arg(0), arg(1), arg(2)], ['H:1', 'fn', 'da\0ta']);
      at += FrameSlot.Args + 2 * r[at + FrameSlot.Argc];
      assert.deepStrictEqual([r[at + FrameSlot.Code], r[at + FrameSlot.Start], r[at + FrameSlot.End], r[at + FrameSlot.Argc]],
        [6, assign.length, assign.length + noop.length, 0]);
      assert.strictEqual(at + FrameSlot.Args, r.length);

      const bad = native.scanPackets(Buffer.concat([noop, protocol.encodePacket(6, [])]), 1 << 20);
      assert.deepStrictEqual([bad[ScanSlot.Consumed], bad[ScanSlot.Packets], bad[ScanSlot.Error]], [12, 1, ScanError.BadMagic]);
      const big = native.scanPackets(assign, 16);
      assert.deepStrictEqual([big[ScanSlot.Consumed], big[ScanSlot.Error]], [0, ScanError.TooLarge]);
    });
  });

  describe('errors cross with a code set by the core', function () {
    it('errorCodes() lists each code once, with its origin and a one-line description', function () {
      const list = native.errorCodes();
      assert.ok(list.length > 50, `${list.length} codes`);
      assert.strictEqual(new Set(list.map((c) => c.code)).size, list.length);
      for (const c of list) {
        assert.match(c.code, /^[A-Z][A-Z0-9_]+$/);
        assert.ok(['socket', 'tls', 'protocol', 'core'].includes(c.origin), c.origin);
        assert.ok(c.description.length > 10 && !c.description.includes('\n'), c.code);
      }
      for (const code of ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'ERR_TLS_CERT_ALTNAME_INVALID', 'GEARMAN_BAD_MAGIC',
        'GEARMAN_PACKET_TOO_LARGE', 'GEARMAN_INTERNAL', 'GEARMAN_TEST_HOOKS_OFF']) {
        assert.ok(list.some((c) => c.code === code), code);
      }
    });

    it('a thrown core error has its code and a message without it; the library hands it on as a GearmanError', function () {
      let thrown;
      try {
        native.encodePacket(1, ['a\0b']);
      } catch (err) {
        thrown = err;
      }
      assert.strictEqual(thrown.code, 'GEARMAN_NUL_IN_ARGUMENT');
      assert.strictEqual(thrown.message, "NUL byte in argument 'function' of CAN_DO");
      const err = errors.fromCore(thrown);
      assert.ok(err instanceof errors.GearmanError);
      assert.deepStrictEqual([err.code, err.message], [thrown.code, thrown.message]);
      assert.throws(() => protocol.encodePacket(1, ['a\0b']),
        (e) => e instanceof errors.GearmanError && e.code === 'GEARMAN_NUL_IN_ARGUMENT');
      assert.throws(() => native.parseFieldRanges(Buffer.alloc(3), 'n'), { code: 'GEARMAN_SHORT_BUFFER' });
      assert.throws(() => native.adminEncode('shutdown', []), { code: 'GEARMAN_INVALID_ARGUMENT', message: 'unknown admin command: shutdown' });
      assert.throws(() => native.adminEncode('cancel job', ['a b']), { code: 'GEARMAN_ADMIN_BAD_ARGUMENT' });
      // Not the core's: left as they are.
      const socketError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4731'), { code: 'ECONNREFUSED' });
      assert.strictEqual(errors.fromCore(socketError), socketError);
    });
  });

  describe('every exported function and method is panic-safe (#[napi(catch_unwind)])', function () {
    it('finds every entry point of the addon in src/binding/ with catch_unwind', function () {
      const sources = bindingSources();
      const entries = exportedEntryPoints(native);
      assert.ok(entries.length >= 25, `only ${entries.length} entry points: ${entries.join(', ')}`);
      assert.ok(entries.includes('NativeConnection.connect') && entries.includes('NativeConnection.constructor'));
      assert.deepStrictEqual(unguarded(native, sources), []);
    });

    it('reports an entry point declared without it, or not found in the sources (the check can fail)', function () {
      const sources = bindingSources().map(([f, text]) => [f, text
        .replace('#[napi(catch_unwind)]\npub fn core_version', '#[napi]\npub fn core_version')
        .replace('    #[napi(catch_unwind)]\n    pub fn write(', '    #[napi]\n    pub fn write(')]);
      assert.deepStrictEqual(unguarded(native, sources).sort(), ['NativeConnection.write', 'coreVersion']);
      const fake = Object.assign({}, native, { notInTheSources() {} });
      assert.deepStrictEqual(unguarded(fake, bindingSources()), ['notInTheSources']);
    });
  });

  describe('test hooks are off unless GEARMANODE_TEST_HOOKS=1 when the addon loads', function () {
    const probe = `
      const native = require('./lib/internal/native');
      const out = {};
      try { native.emitTestLog(1, 'x'); out.log = 'ran'; } catch (e) { out.log = e.code; }
      const c = new native.NativeConnection();
      try { c.connect('127.0.0.1', 1, { panicForTest: true }, () => {}); out.panic = 'ran'; } catch (e) { out.panic = e.code; }
      c.destroy();
      process.stdout.write(JSON.stringify(out));`;

    it('a process without it gets GEARMAN_TEST_HOOKS_OFF from emitTestLog and from panicForTest', function () {
      for (const value of [undefined, '0', 'true']) {
        const r = diff.child(probe, { env: { GEARMANODE_TEST_HOOKS: value, GEARMANODE_LOG: 'error' } });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(JSON.parse(r.stdout), { log: 'GEARMAN_TEST_HOOKS_OFF', panic: 'GEARMAN_TEST_HOOKS_OFF' }, String(value));
      }
    });

    it('a process with it may use them', function () {
      const r = diff.child(probe, { env: { GEARMANODE_TEST_HOOKS: '1', GEARMANODE_LOG: 'error' } });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.deepStrictEqual(JSON.parse(r.stdout), { log: 'ran', panic: 'ran' });
    });
  });
});
