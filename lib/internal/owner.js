'use strict';
/**
 * What Client and Worker share beyond the ServerManager mixin of the original: the connection
 * options this library adds, deferred job errors, methods kept off the enumerable surface, and the
 * owner interface: everything a JobServer uses of the Client or Worker that owns it.
 *
 * The owner interface (a JobServer's `clientOrWorker`; test doubles implement the same):
 * - 0.9.2's, kept because applications and their suites observe it (COMPATIBILITY.md#jobserver):
 *   `_type` ('Client' | 'Worker'), `emit(...)` (socketConnect, socketError, socketDisconnect,
 *   jobServerError), `_response(jobServer, type, parsed)`, `_unrecoverableError(message)`, `jobs`
 *   (JOB_CREATED files the job there), and for a Client `loadBalancer.badOne(index)` with
 *   `_getJobServerIndexByUid(uid)` when a connection fails (markBad below);
 * - this library's: `closed`, `_socketOptions` (takeSocketOptions below), and two hooks under the
 *   symbols SERVER_UP / SERVER_DOWN, called by the lifecycle (lib/internal/lifecycle.js) after
 *   0.9.2's events of a connect and of a teardown. An owner without them is simply not told.
 */
const native = require('./native');
const errors = require('../errors');

/** Hook `owner[SERVER_UP](jobServer)`: the job server got connected (after `socketConnect`). */
const SERVER_UP = Symbol('gearmanode.serverUp');
/**
 * Hook `owner[SERVER_DOWN](jobServer, err, lost)`: the job server's connection ended (after
 * `socketDisconnect` and after its queued sends failed); `lost` when it failed rather than being
 * closed by user code.
 */
const SERVER_DOWN = Symbol('gearmanode.serverDown');

function serverUp(owner, js) {
  if (typeof owner[SERVER_UP] === 'function') owner[SERVER_UP](js);
}

function serverDown(owner, js, err, lost) {
  if (typeof owner[SERVER_DOWN] === 'function') owner[SERVER_DOWN](js, err, lost);
}

/** A Client marks a failed server bad in its load balancer (workers have none), as 0.9.2 did. */
function markBad(js) {
  const owner = js.clientOrWorker;
  if (owner !== undefined && owner !== null && owner._type === 'Client' && owner.loadBalancer) {
    owner.loadBalancer.badOne(owner._getJobServerIndexByUid(js.getUid()));
  }
}

/** The owner's connection options beyond gearmanode's, or undefined. */
function socketOptions(owner) {
  const o = owner && owner._socketOptions;
  return o ? o : undefined;
}

/** The largest packet accepted from a server of this owner (the `maxPacketSize` option). */
function maxPacketSize(owner) {
  const o = socketOptions(owner);
  return o && o.maxPacketSize ? o.maxPacketSize : native.DEFAULT_MAX_PACKET_SIZE;
}

/** Options beyond gearmanode's, read by each job server's socket. */
const SOCKET_OPTIONS = ['connectTimeout', 'maxPacketSize', 'tls', 'keepAlive'];

/** PEM text of a string or a Buffer/Uint8Array; null for anything else. */
function pemText(v) {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return null;
}

/**
 * The `tls` option as the native connection takes it. `true`: TLS with the built-in roots and the
 * host as server name; an object: `ca` (PEM string/Buffer or an array of them), `cert` + `key`
 * (PEM, a client certificate), `servername`, `rejectUnauthorized` (default true).
 * @returns {object|undefined|Error} undefined for no TLS (`false`, `null`, `undefined`)
 */
function normaliseTls(tls) {
  if (tls === undefined || tls === null || tls === false) return undefined;
  if (tls === true) return {};
  if (typeof tls !== 'object' || Array.isArray(tls) || tls instanceof Uint8Array) {
    return new Error('option tls: expected true or an object, got ' + typeof tls);
  }
  for (const k of ['pfx', 'passphrase']) {
    if (tls[k] !== undefined && tls[k] !== null) {
      return new Error('option tls.' + k + ' is not supported: give cert and key as unencrypted PEM');
    }
  }
  const out = {};
  if (tls.ca !== undefined && tls.ca !== null) {
    const list = Array.isArray(tls.ca) ? tls.ca : [tls.ca];
    const texts = list.map(pemText);
    if (texts.includes(null)) {
      return new Error('option tls.ca: expected PEM text (a string or a Buffer) or an array of them');
    }
    if (texts.length > 0) out.ca = texts;
  }
  for (const k of ['cert', 'key']) {
    if (tls[k] === undefined || tls[k] === null) continue;
    const text = k === 'cert' && Array.isArray(tls[k]) ? tls[k].map(pemText) : [pemText(tls[k])];
    if (text.includes(null)) return new Error('option tls.' + k + ': expected PEM text (a string or a Buffer)');
    out[k] = text.join('\n');
  }
  if ((out.cert === undefined) !== (out.key === undefined)) {
    return new Error('option tls: cert and key go together (a client certificate and its private key)');
  }
  if (tls.servername !== undefined && tls.servername !== null) {
    if (typeof tls.servername !== 'string') return new Error('option tls.servername: expected a string');
    out.servername = tls.servername;
  }
  // As in Node: anything but `false` keeps the verification on.
  if (tls.rejectUnauthorized === false) out.rejectUnauthorized = false;
  return out;
}

