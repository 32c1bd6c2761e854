'use strict';
/**
 * Client: submits jobs to one or more job servers (load balanced, with failover) and turns the
 * server's answers into job events.
 */
const util = require('util');
const EventEmitter = require('events').EventEmitter;
const common = require('./common');
const protocol = require('./protocol');
const loggers = require('../logger');
const errors = require('../errors');
const lb = require('./load-balancing');
const ServerManager = require('./server-manager').ServerManager;
const jobServerModule = require('./job-server');
const jobModule = require('./job');
const owners = require('../internal/owner');
const promises = require('../internal/promises');
const uniqueStatus = require('../internal/unique-status');
const clientJobs = require('../internal/client-jobs');

const Job = jobModule.Job;
const T = protocol.PACKET_TYPES;
const STATUS_RES_UNIQUE = protocol.PACKETS.STATUS_RES_UNIQUE.code;
/** The packets after which the server says nothing more about a job. */
const TERMINAL = new Set([T.WORK_COMPLETE, T.WORK_FAIL, T.WORK_EXCEPTION]);
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * @param {object} [options] `host`, `port`, `servers`, `loadBalancing` ('Sequence'|'RoundRobin'),
 *   `recoverTime` (ms); beyond gearmanode: `loadBalancing: 'Hash'` (a job's unique id picks its
 *   server, see load-balancing.js), `connectTimeout` (ms), `maxPacketSize` (bytes), `tls`
 *   (`true` or `{ca, cert, key, servername, rejectUnauthorized}`, for every server)
 * @returns {Client|Error}
 */
function Client(options) {
  if (!new.target) throw new TypeError("Class constructor Client cannot be invoked without 'new'");
  options = options || {};
  let loadBalancing = options.loadBalancing;
  let recoverTime = options.recoverTime;
  delete options.loadBalancing;
  delete options.recoverTime;
  if (loadBalancing === undefined) loadBalancing = 'Sequence';
  if (recoverTime === undefined) recoverTime = common.DEFAULT_RECOVER_TIME;

  this._type = 'Client';
  const serverOptions = owners.takeSocketOptions(this, options);
  if (serverOptions instanceof Error) return serverOptions;
  const rslt = this.initServers(serverOptions);
  if (rslt instanceof Error) return rslt;
  this.jobs = {};

  const n = this.jobServers.length;
  if (loadBalancing === 'RoundRobin') this.loadBalancer = new lb.RoundRobin(n);
  else if (loadBalancing === 'Sequence') this.loadBalancer = new lb.Sequence(n);
  else if (loadBalancing === 'Hash') this.loadBalancer = new lb.Hash(n, this.jobServers.map((js) => js.getUid()));
  else return new Error('unknow load balancing strategy: ' + loadBalancing);

  if (!common.isNumber(recoverTime)) return new Error('option recoverTime is not number');
  this.loadBalancer.recoverTime = recoverTime;
  EventEmitter.call(this);
}
util.inherits(Client, EventEmitter);
ServerManager.mixin(Client);

Client.logger = loggers.get('Client');
const log = Client.logger;

/** Closes every connection and every job; the client cannot be used afterwards. */
Client.prototype.close = function () {
  if (this.closed === true) return; // COMPATIBILITY.md#fixed-10: a second close is harmless
  this.closed = true;
  this.closeServers();
  uniqueStatus.closeAll(this);
  const jobs = this.jobs;
  for (const k of Object.keys(jobs)) {
    jobs[k].close();
    delete jobs[k];
  }
  this.emit('close');
  this.removeAllListeners();
};

/**
 * Submits a job.
 * @param {string} name function name
 * @param {string|Buffer} payload
 * @param {object} [options] `background`, `priority` ('LOW'|'NORMAL'|'HIGH'), `unique`,
 *   `toStringEncoding`, `encoding` (deprecated); beyond gearmanode: `runAt` (a Date or Unix
 *   seconds, with `background: true`: SUBMIT_JOB_EPOCH), `reducer` (SUBMIT_REDUCE_JOB)
 * @returns {Job|Error}
 */
