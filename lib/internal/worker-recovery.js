'use strict';
/**
 * A worker's connections over time: registering its functions (CAN_DO / CAN_DO_TIMEOUT), what
 * happens when a server is lost or comes back (reconnect and register again), and the graceful
 * shutdown. lib/gearmanode/worker.js installs these as its SERVER_DOWN / SERVER_UP hooks and its
 * `shutdown` method.
 */
const protocol = require('../gearmanode/protocol');
const jobModule = require('../gearmanode/job');
const loggers = require('../logger');
const errors = require('../errors');
const { state, RESET_ABILITIES } = require('./worker-state');
const { wake } = require('./grab-cycle');

const T = protocol.PACKET_TYPES;
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const log = loggers.get('Worker');

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
 * A server was lost (FIN, socket error): close its running jobs, then reconnect after
 * `recoverTime` and register again, up to `recoverLimit` failed attempts in a row
 * (COMPATIBILITY.md#reconnect, #decision-reconnect). The worker's SERVER_DOWN hook.
 */
function serverDown(worker, jobServer, err, lost) {
  const st = state(worker);
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
  if (worker.closed === true || !lost || st.recovering.has(uid) || st.draining !== null) return;
  scheduleReconnect(worker, jobServer, { timer: null, attempts: 0, gaveUp: false });
}

/**
 * A server got connected: if it was being recovered (or given up on) and something else opened the
 * connection meanwhile, register again now. The worker's SERVER_UP hook.
 */
function serverUp(worker, jobServer) {
  const st = state(worker);
  const uid = jobServer.getUid();
  const attempt = st.recovering.get(uid);
  if (attempt === undefined || attempt.timer === null && !attempt.gaveUp) return;
  if (attempt.timer !== null) clearTimeout(attempt.timer);
  st.recovering.delete(uid);
  reregister(worker, jobServer);
}

/**
 * Graceful shutdown (beyond gearmanode 0.9.2): the worker asks for no new job and withdraws its
 * functions on every connected server (RESET_ABILITIES: gearmand stops waking it), lets the running
 * jobs finish and answer, then closes. At `timeout` (ms) the jobs still running are handed back: the
 * connections close, gearmand gives those jobs to another worker, and their late answers are
 * ignored (each job ends one way or the other). A second call returns the same Promise.
 * @param {object} [options] `timeout` (ms; without it the worker waits for every running job)
 * @returns {Promise<{handedBack: number}>}
 */
function shutdown(worker, options) {
  const st = state(worker);
  if (st.draining !== null) return st.draining.promise;
  const timeout = options && options.timeout;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 0 && timeout <= 0x7fffffff)) {
    return Promise.reject(new Error(`value '${String(timeout)}' not in defined range, key=timeout (ms)`));
  }
  if (worker.closed === true) return Promise.resolve({ handedBack: 0 });
  const d = { promise: null, resolve: null, timer: null, done: false };
  d.promise = new Promise((resolve) => { d.resolve = resolve; });
  st.draining = d;
  for (const r of st.recovering.values()) clearTimeout(r.timer);
  st.recovering.clear();
  // gearmand 1.1.20 forgets a job that runs on a worker when the worker withdraws its function
  // (RESET_ABILITIES or CANT_DO): the job goes to another worker and the answer gets JOB_NOT_FOUND
  // (docs/PROTOCOL.md#quirks). So a server where jobs run is told once its last one is answered.
  for (let i = 0; i < worker.jobServers.length; i++) withdrawWhenIdle(worker, worker.jobServers[i]);
  if (timeout !== undefined) d.timer = setTimeout(() => finishShutdown(worker, runningJobs(st)), timeout);
  drained(worker);
  return d.promise;
}

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

module.exports = { sendAbility, timeoutSeconds, serverDown, serverUp, shutdown, withdrawWhenIdle, drained };
