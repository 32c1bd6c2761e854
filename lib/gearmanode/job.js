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
const hide = require('../internal/owner').hide;

const T = protocol.PACKET_TYPES;
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

// Client-side options: first the keys and defaults, then the value ranges (an unknown key is
// reported before any default is written into the caller's object).
const CLIENT_DEFAULTS = {
  name: 'mandatory',
  payload: 'mandatory',
  unique: 'optional',
  background: false,
  priority: 'NORMAL',
  toStringEncoding: 'optional',
  encoding: 'utf8',
};
const CLIENT_RANGES = {
  name: 'mandatory',
  payload: 'mandatory',
  unique: 'optional',
  background: [true, false],
  priority: ['LOW', 'NORMAL', 'HIGH'],
  toStringEncoding: 'optional',
  encoding: ['utf8', 'ascii'],
};

const PACKET_TYPE = {
  false: { LOW: T.SUBMIT_JOB_LOW, NORMAL: T.SUBMIT_JOB, HIGH: T.SUBMIT_JOB_HIGH },
  true: { LOW: T.SUBMIT_JOB_LOW_BG, NORMAL: T.SUBMIT_JOB_BG, HIGH: T.SUBMIT_JOB_HIGH_BG },
};

/**
 * Hidden worker-side state of a job: `abandoned` once the worker answered it itself (timeout) or
 * lost its connection (later reports are ignored), the timeout timer, and for a job its worker
 * runs, `onClose(job, state)`: the worker's bookkeeping, called once as the job closes (before its
 * `close` event, so that the job keeps 0.9.2's listeners: none of the library's), with the
 * worker's `owner` and `server`, and `slot`, `prev`, `next`: the job's place in the list of jobs
 * the worker runs on that server (lib/internal/running-jobs.js).
 */
const workerState = new WeakMap();

/**
 * @param {Client|Worker} clientOrWorker
 * @param {object} options `name`, `payload`; client: `unique`, `background`, `priority`,
 *   `toStringEncoding`, `encoding`; worker: `handle`, `jobServerUid`, `unique`
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
  } else if (clientOrWorker._type === 'Worker') {
    this.handle = options.handle;
    this.jobServerUid = options.jobServerUid;
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
  if (ws !== undefined && ws.onClose !== null) {
    const onClose = ws.onClose;
    ws.onClose = null;
    onClose(this, ws);
  }
  this.emit('close');
  this.removeAllListeners();
};

/** @returns {number|undefined} the SUBMIT_JOB* type for `background` and `priority` */
Job.prototype.getPacketType = function () {
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
    s = {
      job, abandoned: false, timer: null, onClose: null, owner: null, server: null, slot: null, prev: null, next: null,
    };
    workerState.set(job, s);
  }
  return s;
}

/** The hidden worker-side state of a job, if it has one. */
function existingState(job) {
  return workerState.get(job);
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

/** Data as the wire takes it: Buffers raw (§11.1 #7), null/undefined as '', others as text. */
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
  value: { stateOf, existingState, isOpen, answer, answering },
  enumerable: false,
});
