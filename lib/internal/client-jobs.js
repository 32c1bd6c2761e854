'use strict';
/**
 * How a client-side job ends, beyond what gearmanode 0.9.2 did: every job has one end, recorded here
 * once, whatever brings it (an answer, an error, `close()`, a deadline, an AbortSignal, shutdown).
 * That one place clears the job's deadline and signal listener, publishes the end on the tracing
 * channel, and lets `client.shutdown()` know when nothing is left in flight
 * (docs/ARCHITECTURE.md#client-job-ends).
 *
 * - Deadlines: `submitJob(..., { timeout: ms })`: a job that has not ended by then (foreground:
 *   complete, failed, exception, error or close; background: created) emits `timeout`, then
 *   `close`. Its promise rejects with GEARMAN_TIMEOUT.
 * - Cancellation: `submitJob(..., { signal })`: on abort the job emits `error` (when it listens) with
 *   an error named 'AbortError', code 'ABORT_ERR', `cause` the signal's reason, then `close`. A
 *   signal aborted before the call sends nothing.
 * - A job that timed out or was aborted may still get packets (gearmand cannot withdraw a job): they
 *   are dropped quietly (debug log) instead of being reported as an unknown job (`expired`).
 */
const errors = require('../errors');
const loggers = require('../logger');
const diagnostics = require('./diagnostics');

const log = loggers.get('Client');

/** Per job: `{client, timer, signal, onAbort, ctx}` while it is in flight. */
const live = new WeakMap();
/** Per client: `{jobs: Set of jobs in flight, expired: Map key → true, idle: [resolve]}`. */
const clients = new WeakMap();

/** Remembered keys of expired jobs, per client, at most (the oldest are forgotten first). */
const MAX_EXPIRED = 100000;

function clientState(client) {
  let s = clients.get(client);
  if (s === undefined) {
    s = { jobs: new Set(), expired: new Map(), idle: [] };
    clients.set(client, s);
  }
  return s;
}

/**
 * Checks the options this module reads; an Error for a bad one, else null.
 * @param {object} options submitJob's options
 */
function checkOptions(options) {
  const t = options.timeout;
  if (t !== undefined && !(typeof t === 'number' && Number.isInteger(t) && t > 0 && t <= 0x7fffffff)) {
    return new Error(`value '${String(t)}' not in defined range, key=timeout (ms, a whole number from 1 to 2147483647)`);
  }
  const s = options.signal;
  if (s !== undefined && !(typeof AbortSignal === 'function' && s instanceof AbortSignal)) {
    return new Error('option signal: expected an AbortSignal');
  }
  return null;
}

/** An AbortError for a job: a GearmanError named as Node names its own (code ABORT_ERR). */
function abortError(job, signal) {
  const e = errors.create(errors.CODES.ABORTED, `job ${job.name} was aborted`, { cause: signal.reason, job });
  e.name = 'AbortError';
  return e;
}

/**
 * A job is submitted: it is in flight until `ended`. Arms its deadline and signal.
 * @returns {boolean} false when the signal is aborted already (the caller must not send)
 */
function begin(client, job, options, jobServerUid) {
  const st = clientState(client);
  const rec = { client, timer: null, signal: null, onAbort: null, ctx: null };
  live.set(job, rec);
  st.jobs.add(job);
  if (diagnostics.clientJob.hasSubscribers) rec.ctx = diagnostics.clientJobStart(job, jobServerUid);
  const signal = options.signal;
  if (signal !== undefined) {
    rec.signal = signal;
    if (signal.aborted) {
      process.nextTick(expire, job, 'abort');
      return false;
    }
    rec.onAbort = function () { expire(job, 'abort'); };
    signal.addEventListener('abort', rec.onAbort, { once: true });
  }
  if (options.timeout !== undefined) {
    rec.timer = setTimeout(expire, options.timeout, job, 'timeout');
    // The job's connection keeps the process alive while the job needs it; the deadline does not.
    rec.timer.unref();
  }
  return true;
}

