'use strict';
/**
 * A worker's grab cycle (COMPATIBILITY.md#grab-cycle): asking for jobs (GRAB_JOB, GRAB_JOB_UNIQ,
 * GRAB_JOB_ALL), sleeping (PRE_SLEEP) and waking (NOOP, or `pollInterval`), the GRABs outstanding
 * per server, and the next GRAB right after an answered job. lib/gearmanode/worker.js's `_response`
 * and `_preSleep` drive it.
 */
const jobModule = require('../gearmanode/job');
const { state, PRE_SLEEP, GRAB_JOB, GRAB_JOB_UNIQ, GRAB_JOB_ALL } = require('./worker-state');

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

module.exports = { sleep, wake, defersSleep, countGrab, grabIfFree, grabPacket, grabNext };
