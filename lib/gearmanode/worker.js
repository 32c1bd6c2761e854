'use strict';
/**
 * Worker: registers functions with one or more job servers, grabs jobs and runs them; reconnects
 * and re-registers after losing a server; enforces a function's `timeout` itself.
 */
const util = require('util');
const EventEmitter = require('events').EventEmitter;
const common = require('./common');
const protocol = require('./protocol');
const loggers = require('../logger');
const errors = require('../errors');
const ServerManager = require('./server-manager').ServerManager;
const jobModule = require('./job');
const owners = require('../internal/owner');
const runningJobs = require('../internal/running-jobs');

const Job = jobModule.Job;
const T = protocol.PACKET_TYPES;
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

// Packets without arguments, encoded once.
const PRE_SLEEP = protocol.encodePacket(T.PRE_SLEEP);
const GRAB_JOB = protocol.encodePacket(T.GRAB_JOB);
const GRAB_JOB_UNIQ = protocol.encodePacket(T.GRAB_JOB_UNIQ);
const RESET_ABILITIES = protocol.encodePacket(T.RESET_ABILITIES);

/**
 * Hidden state of a worker:
 * - registered: names to register again after a reconnect (cleared by resetAbilities)
 * - servers: job server uid → its grab-cycle bookkeeping (see slotOf)
 * - recovering: job server uid → {timer, attempts} while reconnecting
 * - limit: the `concurrency` option (0: one job at a time, and one GRAB per NOOP as gearmanode)
 * - owed: the running job whose answer just called `_preSleep`: its close asks for the next job
 */
const hidden = new WeakMap();
function state(worker) {
  let s = hidden.get(worker);
  if (s === undefined) {
    s = { registered: new Set(), servers: new Map(), recovering: new Map(), limit: 0, owed: null };
    hidden.set(worker, s);
  }
  return s;
}

/** The grab-cycle bookkeeping of one server (lib/internal/running-jobs.js). */
function slotOf(st, uid) {
  let slot = st.servers.get(uid);
  if (slot === undefined) {
    slot = runningJobs.createSlot();
    st.servers.set(uid, slot);
  }
  return slot;
}

/**
 * @param {object} [options] `host`, `port`, `servers`, `withUnique` (boolean), `recoverTime` (ms
 *   before reconnecting to a lost server), `recoverLimit` (attempts); beyond gearmanode:
 *   `connectTimeout` (ms), `maxPacketSize` (bytes), `concurrency` (jobs run at once per server;
 *   the worker then asks for the next job as soon as a slot is free), `tls` (`true` or
 *   `{ca, cert, key, servername, rejectUnauthorized}`, for every server)
 * @returns {Worker|Error}
 */
function Worker(options) {
  if (!new.target) throw new TypeError("Class constructor Worker cannot be invoked without 'new'");
  options = options || {};
  const concurrency = options.concurrency;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    return new Error("value '" + concurrency + "' not in defined range, key=concurrency");
  }
  const withUnique = options.withUnique;
  const recoverTime = options.recoverTime;
  const recoverLimit = options.recoverLimit;
  delete options.withUnique;
  delete options.recoverTime;
  delete options.recoverLimit;
  if (withUnique !== undefined && withUnique !== true && withUnique !== false) {
    return new Error("value '" + withUnique + "' not in defined range, key=withUnique");
  }
  this.withUnique = withUnique === undefined ? false : withUnique;
  this.recoverTime = recoverTime === undefined ? common.DEFAULT_RECOVER_TIME : recoverTime;
  this.recoverLimit = recoverLimit === undefined ? 3 : recoverLimit;
  this._type = 'Worker';
  const serverOptions = owners.takeSocketOptions(this, options, ['concurrency']);
  if (serverOptions instanceof Error) return serverOptions;
  const rslt = this.initServers(serverOptions);
  if (rslt instanceof Error) return rslt;
  this.functions = {};
  if (concurrency !== undefined) state(this).limit = concurrency;
  EventEmitter.call(this);
}
util.inherits(Worker, EventEmitter);
ServerManager.mixin(Worker);

Worker.logger = loggers.get('Worker');
const log = Worker.logger;

/**
 * How much later than the worker's own deadline gearmand's timeout is set. gearmand 1.1.20 does act
 * on CAN_DO_TIMEOUT: it takes the job back and queues it again without telling the client (the
 * worker's late WORK_FAIL then gets ERROR JOB_NOT_FOUND and the job runs again, forever). The
 * worker's own timeout (§7.1 Decision) must therefore reach gearmand first; the server's stays a
 * backstop for a worker that cannot answer at all (a blocked event loop).
 */
const SERVER_TIMEOUT_MARGIN_MS = 1000;

