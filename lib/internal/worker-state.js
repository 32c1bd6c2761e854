'use strict';
/**
 * A Worker's hidden state (kept off the object, so its own keys stay gearmanode 0.9.2's fields) and
 * the packets without arguments it sends, encoded once. Shared by lib/gearmanode/worker.js,
 * grab-cycle.js and worker-recovery.js.
 */
const protocol = require('../gearmanode/protocol');

const T = protocol.PACKET_TYPES;

// Packets without arguments, encoded once.
const PRE_SLEEP = protocol.encodePacket(T.PRE_SLEEP);
const GRAB_JOB = protocol.encodePacket(T.GRAB_JOB);
const GRAB_JOB_UNIQ = protocol.encodePacket(T.GRAB_JOB_UNIQ);
const GRAB_JOB_ALL = protocol.encodePacket(protocol.PACKETS.GRAB_JOB_ALL.code);
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


module.exports = { state, PRE_SLEEP, GRAB_JOB, GRAB_JOB_UNIQ, GRAB_JOB_ALL, RESET_ABILITIES };
