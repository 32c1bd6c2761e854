'use strict';
/**
 * JobServer: one Gearman job server of a client or worker (COMPATIBILITY.md#jobserver). It keeps
 * 0.9.2's fields, methods and events; the work is done by the internals it delegates to:
 * - lib/internal/lifecycle.js: the connection's one state machine (connect, the connect queue,
 *   disconnect and every lifecycle event);
 * - lib/internal/reassembly.js: chunks → whole packets (`segmentedPacket`, `headerfrag`);
 * - lib/internal/submit-window.js: how many submits may wait for JOB_CREATED;
 * - this file: the checks of `send`, and the dispatch of each packet to the owner.
 * Its socket is a `net.Socket` whose I/O is a connection of the Rust core (native-socket.js).
 */
const util = require('util');
const EventEmitter = require('events').EventEmitter;
const common = require('./common');
const protocol = require('./protocol');
const loggers = require('../logger');
const errors = require('../errors');
const native = require('../internal/native');
const lifecycle = require('../internal/lifecycle');
const reassembly = require('../internal/reassembly');
const submitWindow = require('../internal/submit-window');

const CONSTANTS = { DEFAULT_RECOVER_TIME: common.DEFAULT_RECOVER_TIME };

const HEADER_LEN = protocol.CONSTANTS.HEADER_LEN;
const T = protocol.PACKET_TYPES;
const P = protocol.PACKETS;
const { ScanSlot, ScanError, FrameSlot } = native;

// The response formats used to dispatch: 0.9.2's, except that function names and unique ids are
// UTF-8 (COMPATIBILITY.md#fixed-9: ASCII turned 'ž' into 'E>' and such functions were never dispatched).
const DISPATCH_FORMAT = [];
for (const name of Object.keys(P)) {
  if (P[name].format !== undefined) DISPATCH_FORMAT[P[name].code] = P[name].format;
}
DISPATCH_FORMAT[T.JOB_ASSIGN] = 'nNb';
DISPATCH_FORMAT[T.JOB_ASSIGN_UNIQ] = 'nNNb';
DISPATCH_FORMAT[P.JOB_ASSIGN_ALL.code] = 'nNNNb';
DISPATCH_FORMAT[P.STATUS_RES_UNIQUE.code] = 'NnnnnL';

const OWNER_RESPONSES = new Set([
  T.JOB_CREATED, T.WORK_COMPLETE, T.WORK_DATA, T.WORK_WARNING, T.WORK_STATUS, T.WORK_FAIL,
  T.WORK_EXCEPTION, T.STATUS_RES, T.NOOP, T.NO_JOB, T.JOB_ASSIGN, T.JOB_ASSIGN_UNIQ,
  P.JOB_ASSIGN_ALL.code, P.STATUS_RES_UNIQUE.code,
]);

/**
 * @param {object} options `host` and `port` (both mandatory)
 * @returns {JobServer|Error}
 */
function JobServer(options) {
  const opts = options || {};
  const rslt = common.verifyOptions(opts, { host: 'mandatory', port: 'mandatory' });
  if (rslt instanceof Error) return rslt;
  this.host = opts.host;
  this.port = opts.port;
  this.connected = false;
  this.jobsWaiting4Created = [];
  this.wrongDisconnectAt = 0;
  this.failedConnectionCount = 0;
}
util.inherits(JobServer, EventEmitter);

JobServer.logger = loggers.get('JobServer');
const log = JobServer.logger;

/**
 * Opens the connection (a new socket) unless connected or already connecting.
 * @param {function} callback `cb()` once connected, `cb(err)` if it fails
 * @returns {net.Socket|Error}
 */
JobServer.prototype.connect = function (callback) {
  if (typeof callback !== 'function') return new Error('invalid callback (not a function)');
  return lifecycle.connect(this, callback);
};

/**
 * Closes the connection (if any), closes the jobs waiting for JOB_CREATED and tells the owner.
 * @param {*} [err] the reason; anything but undefined counts as a wrong disconnect
 */
JobServer.prototype.disconnect = function (err) {
  lifecycle.disconnect(this, err);
};

/**
 * Sends one request packet, connecting first if needed (one connect for any number of sends).
 * @param {Buffer} data a whole packet
 * @param {function} [cb] `cb()` once written, `cb(err)` when the connection failed
 * @returns {undefined|Error}
 */
JobServer.prototype.send = function (data, cb) {
  if (!Buffer.isBuffer(data)) return new Error('data has to be object of Buffer');
  if (data.length < HEADER_LEN) return new Error('short data');
  if (data.readUInt32BE(0) !== protocol.CONSTANTS.HEADER_REQ) return new Error('no gearman packet');
  // Never a malformed packet on the wire: the buffer must hold whole request packets (the common
  // case, one packet, costs one header read).
  if (data.readUInt32BE(8) + HEADER_LEN !== data.length && !wholeRequests(data)) {
    return errors.create(errors.CODES.MALFORMED_PACKET,
      'data is not a sequence of whole request packets (a header length does not match the bytes)');
  }
  if (this.connected) {
    this.socket.write(data);
    if (typeof cb === 'function') cb();
    return undefined;
  }
  lifecycle.enqueue(this, data, cb);
  return undefined;
};