/** A function's `timeout` option as a number of seconds (NaN when it is no number at all). */
function timeoutSeconds(v) {
  if (typeof v === 'number') return v;
  if (typeof v === 'symbol') return NaN;
  try {
    return Number(v);
  } catch (e) {
    return NaN; // an object whose valueOf throws
  }
}

/** Sends the registration of `name` (CAN_DO or CAN_DO_TIMEOUT) to one server. */
function sendAbility(jobServer, name, options) {
  if (hasOwn(options, 'timeout')) {
    // gearmanode documents seconds; gearmand reads the number as milliseconds.
    const ms = timeoutSeconds(options.timeout) * 1000;
    const serverMs = ms > 0 ? ms + SERVER_TIMEOUT_MARGIN_MS : ms;
    jobServer.send(protocol.encodePacket(T.CAN_DO_TIMEOUT, [name, serverMs]));
  } else {
    jobServer.send(protocol.encodePacket(T.CAN_DO, [name]));
  }
}

/**
 * Registers a function on every job server.
 * @param {string} name
 * @param {function(Job)} callback called with each job; may return a Promise (see README)
 * @param {object} [options] `timeout` (seconds a job may run), `toStringEncoding`
 * @returns {undefined|Error}
 */
Worker.prototype.addFunction = function (name, callback, options) {
  if (!name) return new Error('undefined function name');
  if (typeof callback !== 'function') return new Error('invalid callback (not a function)');
  const opts = options || {};
  const rslt = common.verifyOptions(opts, { timeout: 'optional', toStringEncoding: 'optional' });
  if (rslt instanceof Error) return rslt;
  if (opts.toStringEncoding && !Buffer.isEncoding(opts.toStringEncoding)) {
    return new Error('invalid encoding: ' + opts.toStringEncoding);
  }
  if (errors.hasNul(name)) return errors.nulError('function name', name);
  for (let i = 0; i < this.jobServers.length; i++) {
    const jobServer = this.jobServers[i];
    sendAbility(jobServer, name, opts);
    this._preSleep(jobServer);
  }
  this.functions[name] = [callback, opts];
  state(this).registered.add(name);
  return undefined;
};

/**
 * Unregisters a function on every job server.
 * @returns {undefined|Error}
 */
Worker.prototype.removeFunction = function (name) {
  if (!name) return new Error('undefined function name');
  if (!hasOwn(this.functions, name)) return new Error('function not registered, name=' + name);
  const packet = protocol.encodePacket(T.CANT_DO, [name]);
  for (let i = 0; i < this.jobServers.length; i++) this.jobServers[i].send(packet);
  delete this.functions[name];
  state(this).registered.delete(name);
  return undefined;
};

/** Tells every server that this worker can do nothing (the local `functions` are kept). */
Worker.prototype.resetAbilities = function () {
  for (let i = 0; i < this.jobServers.length; i++) this.jobServers[i].send(RESET_ABILITIES);
  state(this).registered.clear();
};

/**
 * Sets the worker id shown by the server's admin `workers` command.
 * @returns {undefined|Error}
 */
Worker.prototype.setWorkerId = function (workerId) {
  if (!common.isString(workerId)) return new Error('worker ID not a string');
  if (workerId === '') return new Error('worker ID cannot be blank');
  if (errors.hasNul(workerId)) return errors.nulError('worker ID', workerId);
  this.workerId = workerId;
  const packet = protocol.encodePacket(T.SET_CLIENT_ID, [workerId]);
  for (let i = 0; i < this.jobServers.length; i++) this.jobServers[i].send(packet);
  return undefined;
};

/** Closes every connection; running jobs are not tracked further and no reconnect happens. */
Worker.prototype.close = function () {
  if (this.closed === true) return; // §11.1 #10: a second close is harmless
  this.closed = true;
  const st = state(this);
  for (const r of st.recovering.values()) clearTimeout(r.timer);
  st.recovering.clear();
  this.closeServers();
  for (const k of Object.keys(this.functions)) delete this.functions[k];
  this.emit('close');
  this.removeAllListeners();
};

Worker.prototype.toString = function () {
  return 'Worker(jobServers=' + util.inspect(this.jobServers) + ')';
};

/** @returns {Array|undefined} `[callback, options]` of a registered function */
Worker.prototype._getFunction = function (name) {
  const f = this.functions[name];
  if (f === undefined) this._unrecoverableError('function not found in locale register, name=' + name);
  return f;
};

/**
 * Tells the server this worker is idle (it answers NOOP when there is work). Called for a job this
 * worker runs, right after its answer, it sends nothing: the job's close asks for the next job at
 * once, and PRE_SLEEP follows a NO_JOB (COMPATIBILITY.md#grab-cycle).
 */
Worker.prototype._preSleep = function (jobServer) {
  if (defersSleep(this, jobServer)) return;
  jobServer.send(PRE_SLEEP);
};

