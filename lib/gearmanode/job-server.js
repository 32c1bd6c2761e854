'use strict';
/**
 * JobServer: one Gearman job server of a client or worker. Connects lazily on the first send,
 * queues sends while connecting, reassembles packets split across chunks and dispatches them to
 * its owner. Its socket is a `net.Socket` whose I/O is a connection of the Rust core.
 */
const util = require('util');
const EventEmitter = require('events').EventEmitter;
const common = require('./common');
const protocol = require('./protocol');
const loggers = require('../logger');
const native = require('../internal/native');
const nativeSocket = require('../internal/native-socket');
const errors = require('../errors');

const CONSTANTS = { DEFAULT_RECOVER_TIME: 30000 };

/** Internal event emitted once per successful connect; "connect pending" means it has listeners. */
const CI = 'ConnectInternal140319214558';

const HEADER_LEN = protocol.CONSTANTS.HEADER_LEN;
const T = protocol.PACKET_TYPES;
const P = protocol.PACKETS;
const DEFAULT_MAX_PACKET_SIZE = 256 * 1024 * 1024;

// The response formats used to dispatch: the original ones, except that function names and unique
// ids are UTF-8 (§11.1 #9: ASCII turned 'ž' into 'E>' and such functions were never dispatched).
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
 * Hidden per-server state (kept off the object so its own keys stay the original's fields).
 * - connecting: the socket being connected, or null
 * - waiters: connect callbacks not yet called
 * - sends: queued sends `{data, cb, done}` waiting for the connection
 * - pending: the packet being reassembled `{buf, have, view}` (see _processData)
 * - lost: the coming disconnect is a loss (FIN, socket error), not a call by user code
 * - deferred (from deferredHead on): submits held back by the submit window (see sendSubmit)
 */
const hidden = new WeakMap();
function state(js) {
  let s = hidden.get(js);
  if (s === undefined) {
    s = { connecting: null, waiters: [], sends: [], pending: null, lost: false, deferred: [], deferredHead: 0 };
    hidden.set(js, s);
  }
  return s;
}

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

// Queued sends each wait on CI; thousands may queue before a connect, which is not a leak.
Object.defineProperty(JobServer.prototype, '_maxListeners', { value: 0, writable: true });

JobServer.logger = loggers.get('JobServer');
const log = JobServer.logger;

function isClient(owner) {
  return owner !== undefined && owner !== null && owner._type === 'Client';
}

/** Marks this server bad in the client's balancer (workers have none). */
function markBad(js) {
  const owner = js.clientOrWorker;
  if (isClient(owner) && owner.loadBalancer) {
    owner.loadBalancer.badOne(owner._getJobServerIndexByUid(js.getUid()));
  }
}

/** Connection settings the owner may carry beyond gearmanode's options (see client/worker). */
function socketOptions(owner) {
  const o = owner && owner._socketOptions;
  return o ? o : undefined;
}

/**
 * Opens the connection (a new socket) unless connected or already connecting.
 * @param {function} callback `cb()` once connected, `cb(err)` if it fails
 * @returns {net.Socket|Error}
 */
JobServer.prototype.connect = function (callback) {
  if (typeof callback !== 'function') return new Error('invalid callback (not a function)');
  if (this.connected) {
    callback();
    return this.socket;
  }
  const st = state(this);
  if (st.connecting !== null && st.connecting === this.socket) {
    // §11.1 #11: one connection attempt at a time; later callers wait for the same one.
    st.waiters.push(callback);
    return this.socket;
  }
  const jobServer = this;
  const uid = this.getUid();
  const socket = nativeSocket.createConnection(this.port, this.host, socketOptions(this.clientOrWorker));
  this.socket = socket;
  st.connecting = socket;
  st.waiters = [callback];

  const settle = function (err) {
    if (st.connecting !== socket) return;
    st.connecting = null;
    const waiters = st.waiters;
    st.waiters = [];
    for (const cb of waiters) {
      if (err) cb(err);
      else cb();
    }
  };

  for (const name of ['lookup', 'timeout', 'drain']) {
    socket.on(name, function () { log.log('warn', 'unhandled event, name=%s', name); });
  }
  socket.on('connect', function () {
    socket.setKeepAlive(true);
    jobServer.connected = true;
    jobServer.wrongDisconnectAt = 0;
    jobServer.failedConnectionCount = 0;
    jobServer.emit(CI);
    // Queued sends listen with `on` and guard themselves, so the whole queue is dropped at once
    // here (thousands of `once` listeners each removing itself would cost O(n²)).
    jobServer.removeAllListeners(CI);
    const owner = jobServer.clientOrWorker;
    if (owner) {
      owner.emit('socketConnect', uid);
      if (typeof owner._jobServerConnected === 'function') owner._jobServerConnected(jobServer);
    }
    settle();
  });
  socket.on('error', function (err) {
    st.lost = true;
    socket.destroy();
    markBad(jobServer);
    const owner = jobServer.clientOrWorker;
    if (owner) owner.emit('socketError', uid, err);
    jobServer.disconnect(err);
    settle(err);
  });
  socket.on('data', function (chunk) {
    jobServer._processData(chunk);
  });
  socket.on('end', function (arg) {
    st.lost = true;
    markBad(jobServer);
    jobServer.disconnect(arg);
  });
  socket.on('close', function (hadError) {
    if (hadError) {
      st.lost = true;
      markBad(jobServer);
      jobServer.disconnect(true);
    }
  });
  return socket;
};

/**
 * Closes the connection (if any), closes the jobs waiting for JOB_CREATED and tells the owner.
 * @param {*} [err] the reason; anything but undefined counts as a wrong disconnect
 */
JobServer.prototype.disconnect = function (err) {
  this.connected = false;
  this.removeAllListeners();
  if (err !== undefined) {
    this.wrongDisconnectAt = new Date();
    this.failedConnectionCount++;
  }
  const st = state(this);
  const lost = st.lost;
  st.lost = false;
  const owner = this.clientOrWorker;
  const waiting = this.jobsWaiting4Created;
  for (let i = 0; i < waiting.length; i++) {
    const job = waiting[i];
    // A job sent on a connection that was lost before JOB_CREATED ends with `error` (when it
    // listens), then `close`: it never hangs (DESIGN.md hard rules).
    if (lost && owner && owner.closed !== true && job.listenerCount('error') > 0) {
      job.emit('error', errors.create(errors.CODES.CONNECTION_LOST,
        `connection to ${this.getUid()} lost before the job was created`, { jobServerUid: this.getUid(), cause: err }));
    }
    job.close();
  }
  waiting.length = 0;
  // §11.1 #6: no stale bytes survive into the next connection.
  delete this.segmentedPacket;
  delete this.headerfrag;
  st.pending = null;
  st.connecting = null;
  const socket = this.socket;
  if (socket) {
    socket.removeAllListeners();
    socket.unref();
    socket.end();
    socket.destroy();
    delete this.socket;
  }
  const uid = this.getUid();
  if (owner) owner.emit('socketDisconnect', uid, err);
  // Whatever was queued for this connection will not go out on it: the callers decide (§11.1 #2).
  failQueued(this, st, err);
  if (owner && typeof owner._jobServerDisconnected === 'function') owner._jobServerDisconnected(this, err, lost);
};

/** Calls back, in order, the connect callbacks and then the sends still waiting, with an error. */
function failQueued(js, st, cause) {
  const sends = st.sends;
  const waiters = st.waiters;
  const deferred = st.deferred.slice(st.deferredHead);
  if (sends.length === 0 && waiters.length === 0 && deferred.length === 0) return;
  st.sends = [];
  st.waiters = [];
  st.deferred = [];
  st.deferredHead = 0;
  let err = cause;
  if (!(err instanceof Error)) {
    err = new Error(`connection to ${js.getUid()} closed before the data was sent`);
    err.code = 'GEARMAN_NOT_CONNECTED';
  }
  for (const cb of waiters) cb(err);
  for (const s of sends) {
    s.done = true;
    if (typeof s.cb === 'function') s.cb(err);
  }
  for (const d of deferred) {
    if (typeof d.cb === 'function') d.cb(err);
  }
}

/**
 * Submits waiting for JOB_CREATED on one connection, at most: later submits wait in a hidden queue
 * until answers come back. gearmand answers in order anyway, so this costs no throughput; it keeps
 * jobsWaiting4Created short (V8 copies a long array on every shift(), which made 50,000 pipelined
 * submits quadratic) and bounds what is queued before a lazy connect. A held-back job is sent
 * (and `submited`) when it leaves the queue; its callback gets the error if the connection goes.
 */
const SUBMIT_WINDOW = 4096;

/** `js.send(packet, cb)` for a SUBMIT_JOB* packet, within the submit window. */
function sendSubmit(js, data, cb) {
  const st = state(js);
  if (st.deferredHead < st.deferred.length || js.jobsWaiting4Created.length + st.sends.length >= SUBMIT_WINDOW) {
    st.deferred.push({ data, cb });
    return undefined;
  }
  return js.send(data, cb);
}

/** Sends held-back submits while the window has room. */
function releaseDeferred(js) {
  const st = state(js);
  while (st.deferredHead < st.deferred.length && js.connected &&
    js.jobsWaiting4Created.length + st.sends.length < SUBMIT_WINDOW) {
    const d = st.deferred[st.deferredHead];
    st.deferred[st.deferredHead++] = undefined;
    js.send(d.data, d.cb);
  }
  if (st.deferredHead >= st.deferred.length) {
    st.deferred = [];
    st.deferredHead = 0;
  } else if (st.deferredHead > 1024) {
    st.deferred = st.deferred.slice(st.deferredHead);
    st.deferredHead = 0;
  }
}

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
  const jobServer = this;
  const st = state(this);
  const queued = { data, cb, done: false };
  if (this.listenerCount(CI) === 0) {
    this.connect(function (err) {
      if (err) {
        jobServer.removeAllListeners(CI);
        failQueued(jobServer, st, err);
      }
    });
  }
  st.sends.push(queued);
  this.on(CI, function sendCb() {
    if (queued.done) return;
    queued.done = true;
    const i = st.sends.indexOf(queued);
    if (i === 0) st.sends.shift();
    else if (i > 0) st.sends.splice(i, 1);
    jobServer.socket.write(data);
    if (typeof cb === 'function') cb();
  });
  return undefined;
};