/** Whether `data` is one or more whole `\0REQ` packets, back to back (scanned by the core). */
function wholeRequests(data) {
  const r = native.scanPackets(data, native.DEFAULT_MAX_PACKET_SIZE, true);
  return r[ScanSlot.Error] === ScanError.None && r[ScanSlot.Consumed] === data.length;
}

function sendText(js, type, text) {
  return js.send(protocol.encodePacket(type, [text]));
}

/** Sends ECHO_REQ; the answer comes as the `echo` event. */
JobServer.prototype.echo = function (data) {
  if (!common.isString(data)) return new Error('data to be echoed is not a text');
  sendText(this, T.ECHO_REQ, data);
  return undefined;
};

/** Sends OPTION_REQ (gearmand knows `exceptions`); the answer comes as the `option` event. */
JobServer.prototype.setOption = function (name) {
  if (!common.isString(name)) return new Error('option is not a text');
  if (errors.hasNul(name)) return errors.nulError('option name', name);
  sendText(this, T.OPTION_REQ, name);
  return undefined;
};

/**
 * Handles bytes received from the server: reassembles packets split across chunks and dispatches
 * every complete packet in order (see lib/internal/reassembly.js).
 * @param {Buffer} chunk
 */
JobServer.prototype._processData = function (chunk) {
  if (!this.connected) {
    log.log('warn', 'data received while not connected, dropped (%d bytes), server=%s', chunk.length, this.getUid());
    return;
  }
  reassembly.push(this, chunk, dispatchFrames);
};

/** Dispatches the packets of a frame table from index `at` (layout: the core's FrameSlot). */
function dispatchFrames(js, buf, frames, at, end) {
  while (at < end) {
    if (!js.connected) return;
    const code = frames[at + FrameSlot.Code];
    const format = DISPATCH_FORMAT[code];
    if (format === undefined) {
      const known = protocol.PACKETS_BY_CODE[code];
      const name = known ? known.name : 'unknown';
      log.log('warn', 'unexpected packet from server, type=%d (%s), server=%s', code, name, js.getUid());
    } else {
      dispatch(js, code, protocol.framedFields(buf, frames, at, format));
    }
    at += FrameSlot.Args + 2 * frames[at + FrameSlot.Argc];
  }
}

/** One packet to its recipient, as 0.9.2's `_processData` step 7 (COMPATIBILITY.md#jobserver). */
function dispatch(js, type, parsed) {
  const owner = js.clientOrWorker;
  if (!owner) return;
  switch (type) {
    case T.ERROR:
      owner.emit('jobServerError', js.getUid(), parsed[1], parsed[2]);
      js.emit('jobServerError', parsed[1], parsed[2]);
      return;
    case T.ECHO_RES:
      js.emit('echo', parsed[1]);
      return;
    case T.OPTION_RES:
      js.emit('option', parsed[1]);
      return;
    case T.JOB_CREATED: {
      if (js.jobsWaiting4Created.length === 0) {
        owner._unrecoverableError('empty stack of job waiting 4 packet JOB_CREATED');
        return;
      }
      const job = js.jobsWaiting4Created.shift();
      job.handle = parsed[1];
      owner.jobs[job.getUid()] = job;
      owner._response(js, type, parsed);
      submitWindow.release(js);
      return;
    }
    case T.WORK_FAIL: {
      // COMPATIBILITY.md#fixed-17: gearmand's WORK_FAIL for an exception without the option carries a NUL.
      const z = parsed[1].indexOf('\0');
      if (z >= 0) parsed[1] = parsed[1].slice(0, z);
      owner._response(js, type, parsed);
      return;
    }
    default:
      if (OWNER_RESPONSES.has(type)) owner._response(js, type, parsed);
  }
}

/**
 * Per-server uid cache: every job keeps its server's uid, so it is one string per server rather
 * than a fresh concatenation per call (recomputed if user code changes host or port).
 */
const uids = new WeakMap();

/** @returns {string} `host:port` */
JobServer.prototype.getUid = function () {
  const c = uids.get(this);
  if (c !== undefined && c.host === this.host && c.port === this.port) return c.uid;
  const uid = `${this.host}:${this.port}`;
  uids.set(this, { host: this.host, port: this.port, uid });
  return uid;
};

JobServer.prototype.toString = function () {
  return 'JobServer(' + this.getUid() + ')';
};

module.exports = { CONSTANTS, JobServer };
// Beyond 0.9.2 (not enumerable, so the module's keys stay 0.9.2's): the internal connect event's
// name, and the submit path of a client with its window.
const extras = { CI: lifecycle.CI, sendSubmit: submitWindow.submit, SUBMIT_WINDOW: submitWindow.SUBMIT_WINDOW };
for (const k of Object.keys(extras)) {
  Object.defineProperty(module.exports, k, { value: extras[k], enumerable: false });
}
