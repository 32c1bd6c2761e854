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
  /** The server assigned a job for a function this worker has not registered. */
  UNKNOWN_FUNCTION: 'GEARMAN_UNKNOWN_FUNCTION',
  /** The job failed (WORK_FAIL) — used by the promise API. */
  JOB_FAILED: 'GEARMAN_JOB_FAILED',
  /** The job ended with WORK_EXCEPTION — used by the promise API. */
  JOB_EXCEPTION: 'GEARMAN_JOB_EXCEPTION',
  /** The job was closed before it ended — used by the promise API. */
  JOB_CLOSED: 'GEARMAN_JOB_CLOSED',
  /** The server answered with an ERROR packet. */
  SERVER_ERROR: 'GEARMAN_SERVER_ERROR',
  /** A worker-side job ran past its `timeout`. */
  TIMEOUT: 'GEARMAN_TIMEOUT',
});

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

module.exports = { CODES, GearmanError, create, hasNul, nulError };