/** Largest `maxPacketSize`: packet offsets are 32-bit in the core. */
const MAX_PACKET_LIMIT = 0xffffffff - 12;

/**
 * An Error for a `connectTimeout`, `maxPacketSize` or `keepAlive` out of its range (whole numbers;
 * `keepAlive` may also be false: the kernel counts its times in whole seconds), or null.
 */
function checkLimits(found) {
  const ranges = { connectTimeout: [1, 0x7fffffff], maxPacketSize: [12, MAX_PACKET_LIMIT], keepAlive: [1000, 0x7fffffff] };
  for (const k of Object.keys(ranges)) {
    if (!Object.prototype.hasOwnProperty.call(found, k) || found[k] === undefined) continue;
    const v = found[k];
    if (k === 'keepAlive' && v === false) continue;
    const [min, max] = ranges[k];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) {
      return new Error(`value '${String(v)}' not in defined range, key=${k} (a whole number from ${min} to ${max}${k === 'keepAlive' ? ', or false' : ''})`);
    }
  }
  return null;
}

/**
 * Takes this library's own connection options out of `options` (so gearmanode's validation sees
 * only its own keys) and keeps them on the owner, hidden. `ownKeys` are further options of the
 * owner itself (already read by its constructor) that gearmanode's validation must not see.
 * @returns {object|Error} what to pass to initServers: `options` itself when it has none of them;
 *   an Error for an invalid `connectTimeout`, `maxPacketSize` or `tls`
 */
function takeSocketOptions(owner, options, ownKeys) {
  const has = (k) => options && Object.prototype.hasOwnProperty.call(options, k);
  let found = null;
  for (const k of SOCKET_OPTIONS) {
    if (has(k)) {
      if (found === null) found = {};
      found[k] = options[k];
    }
  }
  if (found !== null) {
    const bad = checkLimits(found);
    if (bad) return bad;
  }
  if (found !== null && found.tls !== undefined) {
    const tls = normaliseTls(found.tls);
    if (tls instanceof Error) return tls;
    found.tls = tls;
  }
  hide(owner, '_socketOptions', found);
  const strip = SOCKET_OPTIONS.concat(ownKeys || []);
  if (!strip.some(has)) return options;
  const rest = Object.assign({}, options);
  for (const k of strip) delete rest[k];
  return rest;
}

/**
 * Emits `error` on a job one tick later, and only if it has an `error` listener then: existing
 * code listens on the client only, and a throw from a callback after the fact would take the
 * process down (COMPATIBILITY.md#ground-rules, #fixed-3).
 */
function deferJobError(job, err) {
  process.nextTick(function () {
    if (job.listenerCount('error') > 0) job.emit('error', err);
  });
}

/**
 * The `error` of `_unrecoverableError(message)`: a GearmanError with 0.9.2's message. The code comes
 * from the message, whose beginnings are this library's own (0.9.2's suites check the one-argument
 * call, so the code cannot travel as a second argument).
 */
function unrecoverable(message) {
  const m = String(message);
  const code = m.startsWith('failed to obtain job server') ? errors.CODES.ALL_SERVERS_FAILED
    : m.startsWith('function not found in locale register') ? errors.CODES.UNKNOWN_FUNCTION
      : errors.CODES.PROTOCOL_ERROR;
  return errors.create(code, m);
}

/** Defines a writable, non-enumerable property (invisible to Object.keys and key-order checks). */
function hide(target, name, value) {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
}

module.exports = {
  takeSocketOptions, normaliseTls, deferJobError, hide, SOCKET_OPTIONS,
  SERVER_UP, SERVER_DOWN, serverUp, serverDown, markBad, socketOptions, maxPacketSize, unrecoverable,
};