/** Whether `data` is one or more whole `\0REQ` packets, back to back (scanned by the core). */
function wholeRequests(data) {
  const r = native.scanPackets(data, DEFAULT_MAX_PACKET_SIZE, true);
  return r[3] === 0 && r[0] === data.length;
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

function maxPacketSize(js) {
  const o = socketOptions(js.clientOrWorker);
  return o && o.maxPacketSize ? o.maxPacketSize : DEFAULT_MAX_PACKET_SIZE;
}

/**
 * Handles bytes received from the server: reassembles packets split across chunks (the bytes of
 * an unfinished packet are visible as `headerfrag` while its header is incomplete, then as
 * `segmentedPacket`) and dispatches every complete packet in order.
 * @param {Buffer} chunk
 */
JobServer.prototype._processData = function (chunk) {
  if (!this.connected) {
    log.log('warn', 'data received while not connected, dropped (%d bytes), server=%s', chunk.length, this.getUid());
    return;
  }
  const st = state(this);
  let data = chunk;
  const seg = this.segmentedPacket;
  const frag = this.headerfrag;
  if (seg === undefined && frag === undefined) {
    st.pending = null;
    const frames = nativeSocket.framesOf(chunk);
    if (frames !== null) {
      dispatchFrames(this, chunk, frames, 0, frames.length);
      return;
    }
  } else {
    // Read the pending bytes from the fields: user code may have replaced them.
    let p = st.pending;
    const view = seg !== undefined ? seg : frag;
    if (p === null || p.view !== view) p = null;
    delete this.segmentedPacket;
    delete this.headerfrag;
    st.pending = null;
    if (seg !== undefined && p !== null) {
      // Fill the buffer allocated for this packet: every byte is copied once (§11.1 #4).
      const take = Math.min(p.buf.length - p.have, chunk.length);
      chunk.copy(p.buf, p.have, 0, take);
      p.have += take;
      if (p.have < p.buf.length) {
        keepPending(this, st, p.buf, p.have);
        return;
      }
      dispatchChunk(this, p.buf);
      if (!this.connected || take === chunk.length) return;
      data = chunk.subarray(take);
    } else {
      data = Buffer.concat([view, chunk]);
    }
  }
  dispatchChunk(this, data);
};

/** Scans `data` (which starts at a packet boundary), dispatches its packets, keeps the rest. */
function dispatchChunk(js, data) {
  const r = native.scanPackets(data, maxPacketSize(js));
  const consumed = r[0];
  if (r[1] > 0) dispatchFrames(js, data, r, 4, r.length);
  if (!js.connected) return;
  if (r[3] !== 0) {
    const owner = js.clientOrWorker;
    if (r[3] === 1) owner._unrecoverableError('out of sync with server');
    else owner._unrecoverableError(`packet too large (limit ${maxPacketSize(js)} bytes), server=${js.getUid()}`);
    return;
  }
  const rest = data.length - consumed;
  if (rest === 0) return;
  if (rest < HEADER_LEN) {
    js.headerfrag = Buffer.from(data.subarray(consumed));
    return;
  }
  const buf = Buffer.allocUnsafe(r[2]);
  data.copy(buf, 0, consumed);
  keepPending(js, state(js), buf, rest);
}

function keepPending(js, st, buf, have) {
  const view = buf.subarray(0, have);
  st.pending = { buf, have, view };
  js.segmentedPacket = view;
}

/** Dispatches the packets of a frame table from index `at` (see native-socket.js for the layout). */
function dispatchFrames(js, buf, frames, at, end) {
  while (at < end) {
    if (!js.connected) return;
    const code = frames[at];
    const format = DISPATCH_FORMAT[code];
    if (format === undefined) {
      const known = protocol.PACKETS_BY_CODE[code];
      const name = known ? known.name : 'unknown';
      log.log('warn', 'unexpected packet from server, type=%d (%s), server=%s', code, name, js.getUid());
    } else {
      dispatch(js, code, protocol.framedFields(buf, frames, at, format));
    }
    at += 4 + 2 * frames[at + 3];
  }
}

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
      if (state(js).deferred.length !== 0) releaseDeferred(js);
      return;
    }
    case T.WORK_FAIL: {
      // §11.1 #17: gearmand's WORK_FAIL for an exception without the option carries a NUL.
      const z = parsed[1].indexOf('\0');
      if (z >= 0) parsed[1] = parsed[1].slice(0, z);
      owner._response(js, type, parsed);
      return;
    }
    default:
      if (OWNER_RESPONSES.has(type)) owner._response(js, type, parsed);
  }
}

/** @returns {string} `host:port` */
JobServer.prototype.getUid = function () {
  // Every job keeps its server's uid: one flat string per server instead of a fresh concatenation
  // per call (recomputed if user code changes host or port).
  const st = state(this);
  if (st.uidHost !== this.host || st.uidPort !== this.port || st.uid === undefined) {
    st.uidHost = this.host;
    st.uidPort = this.port;
    st.uid = `${this.host}:${this.port}`;
    st.uid.charCodeAt(0); // flattens the string once
  }
  return st.uid;
};

JobServer.prototype.toString = function () {
  return 'JobServer(' + this.getUid() + ')';
};

module.exports = { CONSTANTS, JobServer };
Object.defineProperty(module.exports, 'CI', { value: CI, enumerable: false });
Object.defineProperty(module.exports, 'sendSubmit', { value: sendSubmit, enumerable: false });
Object.defineProperty(module.exports, 'SUBMIT_WINDOW', { value: SUBMIT_WINDOW, enumerable: false });
