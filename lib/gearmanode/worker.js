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
const diagnostics = require('../internal/diagnostics');

const workerState = require('../internal/worker-state');
const grabCycle = require('../internal/grab-cycle');
const recovery = require('../internal/worker-recovery');

const { state, RESET_ABILITIES } = workerState;
const { sleep, wake, defersSleep, countGrab, grabIfFree, grabPacket, grabNext } = grabCycle;
const { sendAbility, timeoutSeconds, withdrawWhenIdle, drained } = recovery;
const Job = jobModule.Job;
const JOB_ASSIGN_ALL = protocol.PACKETS.JOB_ASSIGN_ALL.code;
const T = protocol.PACKET_TYPES;
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * @param {object} [options] `host`, `port`, `servers`, `withUnique` (boolean), `recoverTime` (ms
 *   before reconnecting to a lost server), `recoverLimit` (attempts); beyond gearmanode:
 *   `connectTimeout` (ms), `maxPacketSize` (bytes), `concurrency` (jobs run at once per server;
 *   the worker then asks for the next job as soon as a slot is free), `grabAll` (boolean: asks
 *   with GRAB_JOB_ALL, so every job carries its unique id and a reduce job its `reducer`),
 *   `pollInterval` (ms: asleep that long without a NOOP, ask anyway), `keepAlive` (ms or false),
 *   `tls` (`true` or `{ca, cert, key, servername, rejectUnauthorized}`, for every server)
 * @returns {Worker|Error}
 */
function Worker(options) {
  if (!new.target) throw new TypeError("Class constructor Worker cannot be invoked without 'new'");
  options = options || {};
  const concurrency = options.concurrency;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    return new Error("value '" + concurrency + "' not in defined range, key=concurrency");
  }
  const grabAll = options.grabAll;
  if (grabAll !== undefined && grabAll !== true && grabAll !== false) {
    return new Error("value '" + grabAll + "' not in defined range, key=grabAll");
  }
  const pollInterval = options.pollInterval;
  if (pollInterval !== undefined && !(Number.isInteger(pollInterval) && pollInterval >= 100 && pollInterval <= 0x7fffffff)) {
    return new Error("value '" + pollInterval + "' not in defined range, key=pollInterval (ms, from 100)");
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
  const serverOptions = owners.takeSocketOptions(this, options, ['concurrency', 'grabAll', 'pollInterval']);
  if (serverOptions instanceof Error) return serverOptions;
  const rslt = this.initServers(serverOptions);
  if (rslt instanceof Error) return rslt;
  this.functions = {};
  if (concurrency !== undefined) state(this).limit = concurrency;
  if (grabAll === true) state(this).grabAll = true;
  if (pollInterval !== undefined) state(this).poll = pollInterval;
  EventEmitter.call(this);
}
util.inherits(Worker, EventEmitter);
ServerManager.mixin(Worker);

Worker.logger = loggers.get('Worker');
const log = Worker.logger;

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
  if (this.closed === true) return; // COMPATIBILITY.md#fixed-10: a second close is harmless
  this.closed = true;
  const st = state(this);
  for (const r of st.recovering.values()) clearTimeout(r.timer);
  st.recovering.clear();
  for (const uid of Array.from(st.sleepers.keys())) wake(st, uid);
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
  sleep(this, jobServer);
};


/** Emits `error` with a GearmanError (0.9.2: a plain Error with the same message; see owner.js). */
Worker.prototype._unrecoverableError = function (msg) {
  log.log('error', msg);
  this.emit('error', owners.unrecoverable(msg));
};

