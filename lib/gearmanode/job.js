'use strict';
/**
 * Job: a unit of work, on the client side (submitted, its events) and on the worker side (assigned,
 * its reports back to the server).
 */
const util = require('util');
const EventEmitter = require('events').EventEmitter;
const common = require('./common');
const protocol = require('./protocol');
const loggers = require('../logger');
const errors = require('../errors');
const promises = require('../internal/promises');
const clientJobs = require('../internal/client-jobs');
const diagnostics = require('../internal/diagnostics');
const hide = require('../internal/owner').hide;

const T = protocol.PACKET_TYPES;
const P = protocol.PACKETS;
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

// Client-side options: first the keys and defaults, then the value ranges (an unknown key is
// reported before any default is written into the caller's object). `runAt` and `reducer` are
// beyond gearmanode 0.9.2 and checked by schedulingError.
const CLIENT_DEFAULTS = {
  name: 'mandatory',
  payload: 'mandatory',
  unique: 'optional',
  background: false,
  priority: 'NORMAL',
  toStringEncoding: 'optional',
  encoding: 'utf8',
  timeout: 'optional',
  signal: 'optional',
  runAt: 'optional',
  reducer: 'optional',
};
const CLIENT_RANGES = {
  name: 'mandatory',
  payload: 'mandatory',
  unique: 'optional',
  background: [true, false],
  priority: ['LOW', 'NORMAL', 'HIGH'],
  toStringEncoding: 'optional',
  encoding: ['utf8', 'ascii'],
  timeout: 'optional',
  signal: 'optional',
  runAt: 'optional',
  reducer: 'optional',
};

/** gearmand's limit on a reducer name: a longer one is refused with ERROR ARGUMENT_TOO_LARGE. */
const MAX_REDUCER_BYTES = 64;

/**
 * `runAt` as the Unix time in whole seconds that SUBMIT_JOB_EPOCH carries, rounded up so that the
 * job never runs before it; an Error for anything but a valid Date or a finite number whose
 * seconds are exact in a JS number (gearmand reads the field with strtoll and drops a job whose
 * time overflows it without any answer).
 */
function epochSeconds(runAt) {
  let s = NaN;
  if (util.types.isDate(runAt)) s = Math.ceil(runAt.getTime() / 1000);
  else if (typeof runAt === 'number') s = Math.ceil(runAt);
  if (!Number.isFinite(s) || Math.abs(s) > Number.MAX_SAFE_INTEGER) {
    return new Error('invalid runAt: expected a valid Date or a Unix time in seconds (a finite number), got '
      + (util.types.isDate(runAt) ? 'an invalid Date' : util.inspect(runAt)));
  }
  return s === 0 ? 0 : s; // no -0 on the wire
}

/**
 * Checks `runAt` and `reducer` (present when not undefined) against the other options; returns an
 * Error or null. gearmand gives scheduled and reduce jobs normal priority (their packets carry
 * none), runs scheduled jobs in the background only, and has no scheduled reduce job.
 */
function schedulingError(options) {
  const runAt = options.runAt;
  const reducer = options.reducer;
  if (runAt !== undefined && reducer !== undefined) {
    return new Error('runAt and reducer cannot be combined (gearmand has no scheduled reduce job)');
  }
  if (runAt !== undefined) {
    if (options.background !== true) {
      return new Error('runAt needs background: true (gearmand runs scheduled jobs in the background)');
    }
    if (options.priority !== 'NORMAL') {
      return new Error(`runAt needs priority NORMAL (a scheduled job has no priority), got ${options.priority}`);
    }
    const s = epochSeconds(runAt);
    if (s instanceof Error) return s;
  }
  if (reducer !== undefined) {
    if (typeof reducer !== 'string' || reducer === '') {
      return new Error('invalid reducer: expected the name of a function (a non-empty string)');
    }
    if (errors.hasNul(reducer)) return errors.nulError('reducer', reducer);
    const tooLong = errors.tooLong('reducer', reducer, MAX_REDUCER_BYTES);
    if (tooLong) return tooLong;
    if (options.priority !== 'NORMAL') {
      return new Error(`reducer needs priority NORMAL (a reduce job has no priority), got ${options.priority}`);
    }
  }
  return null;
}

