'use strict';
/**
 * Differential testing: run the same scenario on the original gearmanode 0.9.2 (the devDependency
 * `gearmanode-original`, with its winston 2 hoisted) and on this package, and compare what comes out.
 * The original is used as a black box: required and called, never read.
 *
 *   const diff = require('./support/differential');
 *   const r = diff.both('lib/gearmanode/common', (m) => m.isString('x'));   // {orig, ours}
 *   diff.same('lib/gearmanode/common', (m) => m.clone(new Date()));         // asserts, returns r
 *
 * A module path is relative to the package root ('' is the main module). Each outcome is
 * `{value}` or `{threw}`; `comparable()` turns values into plain data that `assert.deepStrictEqual`
 * can compare (Errors by class and message, Dates as a tag, -0 and NaN spelled out, key order kept).
 *
 * Also here: `quietOriginal()` for the original's winston output, `capture()` for console output, and
 * `child()` to run code in a fresh `node` process (standalone loading, globals, deprecations).
 */
const assert = require('assert');
const path = require('path');
const childProcess = require('child_process');

const ROOT = path.join(__dirname, '..', '..');
const ORIGINAL = 'gearmanode-original';
const LOGGER_NAMES = ['Client', 'Worker', 'JobServer', 'Job', 'LBStrategy', 'protocol'];

/**
 * Runs `fn` with Node's "Accessing non-existent property … inside circular dependency" warnings
 * dropped: winston 2 triggers them on current Node versions, and they would clutter every test run.
 */
function withoutCircularWarnings(fn) {
  const saved = process.emitWarning;
  process.emitWarning = function emitWarning(warning, ...rest) {
    if (/inside circular dependency/.test(String(warning && warning.message ? warning.message : warning))) {
      return undefined;
    }
    return saved.call(this, warning, ...rest);
  };
  try {
    return fn();
  } finally {
    process.emitWarning = saved;
  }
}

/** The winston instance the original uses (the hoisted winston 2.4.3). */
function originalWinston() {
  const id = require.resolve('winston', { paths: [path.dirname(require.resolve(ORIGINAL + '/package.json'))] });
  return withoutCircularWarnings(() => require(id));
}

/**
 * Runs `fn` synchronously with process.stdout/stderr writes captured (not printed). Returns
 * `{value, threw, stdout, stderr}`, `threw` set only when fn threw.
 */
function capture(fn) {
  const out = { stdout: '', stderr: '' };
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = (chunk) => { out.stdout += chunk; return true; };
  process.stderr.write = (chunk) => { out.stderr += chunk; return true; };
  try {
    out.value = fn();
  } catch (err) {
    out.threw = err;
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
  }
  return out;
}

/**
 * Silences the original's winston loggers (the six container loggers and whatever else the
 * container holds): `level` 'error' keeps only errors, the default `null` silences them all.
 */
function quietOriginal(level = null) {
  const winston = originalWinston();
  const container = winston.loggers;
  const names = new Set(LOGGER_NAMES.concat(Object.keys(container.loggers || {})));
  for (const name of names) {
    if (!container.has || container.has(name)) {
      const logger = container.get(name);
      for (const transport of Object.values(logger.transports || {})) {
        if (level === null) {
          transport.silent = true;
        } else {
          transport.silent = false;
          transport.level = level;
        }
      }
    }
  }
}

/** The original's module at `modulePath` ('' = main), loaded without printing, then quieted. */
function orig(modulePath = '') {
  const id = modulePath ? ORIGINAL + '/' + modulePath : ORIGINAL;
  const r = capture(() => withoutCircularWarnings(() => require(id)));
  if (r.threw) {
    throw r.threw;
  }
  quietOriginal();
  return r.value;
}

/** This package's module at `modulePath` ('' = the package root). */
function ours(modulePath = '') {
  return require(path.join(ROOT, modulePath));
}

/** `{value}` or `{threw}`: what calling `fn` did. */
function run(fn) {
  try {
    return { value: fn() };
  } catch (err) {
    return { threw: err };
  }
}

