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

const Job = jobModule.Job;
const T = protocol.PACKET_TYPES;
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

// Packets without arguments, encoded once.
const PRE_SLEEP = protocol.encodePacket(T.PRE_SLEEP);
const GRAB_JOB = protocol.encodePacket(T.GRAB_JOB);
const GRAB_JOB_UNIQ = protocol.encodePacket(T.GRAB_JOB_UNIQ);
const GRAB_JOB_ALL = protocol.encodePacket(protocol.PACKETS.GRAB_JOB_ALL.code);
const JOB_ASSIGN_ALL = protocol.PACKETS.JOB_ASSIGN_ALL.code;
const RESET_ABILITIES = protocol.encodePacket(T.RESET_ABILITIES);

/**
 * Hidden state of a worker:
 * - registered: names to register again after a reconnect (cleared by resetAbilities)
 * - running: job server uid → Set of jobs assigned on it and not closed
 * - recovering: job server uid → {timer, attempts} while reconnecting
 * - limit: the `concurrency` option (0: one job at a time, and one GRAB per NOOP as gearmanode)
 * - grabbing: job server uid → GRAB_JOBs sent and not answered yet
 * - owed: the running job whose answer just called `_preSleep`: its close asks for the next job
 * - quiet: uids whose oldest unanswered GRAB was sent after an answered job (without a limit):
 *   its NO_JOB sends PRE_SLEEP without a second `_preSleep` call (the answer's call stands for it)
 * - grabAll: the `grabAll` option (asks with GRAB_JOB_ALL)
 * - draining: `{promise, resolve, timer, done}` once `shutdown()` was called (no GRAB any more)
 * - poll: the `pollInterval` option (0: none); sleepers: uid → timer of the next poll while asleep
 */