const PACKET_TYPE = {
  false: { LOW: T.SUBMIT_JOB_LOW, NORMAL: T.SUBMIT_JOB, HIGH: T.SUBMIT_JOB_HIGH },
  true: { LOW: T.SUBMIT_JOB_LOW_BG, NORMAL: T.SUBMIT_JOB_BG, HIGH: T.SUBMIT_JOB_HIGH_BG },
};

/**
 * Hidden worker-side state of a job: `abandoned` once the worker answered it itself (timeout) or
 * lost its connection (later reports are ignored), the timeout timer, and for a job its worker
 * runs, `onClose(job, state)`: the worker's bookkeeping, called once as the job closes (before its
 * `close` event, so that the job keeps 0.9.2's listeners: none of the library's), with the
 * worker's `owner`, `server` and `running` (the set of jobs it runs there).
 */
const workerState = new WeakMap();

/**
 * @param {Client|Worker} clientOrWorker
 * @param {object} options `name`, `payload`; client: `unique`, `background`, `priority`,
 *   `toStringEncoding`, `encoding`, beyond gearmanode: `runAt` (a Date or Unix seconds: a
 *   scheduled background job), `reducer` (a reduce job); worker: `handle`, `jobServerUid`,
 *   `unique`, `reducer`
 * @returns {Job|Error}
 */
function Job(clientOrWorker, options) {
  options = options || {};
  this.uuid = common.createUUID();
  if (!clientOrWorker || !hasOwn(clientOrWorker, '_type')) {
    return new Error('neither Client nor Worker reference');
  }
  if (options.name === undefined || options.name === null) return new Error('missing mandatory option: name');
  if (options.payload === undefined || options.payload === null) return new Error('missing mandatory option: payload');

  this.clientOrWorker = clientOrWorker;
  this.name = options.name;
  this.payload = options.payload;
  if (hasOwn(options, 'unique')) this.unique = options.unique;

  if (clientOrWorker._type === 'Client') {
    let rslt = common.verifyAndSanitizeOptions(options, CLIENT_DEFAULTS);
    if (rslt instanceof Error) return rslt;
    rslt = common.verifyOptions(options, CLIENT_RANGES);
    if (rslt instanceof Error) return rslt;
    rslt = schedulingError(options);
    if (rslt instanceof Error) return rslt;
    if (options.toStringEncoding) {
      if (!Buffer.isEncoding(options.toStringEncoding)) {
        return new Error('invalid encoding: ' + options.toStringEncoding);
      }
      this.toStringEncoding = options.toStringEncoding;
    }
    this.background = options.background;
    this.priority = options.priority;
    this.encoding = options.encoding;
    this.processing = false;
    // Only when given: a job of gearmanode's options keeps the original's fields.
    if (options.runAt !== undefined) this.runAt = epochSeconds(options.runAt);
    if (options.reducer !== undefined) this.reducer = options.reducer;
  } else if (clientOrWorker._type === 'Worker') {
    this.handle = options.handle;
    this.jobServerUid = options.jobServerUid;
    if (options.reducer !== undefined) this.reducer = options.reducer;
  }
  EventEmitter.call(this);
}
util.inherits(Job, EventEmitter);


Job.logger = loggers.get('Job');
const log = Job.logger;

/** Ends the job: `close` is emitted once per call, then every listener is removed. */
Job.prototype.close = function () {
  if (hasOwn(this, 'processing')) this.processing = false;
  if (hasOwn(this, 'clientOrWorker') && this.clientOrWorker && hasOwn(this.clientOrWorker, 'jobs')) {
    delete this.clientOrWorker.jobs[this.getUid()];
  }
  const ws = workerState.get(this);
  if (ws !== undefined && ws.timer !== null) {
    clearTimeout(ws.timer);
    ws.timer = null;
  }
  this.closed = true;
  clientJobs.ended(this, 'close');
  if (ws !== undefined && ws.onClose !== null) {
    const onClose = ws.onClose;
    ws.onClose = null;
    onClose(this, ws);
  }
  this.emit('close');
  this.removeAllListeners();
};