/** Handles a server packet addressed to the worker. */
Worker.prototype._response = function (jobServer, type, parsed) {
  switch (type) {
    case T.NOOP: {
      const st = state(this);
      wake(st, jobServer.getUid());
      if (st.draining !== null) return; // shutting down: no new job
      if (st.limit > 0) {
        grabIfFree(this, jobServer);
        return;
      }
      countGrab(st, jobServer.getUid(), 1);
      jobServer.send(grabPacket(this));
      return;
    }
    case T.NO_JOB: {
      const st = state(this);
      const uid = jobServer.getUid();
      const left = countGrab(st, uid, -1);
      if (st.limit === 0) {
        if (st.quiet.delete(uid)) sleep(this, jobServer);
        else this._preSleep(jobServer);
        return;
      }
      // With several GRABs out, sleep once the last one came back empty.
      if (left === 0) this._preSleep(jobServer);
      return;
    }
    case T.JOB_ASSIGN:
    case T.JOB_ASSIGN_UNIQ:
    case JOB_ASSIGN_ALL: {
      const uniq = type !== T.JOB_ASSIGN;
      const all = type === JOB_ASSIGN_ALL;
      const options = {
        handle: parsed[1],
        name: parsed[2],
        jobServerUid: jobServer.getUid(),
        payload: all ? parsed[5] : uniq ? parsed[4] : parsed[3],
      };
      if (uniq) options.unique = parsed[3];
      if (all) options.reducer = parsed[4];
      const job = new Job(this, options);
      const st = state(this);
      countGrab(st, options.jobServerUid, -1);
      st.quiet.delete(options.jobServerUid);
      runJob(this, jobServer, job);
      if (st.limit > 0) grabIfFree(this, jobServer);
      return;
    }
    default:
  }
};

/** Runs the user function for an assigned job; a missing or failing function never hangs the job. */
function runJob(worker, jobServer, job) {
  const f = worker._getFunction(job.name);
  if (f === undefined) {
    // COMPATIBILITY.md#fixed-8: the job is answered so that no client waits forever.
    job.reportError();
    return;
  }
  const fnOptions = f[1] || {};
  if (fnOptions.toStringEncoding) job.payload = job.payload.toString(fnOptions.toStringEncoding);
  track(worker, jobServer, job, fnOptions);
  if (diagnostics.workerJob.hasSubscribers) jobModule.internals.traceStart(job);
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
  const uid = jobServer.getUid();
  const running = state(worker).running;
  let set = running.get(uid);
  if (set === undefined) {
    set = new Set();
    running.set(uid, set);
  }
  set.add(job);
  const js = jobModule.internals.stateOf(job);
  js.owner = worker;
  js.server = jobServer;
  js.running = set;
  js.onClose = jobClosed;
  const seconds = timeoutSeconds(fnOptions.timeout);
  if (hasOwn(fnOptions, 'timeout') && seconds > 0) {
    js.timer = setTimeout(function () {
      js.timer = null;
      if (job.closed === true || js.abandoned) return;
      // COMPATIBILITY.md#decision-worker-timeout: the worker enforces the timeout; the client sees the job fail.
      job.emit('timeout');
      const server = worker.closed === true ? undefined : worker._getJobServerByUid(job.jobServerUid);
      if (server) jobModule.internals.answer(job, server, protocol.encodePacket(T.WORK_FAIL, [job.handle]));
      js.abandoned = true;
      jobModule.internals.traceEnd(job, 'timeout');
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
  js.running.delete(job);
  const worker = js.owner;
  const st = state(worker);
  if (st.owed === job) {
    st.owed = null;
    grabNext(worker, js.server);
  } else if (st.limit > 0) {
    grabIfFree(worker, js.server);
  }
  if (st.draining !== null && !st.draining.done) {
    if (js.running.size === 0) withdrawWhenIdle(worker, js.server);
    drained(worker);
  }
}

owners.hide(Worker.prototype, owners.SERVER_DOWN, function (jobServer, err, lost) {
  recovery.serverDown(this, jobServer, err, lost);
});
owners.hide(Worker.prototype, owners.SERVER_UP, function (jobServer) {
  recovery.serverUp(this, jobServer);
});

/**
 * Graceful shutdown (beyond gearmanode 0.9.2): no new job, functions withdrawn, running jobs finish
 * or are handed back at `timeout` (ms); then the worker closes (see lib/internal/worker-recovery.js).
 * @returns {Promise<{handedBack: number}>}
 */
owners.hide(Worker.prototype, 'shutdown', function (options) {
  return recovery.shutdown(this, options);
});

module.exports = { Worker };
