'use strict';
/**
 * Typed errors with stable codes. Every Error this library emits or returns for a failure of the
 * network, the server or the job carries a `code`; the codes below are the library's own (socket
 * errors keep Node's codes such as ECONNREFUSED).
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
  /** An argument is longer than the server accepts (a unique id over 64 bytes). */
  ARGUMENT_TOO_LARGE: 'GEARMAN_ARGUMENT_TOO_LARGE',
  /** A buffer given to `jobServer.send` is not a sequence of whole request packets. */
  MALFORMED_PACKET: 'GEARMAN_MALFORMED_PACKET',
});

/** gearmand's limit on a unique id (GEARMAN_MAX_UNIQUE_SIZE): a longer one is refused with ERROR. */
const MAX_UNIQUE_BYTES = 64;

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

module.exports = { CODES, GearmanError, create, hasNul, nulError, tooLong, uniqueTooLong, MAX_UNIQUE_BYTES };