Client.prototype.submitJob = function (name, payload, options) {
  options = options || {};
  // The original (sloppy mode) silently ignored these writes on a primitive or frozen `options`;
  // submitJob returns an Error for bad input and never throws.
  if (Object(options) === options) {
    Reflect.set(options, 'name', name);
    Reflect.set(options, 'payload', payload);
  }
  let job;
  try {
    job = new Job(this, options);
  } catch (err) {
    return err;
  }
  if (job instanceof Error) return job;
  if (errors.hasNul(name)) return errors.nulError('function name', name);
  if (errors.hasNul(options.unique)) return errors.nulError('unique id', options.unique);
  const tooLong = errors.uniqueTooLong(options.unique);
  if (tooLong) return tooLong;
  const badOption = clientJobs.checkOptions(options);
  if (badOption) return badOption;
  job.processing = true;
  let packet;
  try {
    packet = protocol.encodePacket(job.getPacketType(),
      jobModule.internals.submitArgs(job, name, options.unique || '', payload));
  } catch (err) {
    return err;
  }
  if (this.closed === true || shuttingDown.has(this)) {
    owners.deferJobError(job, errors.create(errors.CODES.CLOSED,
      this.closed === true ? 'client is closed' : 'client is shutting down'));
    return job;
  }
  if (clientJobs.begin(this, job, options)) submitTo(this, job, packet);
  return job;
};

function emitSubmited(job) {
  job.emit('submited');
}

/**
 * tryToSend of COMPATIBILITY.md#submitjob: picks a server and sends the packet; a failed send tries the next server.
 * (A function per call rather than a closure per job: thousands of jobs may be in flight.)
 */
function submitTo(client, job, packet) {
  const jobServer = client._getJobServer(job);
  if (!jobServer) {
    const err = errors.create(errors.CODES.ALL_SERVERS_FAILED, 'all job servers fail');
    clientJobs.ended(job, 'error', err);
    owners.deferJobError(job, err);
    return;
  }
  jobServerModule.sendSubmit(jobServer, packet, function (err) {
    if (err) {
      if (client.closed === true) {
        // Closed before the connection was up: the job was never sent.
        clientJobs.fail(job, errors.create(errors.CODES.CLOSED, 'client closed before the job was sent'));
        return;
      }
      log.log('warn', 'failed to send job to %s, trying another server: %s', jobServer.getUid(), err.message);
      submitTo(client, job, packet);
      return;
    }
    jobServer.jobsWaiting4Created.push(job);
    job.jobServerUid = jobServer.getUid();
    clientJobs.sentTo(job, job.jobServerUid);
    process.nextTick(emitSubmited, job);
  });
}

Client.prototype.toString = function () {
  return 'Client(jobServers=' + util.inspect(this.jobServers) + ')';
};

/**
 * @param {Job} [job] the job to place: a strategy with `indexFor` (Hash) places it by its unique id
 * @returns {JobServer|null} the next server the load balancer picks
 */
Client.prototype._getJobServer = function (job) {
  const balancer = this.loadBalancer;
  const idx = job !== undefined && typeof balancer.indexFor === 'function'
    ? balancer.indexFor(job.unique) : balancer.nextIndex();
  if (idx === null) {
    this._unrecoverableError('failed to obtain job server from load balancer (all servers invalid?)');
    return null;
  }
  return this.jobServers[idx];
};

/** Emits `error` with a GearmanError (0.9.2: a plain Error with the same message; see owner.js). */
Client.prototype._unrecoverableError = function (msg) {
  log.log('error', msg);
  this.emit('error', owners.unrecoverable(msg));
};

function convert(job, data) {
  return job.toStringEncoding ? data.toString(job.toStringEncoding) : data;
}