const hidden = new WeakMap();
function state(worker) {
  let s = hidden.get(worker);
  if (s === undefined) {
    s = {
      registered: new Set(), running: new Map(), recovering: new Map(), limit: 0, grabbing: new Map(),
      owed: null, quiet: new Set(), grabAll: false, draining: null, poll: 0, sleepers: new Map(),
    };
    hidden.set(worker, s);
  }
  return s;
}

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
 * How much later than the worker's own deadline gearmand's timeout is set. gearmand 1.1.20 does act
 * on CAN_DO_TIMEOUT: it takes the job back and queues it again without telling the client (the
 * worker's late WORK_FAIL then gets ERROR JOB_NOT_FOUND and the job runs again, forever). The
 * worker's own timeout (COMPATIBILITY.md#decision-worker-timeout) must therefore reach gearmand first; the server's stays a
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

/** Sends PRE_SLEEP; with `pollInterval`, asks again after that long if no NOOP came meanwhile. */
function sleep(worker, jobServer) {
  jobServer.send(PRE_SLEEP);
  const st = state(worker);
  if (st.poll === 0) return;
  const uid = jobServer.getUid();
  wake(st, uid);
  const timer = setTimeout(poll, st.poll, worker, jobServer);
  timer.unref(); // the connection keeps the process alive, not the poll
  st.sleepers.set(uid, timer);
}

/** The worker is no longer asleep on this server (NOOP, a job, or the connection went away). */
function wake(st, uid) {
  const timer = st.sleepers.get(uid);
  if (timer === undefined) return;
  clearTimeout(timer);
  st.sleepers.delete(uid);
}

/**
 * `pollInterval` elapsed without a NOOP: ask for a job anyway. gearmand 1.1.20 sends no NOOP when a
 * scheduled job falls due (docs/PROTOCOL.md#extended); libgearman's workers poll for the same reason.
 */
function poll(worker, jobServer) {
  const st = state(worker);
  const uid = jobServer.getUid();
  st.sleepers.delete(uid);
  if (worker.closed === true || st.draining !== null || !jobServer.connected) return;
  if (st.limit > 0) {
    grabIfFree(worker, jobServer);
    return;
  }
  const running = st.running.get(uid);
  if ((st.grabbing.get(uid) || 0) > 0 || (running !== undefined && running.size > 0)) return;
  countGrab(st, uid, 1);
  st.quiet.add(uid); // its NO_JOB sleeps again without a `_preSleep` call, as after an answer
  jobServer.send(grabPacket(worker));
}

/** Whether `_preSleep` is called for the answer of a job this worker runs on `jobServer`. */
function defersSleep(worker, jobServer) {
  const job = jobModule.internals.answering();
  if (job === null || job.clientOrWorker !== worker) return false;
  const st = state(worker);
  const running = st.running.get(jobServer.getUid());
  if (running === undefined || !running.has(job)) return false;
  st.owed = job;
  return true;
}


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

/** Adds `delta` to the GRABs outstanding on a server; returns the new count (never below 0). */
function countGrab(st, uid, delta) {
  const n = Math.max(0, (st.grabbing.get(uid) || 0) + delta);
  st.grabbing.set(uid, n);
  return n;
}

/** With a `concurrency` limit: asks for another job while running + asked-for jobs are under it. */
function grabIfFree(worker, jobServer) {
  const st = state(worker);
  if (worker.closed === true || st.draining !== null || !jobServer.connected) return;
  const uid = jobServer.getUid();
  const running = st.running.get(uid);
  const busy = (running === undefined ? 0 : running.size) + (st.grabbing.get(uid) || 0);
  if (busy >= st.limit) return;
  countGrab(st, uid, 1);
  jobServer.send(grabPacket(worker));
}

/**
 * The packet that asks for a job: GRAB_JOB_ALL with `grabAll` (gearmand then answers JOB_ASSIGN_ALL
 * for a reduce job, JOB_ASSIGN_UNIQ for any other), else as `withUnique` says.
 */
function grabPacket(worker) {
  if (state(worker).grabAll) return GRAB_JOB_ALL;
  return worker.withUnique ? GRAB_JOB_UNIQ : GRAB_JOB;
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
  const uid = jobServer.getUid();
  if (worker.closed === true || st.draining !== null || (st.grabbing.get(uid) || 0) > 0) return;
  countGrab(st, uid, 1);
  st.quiet.add(uid);
  jobServer.send(grabPacket(worker));
}

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

// A server was lost (FIN, socket error): close its running jobs, then reconnect after
// `recoverTime` and register again, up to `recoverLimit` failed attempts in a row (COMPATIBILITY.md#reconnect, #decision-reconnect).
owners.hide(Worker.prototype, owners.SERVER_DOWN, function (jobServer, err, lost) {
  const st = state(this);
  const uid = jobServer.getUid();
  st.grabbing.delete(uid);
  st.quiet.delete(uid);
  wake(st, uid);
  const running = st.running.get(uid);
  if (running !== undefined) {
    st.running.delete(uid);
    for (const job of running) {
      jobModule.internals.stateOf(job).abandoned = true;
      jobModule.internals.traceEnd(job, 'abandoned');
      job.close();
    }
  }
  if (this.closed === true || !lost || st.recovering.has(uid) || st.draining !== null) return;
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

/**
 * Graceful shutdown (beyond gearmanode 0.9.2): the worker asks for no new job and withdraws its
 * functions on every connected server (RESET_ABILITIES: gearmand stops waking it), lets the running
 * jobs finish and answer, then closes. At `timeout` (ms) the jobs still running are handed back: the
 * connections close, gearmand gives those jobs to another worker, and their late answers are
 * ignored (each job ends one way or the other). A second call returns the same Promise.
 * @param {object} [options] `timeout` (ms; without it the worker waits for every running job)
 * @returns {Promise<{handedBack: number}>}
 */
owners.hide(Worker.prototype, 'shutdown', function (options) {
  const st = state(this);
  if (st.draining !== null) return st.draining.promise;
  const timeout = options && options.timeout;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 0 && timeout <= 0x7fffffff)) {
    return Promise.reject(new Error(`value '${String(timeout)}' not in defined range, key=timeout (ms)`));
  }
  if (this.closed === true) return Promise.resolve({ handedBack: 0 });
  const d = { promise: null, resolve: null, timer: null, done: false };
  d.promise = new Promise((resolve) => { d.resolve = resolve; });
  st.draining = d;
  for (const r of st.recovering.values()) clearTimeout(r.timer);
  st.recovering.clear();
  // gearmand 1.1.20 forgets a job that runs on a worker when the worker withdraws its function
  // (RESET_ABILITIES or CANT_DO): the job goes to another worker and the answer gets JOB_NOT_FOUND
  // (docs/PROTOCOL.md#quirks). So a server where jobs run is told once its last one is answered.
  for (let i = 0; i < this.jobServers.length; i++) withdrawWhenIdle(this, this.jobServers[i]);
  const worker = this;
  if (timeout !== undefined) d.timer = setTimeout(() => finishShutdown(worker, runningJobs(st)), timeout);
  drained(this);
  return d.promise;
});

/** During a shutdown: sends RESET_ABILITIES to a connected server once no job of ours runs there. */
function withdrawWhenIdle(worker, jobServer) {
  const st = state(worker);
  const running = st.running.get(jobServer.getUid());
  if (jobServer.connected && (running === undefined || running.size === 0)) jobServer.send(RESET_ABILITIES);
}

/** How many jobs the worker runs, on every server. */
function runningJobs(st) {
  let n = 0;
  for (const set of st.running.values()) n += set.size;
  return n;
}

/** During a shutdown: closes the worker once no job runs any more. */
function drained(worker) {
  if (runningJobs(state(worker)) === 0) finishShutdown(worker, 0);
}

function finishShutdown(worker, handedBack) {
  const d = state(worker).draining;
  if (d.done) return;
  d.done = true;
  if (d.timer !== null) clearTimeout(d.timer);
  worker.close(); // the connections close; jobs still running are abandoned (handed back)
  d.resolve({ handedBack });
}

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
