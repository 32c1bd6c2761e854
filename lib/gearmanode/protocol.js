'use strict';
/**
 * The Gearman protocol for JavaScript: the original module's tables (packets 1–34, unchanged),
 * the whole packet table of the core (1–42) as `PACKETS`, and `encodePacket` / `parsePacket` over
 * the Rust codec. No byte parsing happens here: the core finds packet and field boundaries, and
 * this module only turns the ranges it reports into strings and Buffer views.
 */
const native = require('../internal/native');
const loggers = require('../logger');
const errors = require('../errors');

const { FrameSlot, FieldSlot } = native;

const logger = loggers.get('protocol');

const CONSTANTS = {
  TYPE_REQ: 1,
  TYPE_RESP: 2,
  HEADER_REQ: 0x00524551,
  HEADER_RESP: 0x00524553,
  HEADER_LEN: 12,
  UNKNOWN_OPTION: 'UNKNOWN_OPTION',
};

// name: [code, flags (1 request, 2 response, 3 both), response format]; as gearmanode 0.9.2 had it.
const DEFINITION = {
  CAN_DO: [1, 1],
  CANT_DO: [2, 1],
  RESET_ABILITIES: [3, 1],
  PRE_SLEEP: [4, 1],
  NOOP: [6, 2, ''],
  SUBMIT_JOB: [7, 1],
  JOB_CREATED: [8, 2, 'L'],
  GRAB_JOB: [9, 1],
  NO_JOB: [10, 2, ''],
  JOB_ASSIGN: [11, 2, 'nnb'],
  WORK_STATUS: [12, 3, 'nnL'],
  WORK_COMPLETE: [13, 3, 'nb'],
  WORK_FAIL: [14, 3, 'L'],
  GET_STATUS: [15, 1],
  ECHO_REQ: [16, 1],
  ECHO_RES: [17, 2, 'L'],
  SUBMIT_JOB_BG: [18, 1],
  ERROR: [19, 2, 'nL'],
  STATUS_RES: [20, 2, 'nnnnL'],
  SUBMIT_JOB_HIGH: [21, 1],
  SET_CLIENT_ID: [22, 1],
  CAN_DO_TIMEOUT: [23, 1],
  WORK_EXCEPTION: [25, 3, 'nb'],
  OPTION_REQ: [26, 1],
  OPTION_RES: [27, 2, 'L'],
  WORK_DATA: [28, 3, 'nb'],
  WORK_WARNING: [29, 3, 'nb'],
  GRAB_JOB_UNIQ: [30, 1],
  JOB_ASSIGN_UNIQ: [31, 2, 'nnnb'],
  SUBMIT_JOB_HIGH_BG: [32, 1],
  SUBMIT_JOB_LOW: [33, 1],
  SUBMIT_JOB_LOW_BG: [34, 1],
};

const PACKET_TYPES = {};
const PACKET_CODES = {};
const PACKET_RESP_FORMAT = {};
for (const name of Object.keys(DEFINITION)) {
  const def = DEFINITION[name];
  PACKET_TYPES[name] = def[0];
  PACKET_CODES[def[0]] = name;
  if (def[1] === 2) PACKET_RESP_FORMAT[def[0]] = def[2];
}

// Response formats of the packets gearmanode 0.9.2 did not know.
const EXTENDED_FORMATS = { JOB_ASSIGN_ALL: 'nnnnb', STATUS_RES_UNIQUE: 'nnnnnL' };

/**
 * Every packet of the protocol (1–42), from the core's table: name → `{code, name, direction,
 * args, flags, format}`. `flags`/`format` follow DEFINITION's conventions (format only for packets
 * a server sends).
 */
const PACKETS = {};
/** Code → PACKETS entry. */
const PACKETS_BY_CODE = [];
for (const p of native.packetTable()) {
  const flags = p.direction === 'request' ? 1 : p.direction === 'response' ? 2 : 3;
  const known = DEFINITION[p.name];
  const format = flags === 1 ? undefined : (known ? known[2] : EXTENDED_FORMATS[p.name]);
  const entry = Object.freeze({
    code: p.code, name: p.name, direction: p.direction, args: Object.freeze(p.args.slice()),
    flags, format,
  });
  PACKETS[p.name] = entry;
  PACKETS_BY_CODE[p.code] = entry;
}
Object.freeze(PACKETS);

function badType(what) {
  return new TypeError(`packet argument ${what} cannot be encoded (use a string or a Buffer)`);
}

/**
 * Encodes a request packet: header (`\0REQ`, type, body length) and the arguments joined by NUL.
 * Strings are written as UTF-8, Buffers raw, anything else as `String(x)`; null, undefined and
 * String objects throw TypeError. A NUL inside a name, unique id or handle throws a GearmanError
 * with code `GEARMAN_NUL_IN_ARGUMENT` instead of producing a malformed packet.
 * @param {number} type packet type code
 * @param {Array} [args]
 * @returns {Buffer}
 */