/**
 * @returns {number|undefined} the SUBMIT_JOB* type for `background` and `priority`; beyond
 *   gearmanode, SUBMIT_REDUCE_JOB(_BACKGROUND) for a job with `reducer` and SUBMIT_JOB_EPOCH for
 *   one with `runAt`
 */
Job.prototype.getPacketType = function () {
  if (hasOwn(this, 'reducer') && this.reducer !== undefined) {
    return this.background ? P.SUBMIT_REDUCE_JOB_BACKGROUND.code : P.SUBMIT_REDUCE_JOB.code;
  }
  if (hasOwn(this, 'runAt') && this.runAt !== undefined) return P.SUBMIT_JOB_EPOCH.code;
  // As in gearmanode 0.9.2: a truthy `background` picks the background types; a priority that is
  // not one of the three (inherited names such as 'toString' included) gives undefined.
  const byPriority = PACKET_TYPE[Boolean(this.background)];
  return hasOwn(byPriority, this.priority) ? byPriority[this.priority] : undefined;
};

Job.prototype.toString = function () {
  return 'Job(uuid=' + this.uuid + ', handle=' + this.handle + ', server=' + this.jobServerUid + ')';
};

/** @returns {string} `jobServerUid#handle` */
Job.prototype.getUid = function () {
  return this.jobServerUid + '#' + this.handle;
};

// ---------------------------------------------------------------------------------------------
// client side

/**
 * The arguments of this job's submit packet (see getPacketType). gearmand 1.1.20 reads four
 * arguments before the data of a reduce job (function, unique, reducer and an aggregator it
 * ignores; docs/PROTOCOL.md#extended): with the three of the protocol document it never answers, and the
 * connection is out of step from then on. The fourth is sent empty, as libgearman does.
 */
function submitArgs(job, name, unique, payload) {
  if (hasOwn(job, 'reducer') && job.reducer !== undefined) return [name, unique, job.reducer, '', payload];
  if (hasOwn(job, 'runAt') && job.runAt !== undefined) return [name, unique, String(job.runAt), payload];
  return [name, unique, payload];
}

/**
 * Asks the server for the status of this background job; the answer comes as a `status` event.
 * @returns {undefined|Error}
 */
Job.prototype.getStatus = function () {
  if (!this.background) return new Error('this is not a background job');
  if (!this.handle) return new Error("no job's handle (no created job?)");
  if (!this.jobServerUid) return new Error('no associated job server (never ever submited job?)');
  const jobServer = this.clientOrWorker._getJobServerByUid(this.jobServerUid);
  if (!jobServer) return new Error('job server not found by UID, uid=' + this.jobServerUid);
  if (errors.hasNul(this.handle)) return errors.nulError('job handle', this.handle);
  jobServer.send(protocol.encodePacket(T.GET_STATUS, [this.handle]));
  return undefined;
};

// ---------------------------------------------------------------------------------------------
// worker side

function stateOf(job) {
  let s = workerState.get(job);
  if (s === undefined) {
    s = { abandoned: false, timer: null, onClose: null, owner: null, server: null, running: null };
    workerState.set(job, s);
  }
  return s;
}

/** Whether reports for this worker-side job must be dropped (answered by the worker already). */
function isAbandoned(job) {
  const s = workerState.get(job);
  if (s !== undefined && s.abandoned) {
    log.log('debug', 'report for an abandoned job ignored, job=%s', job.handle);
    return true;
  }
  return false;
}

/** Worker side, JOB_ASSIGN: the start of the job on the tracing channel (when someone listens). */
function traceStart(job) {
  const ctx = diagnostics.workerJobStart(job);
  if (ctx !== null) stateOf(job).ctx = ctx;
}

/** Worker side: the end of the job on the tracing channel (once). */
function traceEnd(job, outcome) {
  const s = workerState.get(job);
  if (s === undefined || s.ctx === undefined || s.ctx === null) return;
  const ctx = s.ctx;
  s.ctx = null;
  diagnostics.workerJobEnd(ctx, outcome);
}