/** Runs `fn(module, which)` on the original and on ours; returns `{orig, ours}` outcomes. */
function both(modulePath, fn) {
  const o = orig(modulePath);
  const u = ours(modulePath);
  return { orig: run(() => fn(o, 'orig')), ours: run(() => fn(u, 'ours')) };
}

/**
 * Plain data for deep comparison: Errors → `{error: name, message}`, Dates → `{date: 'Date'}` (their
 * times differ between runs), -0 → '-0', NaN → 'NaN', functions → `{function: arity}`, Buffers →
 * `{buffer: hex}`, other objects → `{keys, values}` so that key order counts. Cycles become '[cycle]'.
 */
function comparable(x, seen = new Set()) {
  if (typeof x === 'number') {
    if (Number.isNaN(x)) return 'NaN';
    if (Object.is(x, -0)) return '-0';
    return x;
  }
  if (typeof x === 'bigint' || typeof x === 'symbol') return { [typeof x]: String(x) };
  if (typeof x === 'function') return { function: x.length };
  if (x === null || typeof x !== 'object') return x;
  if (seen.has(x)) return '[cycle]';
  seen.add(x);
  try {
    if (x instanceof Error) return { error: x.name, message: x.message };
    if (x instanceof Date) return { date: 'Date' };
    if (Buffer.isBuffer(x)) return { buffer: x.toString('hex') };
    if (Array.isArray(x)) return x.map((v) => comparable(v, seen));
    const keys = Object.keys(x);
    return { keys, values: keys.map((k) => comparable(x[k], seen)) };
  } finally {
    seen.delete(x);
  }
}

/** An outcome as plain data: `{value}` or `{threw: {error, message}}`. */
function outcome(r) {
  return 'threw' in r ? { threw: comparable(r.threw) } : { value: comparable(r.value) };
}

/**
 * Runs `fn` on both and asserts the same outcome (value, or thrown error class and message).
 * Returns `{orig, ours}`.
 */
function same(modulePath, fn, message) {
  const r = both(modulePath, fn);
  assert.deepStrictEqual(outcome(r.ours), outcome(r.orig), message);
  return r;
}

/**
 * Runs `code` in a fresh `node -e` child, with the cwd at the package root. Returns
 * `{status, stdout, stderr}`. `env` adds to (or, with undefined values, removes from) the
 * environment; `args` are extra node options (e.g. '--pending-deprecation').
 */
function child(code, { env = {}, args = [] } = {}) {
  const childEnv = Object.assign({}, process.env);
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const r = childProcess.spawnSync(process.execPath, args.concat(['-e', code]), {
    cwd: ROOT, env: childEnv, encoding: 'utf8', timeout: 30000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Loads `modulePath` alone in a fresh process with DEP warnings made visible, runs `use` (source of
 * a function body with `m` bound to the module, returning JSON-able data) and reports the globals
 * the load added, the use's result and stderr: `{addedGlobals, result, stderr, status}`.
 */
function standalone(modulePath, use = 'return null;') {
  const file = path.join(ROOT, modulePath);
  const code = `
    const before = new Set(Object.keys(globalThis));
    const m = require(${JSON.stringify(file)});
    const result = (function (m) { ${use} })(m);
    const addedGlobals = Object.keys(globalThis).filter((k) => !before.has(k));
    process.stdout.write(JSON.stringify({ addedGlobals, result }));`;
  const r = child(code, { args: ['--pending-deprecation'], env: { GEARMANODE_LOG: undefined } });
  let parsed = {};
  try {
    parsed = JSON.parse(r.stdout);
  } catch (err) {
    parsed = { parseError: r.stdout };
  }
  return Object.assign(parsed, { stderr: r.stderr, status: r.status });
}

module.exports = {
  ROOT,
  LOGGER_NAMES,
  originalWinston,
  capture,
  quietOriginal,
  orig,
  ours,
  run,
  both,
  comparable,
  outcome,
  same,
  child,
  standalone,
};
