'use strict';
/**
 * Typed errors with stable codes. Every Error this library emits or returns for a failure of the
 * network, the server or the job carries a `code`; the codes below are the library's own, those of
 * its JavaScript side and those of its Rust core (socket and TLS errors keep Node's codes such as
 * ECONNREFUSED). The core lists what it can produce with `errorCodes()`; test/types.test.js fails
 * when that list, CODES and the declarations in index.d.ts disagree.
 */

const CODES = Object.freeze({
  /** No job server could take the job (every server is marked bad). */
  ALL_SERVERS_FAILED: 'GEARMAN_ALL_SERVERS_FAILED',
  /** The connection carrying a submitted job went away before the job ended. */
  CONNECTION_LOST: 'GEARMAN_CONNECTION_LOST',
  /** The connection closed before queued data could be sent. */
  NOT_CONNECTED: 'GEARMAN_NOT_CONNECTED',
  /** The client or worker was closed. */
  CLOSED: 'GEARMAN_CLOSED',
  /** A worker gave up reconnecting to a job server after `recoverLimit` attempts. */
  RECONNECT_FAILED: 'GEARMAN_RECONNECT_FAILED',
  /** A function name, unique id or handle contains NUL (it would corrupt the packet). */
  NUL_IN_ARGUMENT: 'GEARMAN_NUL_IN_ARGUMENT',
  /** A worker function threw or rejected. */
  WORKER_FUNCTION_FAILED: 'GEARMAN_WORKER_FUNCTION_FAILED',
  /** The job failed (WORK_FAIL) — used by the promise API. */
  JOB_FAILED: 'GEARMAN_JOB_FAILED',
  /** The job ended with WORK_EXCEPTION — used by the promise API. */
  JOB_EXCEPTION: 'GEARMAN_JOB_EXCEPTION',
  /** The job was closed before it ended — used by the promise API. */
  JOB_CLOSED: 'GEARMAN_JOB_CLOSED',
  /** The server answered with an ERROR packet. */
  SERVER_ERROR: 'GEARMAN_SERVER_ERROR',
  /**
   * The server sent what this client or worker cannot place: an answer about an unknown job, a
   * JOB_CREATED nobody waits for, bytes out of sync, a packet over `maxPacketSize`.
   */
  PROTOCOL_ERROR: 'GEARMAN_PROTOCOL_ERROR',
  /** A job was assigned for a function this worker has not registered. */
  UNKNOWN_FUNCTION: 'GEARMAN_UNKNOWN_FUNCTION',
  /** An argument is longer than the server accepts (a unique id over 63 bytes). */
  ARGUMENT_TOO_LARGE: 'GEARMAN_ARGUMENT_TOO_LARGE',
  /** A buffer given to `jobServer.send` is not a sequence of whole request packets. */
  MALFORMED_PACKET: 'GEARMAN_MALFORMED_PACKET',
  /** The job did not end within its `timeout` (or by the end of `client.shutdown`). */
  TIMEOUT: 'GEARMAN_TIMEOUT',
  /** The job's AbortSignal was aborted (Node's code for an abort; the error's name is 'AbortError'). */
  ABORTED: 'ABORT_ERR',

  // The Rust core's codes: the core's `errorCodes()` (lib/internal/native.js) describes each.
  BUFFER_TOO_SMALL: 'GEARMAN_BUFFER_TOO_SMALL',
  BAD_MAGIC: 'GEARMAN_BAD_MAGIC',
  PACKET_TOO_LARGE: 'GEARMAN_PACKET_TOO_LARGE',
  UNKNOWN_TYPE: 'GEARMAN_UNKNOWN_TYPE',
  SHORT_BUFFER: 'GEARMAN_SHORT_BUFFER',
  UNKNOWN_FORMAT: 'GEARMAN_UNKNOWN_FORMAT',
  ADMIN_BAD_ARGUMENT: 'GEARMAN_ADMIN_BAD_ARGUMENT',
  ADMIN_LINE_TOO_LONG: 'GEARMAN_ADMIN_LINE_TOO_LONG',
  ADMIN_REPLY_TOO_LARGE: 'GEARMAN_ADMIN_REPLY_TOO_LARGE',
  ADMIN_UNEXPECTED_REPLY: 'GEARMAN_ADMIN_UNEXPECTED_REPLY',
  ADMIN_BAD_REPLY: 'GEARMAN_ADMIN_BAD_REPLY',
  ADMIN_SERVER_ERROR: 'GEARMAN_ADMIN_SERVER_ERROR',
  INTERNAL: 'GEARMAN_INTERNAL',
  INVALID_ARGUMENT: 'GEARMAN_INVALID_ARGUMENT',
  LOGS_NOT_ROUTED: 'GEARMAN_LOGS_NOT_ROUTED',
  TEST_HOOKS_OFF: 'GEARMAN_TEST_HOOKS_OFF',
});

/**
 * The longest unique id gearmand handles: GEARMAN_MAX_UNIQUE_SIZE (64) counts a terminating NUL.
 * 65 bytes or more are refused with ERROR; exactly 64 are accepted, cut to 63 and handed to a
 * worker with a stray NUL before the payload (docs/PROTOCOL.md#limits).
 */
const MAX_UNIQUE_BYTES = 63;

/** An Error with a stable `code` (and optional extra fields). */
class GearmanError extends Error {
  /**
   * @param {string} code one of CODES
   * @param {string} message
   * @param {object} [fields] extra properties (e.g. `jobServerUid`, `cause`)
   */
  constructor(code, message, fields) {
    super(message);
    this.name = 'GearmanError';
    this.code = code;
    if (fields) Object.assign(this, fields);
  }
}

/** @returns {GearmanError} */
function create(code, message, fields) {
  return new GearmanError(code, message, fields);
}

/**
 * The GearmanError for an error the Rust core threw or reported (its `code` set by the core), or
 * `err` itself when it is not one of the core's GEARMAN_ errors (a TypeError of napi's argument
 * conversion, a socket error with Node's code).
 */
function fromCore(err) {
  if (err instanceof GearmanError || !(err instanceof Error)) return err;
  if (typeof err.code !== 'string' || !err.code.startsWith('GEARMAN_')) return err;
  return new GearmanError(err.code, err.message);
}

/** Whether a name, unique id or handle would break the packet (it contains NUL). */
function hasNul(value) {
  return typeof value === 'string' ? value.indexOf('\0') !== -1
    : Buffer.isBuffer(value) ? value.indexOf(0) !== -1 : false;
}

/** The Error returned for a name, unique id or id that contains NUL. */
function nulError(what, value) {
  return create(CODES.NUL_IN_ARGUMENT, `${what} contains NUL: ${JSON.stringify(String(value))}`);
}

/**
 * The Error returned for an argument longer than gearmand accepts (`what` names it, `max` is the
 * limit in bytes), or null.
 */
function tooLong(what, value, max) {
  if (value === undefined || value === null || value === '') return null;
  const n = Buffer.isBuffer(value) ? value.length : Buffer.byteLength(String(value));
  if (n <= max) return null;
  return create(CODES.ARGUMENT_TOO_LARGE, `${what} is ${n} bytes long, the server accepts at most ${max}`);
}

/**
 * The Error returned for a unique id longer than gearmand accepts (it would answer ERROR instead of
 * JOB_CREATED, and the JOB_CREATED of the next job would then be taken for this one), or null.
 */
function uniqueTooLong(unique) {
  return tooLong('unique id', unique, MAX_UNIQUE_BYTES);
}

module.exports = { CODES, GearmanError, create, fromCore, hasNul, nulError, tooLong, uniqueTooLong, MAX_UNIQUE_BYTES };