const OUTCOME = { [T.WORK_COMPLETE]: 'complete', [T.WORK_FAIL]: 'failed', [T.WORK_EXCEPTION]: 'exception' };

/** Whether a worker-side job still waits for its answer (neither closed nor abandoned). */
function isOpen(job) {
  if (job.closed === true) return false;
  const s = workerState.get(job);
  return s === undefined || !s.abandoned;
}

/** The job server this worker-side job came from, or undefined once its worker is closed. */
function serverOf(job) {
  const worker = job.clientOrWorker;
  if (!worker || worker.closed === true) return undefined;
  return worker._getJobServerByUid(job.jobServerUid);
}

/** Data as the wire takes it: Buffers raw (COMPATIBILITY.md#fixed-7), null/undefined as '', others as text. */
function asData(d) {
  if (d === undefined || d === null) return '';
  return Buffer.isBuffer(d) ? d : String(d);
}

/** Sends one report and keeps the job open. */
function report(job, type, args) {
  if (isAbandoned(job)) return undefined;
  const jobServer = serverOf(job);
  if (!jobServer) return undefined;
  jobServer.send(protocol.encodePacket(type, args));
  return undefined;
}

/** Tells the server that the job completed successfully, with its result (a Buffer is sent raw). */
Job.prototype.workComplete = function (data) {
  return this._sendAndClose(T.WORK_COMPLETE, [this.handle, asData(data)]);
};

/** Sends partial data to the client (a Buffer is sent raw). */
Job.prototype.sendWorkData = function (data) {
  return report(this, T.WORK_DATA, [this.handle, data || '']);
};

/**
 * Reports progress: numerator and denominator.
 * @returns {undefined|Error}
 */
Job.prototype.reportStatus = function (numerator, denominator) {
  if (!common.isNumber(numerator) || !common.isNumber(denominator)) {
    return new Error('numerator or denominator not a number');
  }
  return report(this, T.WORK_STATUS, [this.handle, numerator, denominator]);
};

/** Sends a warning to the client. */
Job.prototype.reportWarning = function (data) {
  return report(this, T.WORK_WARNING, [this.handle, data || '[no more details provided by worker]']);
};

/** Fails the job (WORK_FAIL). */
Job.prototype.reportError = function () {
  return this._sendAndClose(T.WORK_FAIL, [this.handle]);
};

/** Fails the job with an exception text (WORK_EXCEPTION; a Buffer is sent raw). */
Job.prototype.reportException = function (data) {
  return this._sendAndClose(T.WORK_EXCEPTION, [this.handle, data || '[no more details provided by worker]']);
};

/** Sends the final packet, then `_preSleep` (the worker is free again), then closes the job. */
Job.prototype._sendAndClose = function (type, body) {
  if (isAbandoned(this)) return undefined;
  const jobServer = serverOf(this);
  if (jobServer) answer(this, jobServer, protocol.encodePacket(type, body));
  traceEnd(this, OUTCOME[type]);
  this.close();
  return undefined;
};

/** The worker-side job whose answer is being sent right now (see `answering`), or null. */
let answeringJob = null;

/**
 * Sends a job's final packet, then calls its worker's `_preSleep`, telling the worker which job was
 * answered: a worker that runs the job asks for the next one when it closes instead of sleeping
 * (COMPATIBILITY.md#grab-cycle). The job makes this one send call; the GRAB is the worker's.
 */
function answer(job, jobServer, packet) {
  jobServer.send(packet);
  answeringJob = job;
  try {
    job.clientOrWorker._preSleep(jobServer);
  } finally {
    answeringJob = null;
  }
}

/** @returns {Job|null} the job whose answer calls `_preSleep` right now */
function answering() {
  return answeringJob;
}

/** A Promise of this client-side job's outcome (beyond gearmanode 0.9.2; see promises.js). */
hide(Job.prototype, 'promise', function () {
  return promises.jobPromise(this);
});

module.exports = { Job };
Object.defineProperty(module.exports, 'internals', {
  value: { stateOf, isOpen, submitArgs, traceStart, traceEnd, answer, answering },
  enumerable: false,
});