function encodePacket(type, args) {
  const code = toTypeCode(type);
  // As the original (`args || []`, then indexes up to `length`): a string is iterated per character,
  // a value without a numeric length (a number, true) encodes an empty body.
  const list = args || [];
  const n = list.length;
  const parts = [];
  for (let i = 0; i < n; i++) {
    const a = list[i];
    if (typeof a === 'string' || Buffer.isBuffer(a)) parts[i] = a;
    else if (a === null || a === undefined) throw badType(String(a));
    else if (a instanceof String) throw badType('of type String object');
    else parts[i] = String(a);
  }
  try {
    if (parts.length > 4) return native.encodePacket(code, parts);
    // Up to four arguments (every packet a client or worker sends in practice): the packet's
    // size is known from the arguments, so the Buffer is allocated here and the core writes the
    // packet into it, which is several times cheaper than returning a Buffer made natively.
    let size = CONSTANTS.HEADER_LEN + (parts.length > 0 ? parts.length - 1 : 0);
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      size += typeof p === 'string' ? Buffer.byteLength(p) : p.length;
    }
    const buf = Buffer.allocUnsafe(size);
    native.encodeInto(buf, code, parts[0], parts[1], parts[2], parts[3]);
    return buf;
  } catch (err) {
    throw errors.fromCore(err);
  }
}

/** The type code as the original wrote it with writeUInt32BE (NaN → 0, out of range throws). */
function toTypeCode(type) {
  const v = +type;
  if (v >= 0 && v <= 0xffffffff) return v >>> 0;
  if (v !== v) return 0; // NaN
  const err = new RangeError(
    `The value of "value" is out of range. It must be >= 0 and <= 4294967295. Received ${type}`);
  err.code = 'ERR_OUT_OF_RANGE';
  throw err;
}

/** The string or Buffer view of one field, decoded as the format letter says. */
function fieldValue(buf, letter, start, end) {
  switch (letter) {
    case 'n': return buf.toString('ascii', start, end);
    case 'b': return buf.subarray(start, end);
    default: return buf.toString('utf8', start, end); // N, L
  }
}

/**
 * Parses one packet by a format of letters: `N` text to the next NUL (UTF-8), `n` the same in
 * ASCII, `L` UTF-8 to the end of the declared body, `b` a Buffer view to the end of the buffer.
 * @returns {Array|Error} `[bytesConsumed, field, ...]`, or an Error for an unknown letter
 */
function parsePacket(buff, format) {
  // The header is read as the original read it (type, then length): a short buffer throws Node's
  // RangeError for the same offset.
  buff.readUInt32BE(4);
  buff.readUInt32BE(8);
  // As the original: `format || ''`, letters by `charAt` up to `length` (a number or `true` has no
  // letters; an Array throws TypeError).
  format = format || '';
  const n = format.length;
  let fmt = '';
  for (let i = 0; i < n; i++) {
    const c = format.charAt(i);
    if (c !== 'N' && c !== 'n' && c !== 'L' && c !== 'b') return new Error('unknow format: ' + format);
    fmt += c;
  }
  const r = native.parseFieldRanges(buff, fmt);
  const out = [r[FieldSlot.Consumed]];
  for (let i = 0, at = FieldSlot.Ranges; i < fmt.length; i++, at += 2) out.push(fieldValue(buff, fmt[i], r[at], r[at + 1]));
  return out;
}

/**
 * Builds the parsed fields of the frame at index `at` of a frame table (laid out as the core's
 * `FrameSlot` says), as parsePacket would for that packet alone with `format`.
 * @returns {Array} `[packetLength, field, ...]`
 */
function framedFields(buf, frames, at, format) {
  const out = [frames[at + FrameSlot.End] - frames[at + FrameSlot.Start]];
  const argc = frames[at + FrameSlot.Argc];
  const args = at + FrameSlot.Args;
  for (let i = 0; i < format.length && i < argc; i++) {
    out.push(fieldValue(buf, format[i], frames[args + 2 * i], frames[args + 2 * i + 1]));
  }
  return out;
}

module.exports = {
  CONSTANTS,
  DEFINITION,
  PACKET_TYPES,
  PACKET_CODES,
  PACKET_RESP_FORMAT,
  parsePacket,
  encodePacket,
};

// Beyond gearmanode 0.9.2; not enumerable, so the module's keys stay the original seven.
const extras = { logger, PACKETS, PACKETS_BY_CODE, framedFields };
for (const k of Object.keys(extras)) {
  Object.defineProperty(module.exports, k, { value: extras[k], enumerable: false });
}