/** Whether `_preSleep` is called for the answer of a job this worker runs on `jobServer`. */
function defersSleep(worker, jobServer) {
  const job = jobModule.internals.answering();
  if (job === null || job.clientOrWorker !== worker) return false;
  const rec = jobModule.internals.existingState(job);
  if (rec === undefined || rec.slot === null || rec.server !== jobServer) return false;
  state(worker).owed = job;
  return true;
}

/** The packet that asks for a job. */
function grabPacket(worker) {
  return worker.withUnique ? GRAB_JOB_UNIQ : GRAB_JOB;
}

Worker.prototype._unrecoverableError = function (msg) {
  log.log('error', msg);
  this.emit('error', new Error(msg));
};

/** Handles a server packet addressed to the worker. */
Worker.prototype._response = function (jobServer, type, parsed) {
  switch (type) {
    case T.NOOP: {
      const st = state(this);
      if (st.limit > 0) {
        grabIfFree(this, jobServer);
        return;
      }
      slotOf(st, jobServer.getUid()).grabbing++;
      jobServer.send(grabPacket(this));
      return;
    }
    case T.NO_JOB: {
      const st = state(this);
      const slot = slotOf(st, jobServer.getUid());
      const left = countGrab(slot, -1);
      if (st.limit === 0) {
        if (slot.quiet) {
          slot.quiet = false;
          jobServer.send(PRE_SLEEP);
        } else {
          this._preSleep(jobServer);
        }
        return;
      }
      // With several GRABs out, sleep once the last one came back empty.
      if (left === 0) this._preSleep(jobServer);
      return;
    }
    case T.JOB_ASSIGN:
    case T.JOB_ASSIGN_UNIQ: {
      const uniq = type === T.JOB_ASSIGN_UNIQ;
      const options = {
        handle: parsed[1],
        name: parsed[2],
        jobServerUid: jobServer.getUid(),
        payload: uniq ? parsed[4] : parsed[3],
      };
      if (uniq) options.unique = parsed[3];
      const job = new Job(this, options);
      const st = state(this);
      const slot = slotOf(st, options.jobServerUid);
      countGrab(slot, -1);
      slot.quiet = false;
      runJob(this, jobServer, job);
      if (st.limit > 0) grabIfFree(this, jobServer);
      return;
    }
    default:
  }
};

/** Adds `delta` to the GRABs outstanding on a server; returns the new count (never below 0). */
function countGrab(slot, delta) {
  slot.grabbing = Math.max(0, slot.grabbing + delta);
  return slot.grabbing;
}

/** With a `concurrency` limit: asks for another job while running + asked-for jobs are under it. */
function grabIfFree(worker, jobServer) {
  if (worker.closed === true || !jobServer.connected) return;
  const st = state(worker);
  const slot = slotOf(st, jobServer.getUid());
  if (slot.size + slot.grabbing >= st.limit) return;
  slot.grabbing++;
  jobServer.send(grabPacket(worker));
}

/**
 * A job this worker ran was answered and closed: ask for the next one now (one job at a time
 * without a limit: unless a GRAB is out already, whose answer brings a job or NO_JOB).
 */
function grabNext(worker, jobServer) {
  const st = state(worker);
  if (st.limit > 0) {
    grabIfFree(worker, jobServer);
    return;
  }
  if (worker.closed === true) return;
  const slot = slotOf(st, jobServer.getUid());
  if (slot.grabbing > 0) return;
  slot.grabbing++;
  slot.quiet = true;
  jobServer.send(grabPacket(worker));
}

/** Runs the user function for an assigned job; a missing or failing function never hangs the job. */
function runJob(worker, jobServer, job) {
  const f = worker._getFunction(job.name);
  if (f === undefined) {
    // §11.1 #8: the job is answered so that no client waits forever.
    job.reportError();
    return;
  }
  const fnOptions = f[1] || {};
  if (fnOptions.toStringEncoding) job.payload = job.payload.toString(fnOptions.toStringEncoding);
  track(worker, jobServer, job, fnOptions);
  let result;
  try {
    result = f[0](job);
  } catch (err) {
    functionFailed(worker, job, err);
    return;
  }
  if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
    // An async function: its value completes the job unless the job was answered already.
    result.then(function (value) {
      if (value !== undefined && jobModule.internals.isOpen(job)) {
        job.workComplete(value);
      }
    }, function (err) {
      functionFailed(worker, job, err);
    });
  }
}

function functionFailed(worker, job, err) {
  const message = err instanceof Error ? err.message : String(err);
  // Logged when nobody listens for the worker's `error`; otherwise the listener has it.
  if (worker.listenerCount('error') === 0) log.log('error', 'worker function %s failed: %s', job.name, message);
  if (jobModule.internals.isOpen(job)) job.reportException(message);
  if (worker.listenerCount('error') > 0) {
    const e = errors.create(errors.CODES.WORKER_FUNCTION_FAILED,
      `worker function ${job.name} failed: ${message}`, { cause: err, jobHandle: job.handle });
    worker.emit('error', e);
  }
}