/** Turns a server answer about a job into the job's event. */
Client.prototype._response = function (jobServer, type, parsed) {
  if (type === STATUS_RES_UNIQUE) {
    // About a unique id, not a handle: it answers a getStatusUnique.
    uniqueStatus.answer(this, jobServer, parsed);
    return;
  }
  const key = jobServer.getUid() + '#' + parsed[1];
  if (!hasOwn(this.jobs, key)) {
    // A job that timed out or was aborted may still hear from the server: dropped quietly.
    if (!clientJobs.dropLate(this, key, undefined, TERMINAL.has(type))) this._unrecoverableError('unknown job, uid=' + key);
    return;
  }
  const job = this.jobs[key];
  switch (type) {
    case T.JOB_CREATED:
      if (clientJobs.dropLate(this, key, job, false)) return;
      if (job.background === true) clientJobs.ended(job, 'created');
      job.emit('created');
      break;
    case T.WORK_COMPLETE:
      job.processing = false;
      delete this.jobs[key];
      job.response = convert(job, parsed[2]);
      clientJobs.ended(job, 'complete');
      job.emit('complete');
      break;
    case T.WORK_FAIL:
      job.processing = false;
      delete this.jobs[key];
      job.response = undefined;
      clientJobs.ended(job, 'failed');
      job.emit('failed');
      break;
    case T.WORK_DATA:
      job.emit('workData', convert(job, parsed[2]));
      break;
    case T.WORK_WARNING:
      job.emit('warning', convert(job, parsed[2]));
      break;
    case T.WORK_EXCEPTION: {
      const data = convert(job, parsed[2]);
      job.processing = false;
      delete this.jobs[key];
      clientJobs.ended(job, 'exception');
      job.emit('exception', data);
      break;
    }
    case T.STATUS_RES:
      job.emit('status', {
        known: parsed[2] == '1', // eslint-disable-line eqeqeq
        running: parsed[3] == '1', // eslint-disable-line eqeqeq
        percent_done_num: parsed[4],
        percent_done_den: parsed[5],
      });
      break;
    case T.WORK_STATUS:
      job.emit('status', { percent_done_num: parsed[2], percent_done_den: parsed[3] });
      break;
    default:
      break;
  }
};

// A connection went away: its created foreground jobs will get no answer on it, so each one
// ends now with `error` (code GEARMAN_CONNECTION_LOST) and `close` (COMPATIBILITY.md#fixed-16).
owners.hide(Client.prototype, owners.SERVER_DOWN, function (jobServer, err) {
  if (this.closed === true) return;
  uniqueStatus.serverLost(this, jobServer, err);
  const uid = jobServer.getUid();
  clientJobs.serverGone(this, uid);
  const jobs = this.jobs;
  for (const k of Object.keys(jobs)) {
    const job = jobs[k];
    if (job.jobServerUid !== uid || job.background === true) continue;
    clientJobs.fail(job, errors.create(errors.CODES.CONNECTION_LOST,
      `connection to ${uid} lost before the job ended`, { jobServerUid: uid, cause: err }));
  }
});

/** Clients in `shutdown()`: they take no new job. */
const shuttingDown = new WeakSet();

/**
 * Graceful shutdown (beyond gearmanode 0.9.2): new `submitJob` calls get `error` GEARMAN_CLOSED
 * without sending; the jobs in flight may end; at `timeout` (ms) those still in flight emit
 * `timeout`, then `close`. Then the client closes and the Promise resolves with the number of jobs
 * that timed out. Without `timeout` it waits for every job.
 * @param {object} [options] `timeout` (ms)
 * @returns {Promise<{timedOut: number}>}
 */
owners.hide(Client.prototype, 'shutdown', function (options) {
  const client = this;
  const timeout = options && options.timeout;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 0 && timeout <= 0x7fffffff)) {
    return Promise.reject(new Error(`value '${String(timeout)}' not in defined range, key=timeout (ms)`));
  }
  if (this.closed === true) return Promise.resolve({ timedOut: 0 });
  shuttingDown.add(this);
  let timedOut = 0;
  let timer = null;
  if (timeout !== undefined) {
    timer = setTimeout(function () {
      for (const job of clientJobs.inFlight(client)) {
        timedOut++;
        clientJobs.expire(job, 'timeout');
      }
    }, timeout);
  }
  return clientJobs.whenIdle(this).then(function () {
    if (timer !== null) clearTimeout(timer);
    client.close();
    return { timedOut };
  });
});

/**
 * Submits a job and returns a Promise of its outcome (beyond gearmanode 0.9.2): resolves with the
 * response (a Buffer, or a string with `toStringEncoding`), or with the job for a background job
 * once created; rejects with a GearmanError (see promises.js). Same arguments as submitJob.
 */
owners.hide(Client.prototype, 'submitJobAsync', function (name, payload, options) {
  return promises.submitJobAsync(this, name, payload, options);
});

/**
 * Asks for the status of a job by its unique id (beyond gearmanode 0.9.2; GET_STATUS_UNIQUE):
 * a Promise of `{unique, known, running, numerator, denominator, waiting, jobServerUid}`, where
 * `waiting` counts the clients waiting for the job. Under `Hash` it asks the server the id belongs
 * to; otherwise every server, answering with the one that knows the job (or `known: false`).
 * @param {string} unique
 * @returns {Promise<object>}
 */
owners.hide(Client.prototype, 'getStatusUnique', function (unique) {
  return uniqueStatus.getStatusUnique(this, unique);
});

module.exports = { Client };