/** The server a submitted job went to (known once it is sent), for the tracing context. */
function sentTo(job, jobServerUid) {
  const rec = live.get(job);
  if (rec !== undefined && rec.ctx !== null) rec.ctx.server = jobServerUid;
}

/**
 * The job's one end (later calls do nothing): `outcome` is 'complete', 'failed', 'exception',
 * 'created' (background), 'error', 'timeout', 'abort' or 'close'.
 */
function ended(job, outcome, error) {
  const rec = live.get(job);
  if (rec === undefined) return;
  live.delete(job);
  if (rec.timer !== null) clearTimeout(rec.timer);
  if (rec.onAbort !== null) rec.signal.removeEventListener('abort', rec.onAbort);
  if (rec.ctx !== null) diagnostics.clientJobEnd(rec.ctx, outcome, error);
  const st = clientState(rec.client);
  st.jobs.delete(job);
  if (st.jobs.size === 0 && st.idle.length > 0) {
    const idle = st.idle;
    st.idle = [];
    for (const resolve of idle) resolve();
  }
}

/** Ends a job with an error: `error` (when it listens), then `close`. */
function fail(job, err, outcome = 'error') {
  ended(job, outcome, err);
  if (job.listenerCount('error') > 0) job.emit('error', err);
  job.close();
}

/** A deadline or an abort: the job ends now, whatever the server still sends about it. */
function expire(job, how) {
  const rec = live.get(job);
  if (rec === undefined) return;
  const client = rec.client;
  forget(client, job);
  if (how === 'timeout') {
    ended(job, 'timeout', errors.create(errors.CODES.TIMEOUT, `job ${job.name} timed out`, { job }));
    job.emit('timeout');
    job.close();
  } else {
    fail(job, abortError(job, rec.signal), 'abort');
  }
}

/** Takes an expired job out of `client.jobs`; its later packets are dropped quietly. */
function forget(client, job) {
  const st = clientState(client);
  expiredJobs.add(job);
  if (job.handle === undefined) return; // not created yet: the JOB_CREATED files it (see created)
  const key = job.getUid();
  if (client.jobs[key] === job) delete client.jobs[key];
  remember(st, key);
}

function remember(st, key) {
  st.expired.set(key, true);
  if (st.expired.size > MAX_EXPIRED) st.expired.delete(st.expired.keys().next().value);
}

/** Jobs that expired before JOB_CREATED (still in a server's FIFO). */
const expiredJobs = new WeakSet();

/**
 * For `client._response`: whether the packet about `key` (`uid#handle`) belongs to an expired job,
 * in which case it is dropped (and the key forgotten after the job's last packet).
 */
function dropLate(client, key, job, terminal) {
  if (job !== undefined && expiredJobs.has(job)) {
    // JOB_CREATED of a job that expired while waiting for it.
    delete client.jobs[key];
    remember(clientState(client), key);
    log.log('debug', 'packet for an expired job dropped, job=%s', key);
    return true;
  }
  if (job !== undefined) return false;
  const st = clients.get(client);
  if (st === undefined || !st.expired.has(key)) return false;
  if (terminal) st.expired.delete(key);
  log.log('debug', 'packet for an expired job dropped, job=%s', key);
  return true;
}

/** Forgets the expired keys of one server (its connection is gone: nothing more comes for them). */
function serverGone(client, uid) {
  const st = clients.get(client);
  if (st === undefined || st.expired.size === 0) return;
  const prefix = uid + '#';
  for (const key of st.expired.keys()) {
    if (key.startsWith(prefix)) st.expired.delete(key);
  }
}

/** The jobs of a client still in flight. */
function inFlight(client) {
  const st = clients.get(client);
  return st === undefined ? [] : Array.from(st.jobs);
}

/** Resolves when the client has no job in flight. */
function whenIdle(client) {
  const st = clientState(client);
  if (st.jobs.size === 0) return Promise.resolve();
  return new Promise((resolve) => st.idle.push(resolve));
}

module.exports = { checkOptions, begin, sentTo, ended, fail, expire, dropLate, serverGone, inFlight, whenIdle };