/** Remembers a running job (closed if its connection is lost) and arms its timeout. */
function track(worker, jobServer, job, fnOptions) {
  const slot = slotOf(state(worker), jobServer.getUid());
  const js = jobModule.internals.stateOf(job);
  js.owner = worker;
  js.server = jobServer;
  js.onClose = jobClosed;
  runningJobs.link(slot, js);
  const seconds = timeoutSeconds(fnOptions.timeout);
  if (hasOwn(fnOptions, 'timeout') && seconds > 0) {
    js.timer = setTimeout(function () {
      js.timer = null;
      if (job.closed === true || js.abandoned) return;
      // §7.1 Decision: the worker enforces the timeout; the client sees the job fail.
      job.emit('timeout');
      const server = worker.closed === true ? undefined : worker._getJobServerByUid(job.jobServerUid);
      if (server) jobModule.internals.answer(job, server, protocol.encodePacket(T.WORK_FAIL, [job.handle]));
      js.abandoned = true;
      job.close();
    }, seconds * 1000);
  }
}

/**
 * A job this worker runs closed (answered, failed by its timeout, its server lost): it leaves the
 * running set, and once answered the next job is asked for at once (no PRE_SLEEP → NOOP round trip
 * per job). With a concurrency limit, any closed job frees a slot.
 */
function jobClosed(job, js) {
  runningJobs.unlink(js);
  const worker = js.owner;
  const st = state(worker);
  if (st.owed === job) {
    st.owed = null;
    grabNext(worker, js.server);
  } else if (st.limit > 0) {
    grabIfFree(worker, js.server);
  }
}

// A server was lost (FIN, socket error): close its running jobs, then reconnect after
// `recoverTime` and register again, up to `recoverLimit` failed attempts in a row (§7.6).
owners.hide(Worker.prototype, owners.SERVER_DOWN, function (jobServer, err, lost) {
  const st = state(this);
  const uid = jobServer.getUid();
  const slot = st.servers.get(uid);
  if (slot !== undefined) {
    st.servers.delete(uid);
    for (const js of runningJobs.records(slot)) {
      js.abandoned = true;
      js.job.close();
    }
  }
  if (this.closed === true || !lost || st.recovering.has(uid)) return;
  scheduleReconnect(this, jobServer, { timer: null, attempts: 0, gaveUp: false });
});

// A server got connected: if it was being recovered (or given up on) and something else opened
// the connection meanwhile, register again now.
owners.hide(Worker.prototype, owners.SERVER_UP, function (jobServer) {
  const st = state(this);
  const uid = jobServer.getUid();
  const attempt = st.recovering.get(uid);
  if (attempt === undefined || attempt.timer === null && !attempt.gaveUp) return;
  if (attempt.timer !== null) clearTimeout(attempt.timer);
  st.recovering.delete(uid);
  reregister(this, jobServer);
});

function scheduleReconnect(worker, jobServer, attempt) {
  const st = state(worker);
  const uid = jobServer.getUid();
  st.recovering.set(uid, attempt);
  const delay = Number(worker.recoverTime);
  attempt.timer = setTimeout(function () {
    attempt.timer = null;
    if (worker.closed === true || jobServer.clientOrWorker !== worker) return;
    attempt.attempts++;
    const result = jobServer.connect(function (err) {
      if (worker.closed === true) return;
      if (err) {
        const limit = Number(worker.recoverLimit);
        if (attempt.attempts >= limit || !(limit > 0)) {
          attempt.gaveUp = true; // kept, so that this failure does not start a new round
          const e = errors.create(errors.CODES.RECONNECT_FAILED,
            `job server ${uid} unreachable after ${attempt.attempts} reconnect attempt(s)`,
            { jobServerUid: uid, cause: err });
          log.log('error', e.message);
          if (worker.listenerCount('error') > 0) worker.emit('error', e);
        } else {
          scheduleReconnect(worker, jobServer, attempt);
        }
        return;
      }
      st.recovering.delete(uid);
      reregister(worker, jobServer);
    });
    if (result instanceof Error) st.recovering.delete(uid);
  }, delay >= 0 ? delay : 0);
}

function reregister(worker, jobServer) {
  log.log('info', 'reconnected to %s, registering %d function(s)', jobServer.getUid(), state(worker).registered.size);
  if (worker.workerId !== undefined) {
    jobServer.send(protocol.encodePacket(T.SET_CLIENT_ID, [worker.workerId]));
  }
  for (const name of state(worker).registered) {
    const f = worker.functions[name];
    if (f !== undefined) sendAbility(jobServer, name, f[1] || {});
  }
  worker._preSleep(jobServer);
}

module.exports = { Worker };
