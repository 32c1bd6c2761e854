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
const Job = require('./job').Job;
const owners = require('../internal/owner');
const promises = require('../internal/promises');

const T = protocol.PACKET_TYPES;
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * @param {object} [options] `host`, `port`, `servers`, `loadBalancing` ('Sequence'|'RoundRobin'),
 *   `recoverTime` (ms); beyond gearmanode: `connectTimeout` (ms), `maxPacketSize` (bytes), `tls`
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
  if (this.closed === true) return; // §11.1 #10: a second close is harmless
  this.closed = true;
  this.closeServers();
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
 *   `toStringEncoding`, `encoding` (deprecated)
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
  job.processing = true;
  let packet;
  try {
    packet = protocol.encodePacket(job.getPacketType(), [name, options.unique || '', payload]);
  } catch (err) {
    return err;
  }
  if (this.closed === true) {
    owners.deferJobError(job, errors.create(errors.CODES.CLOSED, 'client is closed'));
    return job;
  }
  submitTo(this, job, packet);
  return job;
};

function emitSubmited(job) {
  job.emit('submited');
}

/**
 * tryToSend of §6.1: picks a server and sends the packet; a failed send tries the next server.
 * (A function per call rather than a closure per job: thousands of jobs may be in flight.)
 */
function submitTo(client, job, packet) {
  const jobServer = client._getJobServer();
  if (!jobServer) {
    owners.deferJobError(job, errors.create(errors.CODES.ALL_SERVERS_FAILED, 'all job servers fail'));
    return;
  }
  jobServerModule.sendSubmit(jobServer, packet, function (err) {
    if (err) {
      if (client.closed === true) {
        // Closed before the connection was up: the job was never sent.
        if (job.listenerCount('error') > 0) {
          job.emit('error', errors.create(errors.CODES.CLOSED, 'client closed before the job was sent'));
        }
        job.close();
        return;
      }
      log.log('warn', 'failed to send job to %s, trying another server: %s', jobServer.getUid(), err.message);
      submitTo(client, job, packet);
      return;
    }
    jobServer.jobsWaiting4Created.push(job);
    job.jobServerUid = jobServer.getUid();
    process.nextTick(emitSubmited, job);
  });
}

Client.prototype.toString = function () {
  return 'Client(jobServers=' + util.inspect(this.jobServers) + ')';
};

/** @returns {JobServer|null} the next server the load balancer picks */
Client.prototype._getJobServer = function () {
  const idx = this.loadBalancer.nextIndex();
  if (idx === null) {
    this._unrecoverableError('failed to obtain job server from load balancer (all servers invalid?)');
    return null;
  }
  return this.jobServers[idx];
};

Client.prototype._unrecoverableError = function (msg) {
  log.log('error', msg);
  this.emit('error', new Error(msg));
};

function convert(job, data) {
  return job.toStringEncoding ? data.toString(job.toStringEncoding) : data;
}

/** Turns a server answer about a job into the job's event. */
Client.prototype._response = function (jobServer, type, parsed) {
  const key = jobServer.getUid() + '#' + parsed[1];
  if (!hasOwn(this.jobs, key)) {
    this._unrecoverableError('unknown job, uid=' + key);
    return;
  }
  const job = this.jobs[key];
  switch (type) {
    case T.JOB_CREATED:
      job.emit('created');
      break;
    case T.WORK_COMPLETE:
      job.processing = false;
      delete this.jobs[key];
      job.response = convert(job, parsed[2]);
      job.emit('complete');
      break;
    case T.WORK_FAIL:
      job.processing = false;
      delete this.jobs[key];
      job.response = undefined;
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
// ends now with `error` (code GEARMAN_CONNECTION_LOST) and `close` (§11.1 #16).
owners.hide(Client.prototype, owners.SERVER_DOWN, function (jobServer, err) {
  if (this.closed === true) return;
  const uid = jobServer.getUid();
  const jobs = this.jobs;
  for (const k of Object.keys(jobs)) {
    const job = jobs[k];
    if (job.jobServerUid !== uid || job.background === true) continue;
    const e = errors.create(errors.CODES.CONNECTION_LOST,
      `connection to ${uid} lost before the job ended`, { jobServerUid: uid, cause: err });
    if (job.listenerCount('error') > 0) job.emit('error', e);
    job.close();
  }
});

/**
 * Submits a job and returns a Promise of its outcome (beyond gearmanode 0.9.2): resolves with the
 * response (a Buffer, or a string with `toStringEncoding`), or with the job for a background job
 * once created; rejects with a GearmanError (see promises.js). Same arguments as submitJob.
 */
owners.hide(Client.prototype, 'submitJobAsync', function (name, payload, options) {
  return promises.submitJobAsync(this, name, payload, options);
});

module.exports = { Client };
