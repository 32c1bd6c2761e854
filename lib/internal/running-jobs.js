'use strict';
/**
 * The worker's grab-cycle bookkeeping of one job server (lib/gearmanode/worker.js): the jobs it
 * runs there, as a list through their hidden records (lib/gearmanode/job.js) so that a job costs
 * no allocation here, and the GRAB_JOBs it has out.
 */

/**
 * A server's record:
 * - first, last, size: the running jobs' records, oldest first
 * - grabbing: GRAB_JOBs sent and not answered yet
 * - quiet: the oldest unanswered GRAB was sent after an answered job (without a concurrency limit):
 *   its NO_JOB sends PRE_SLEEP without a second `_preSleep` call (the answer's call stands for it)
 */
function createSlot() {
  return { first: null, last: null, size: 0, grabbing: 0, quiet: false };
}

/** Appends a job's hidden record (with `prev`, `next`, `slot`) to the server's list. */
function link(slot, rec) {
  rec.slot = slot;
  rec.prev = slot.last;
  rec.next = null;
  if (slot.last === null) slot.first = rec;
  else slot.last.next = rec;
  slot.last = rec;
  slot.size++;
}

/** Takes a job's hidden record out of its server's list. */
function unlink(rec) {
  const slot = rec.slot;
  if (rec.prev === null) slot.first = rec.next;
  else rec.prev.next = rec.next;
  if (rec.next === null) slot.last = rec.prev;
  else rec.next.prev = rec.prev;
  slot.size--;
  rec.slot = rec.prev = rec.next = null;
}

/** The records of the running jobs, oldest first, as an array (safe to close them while walking). */
function records(slot) {
  const out = [];
  for (let rec = slot.first; rec !== null; rec = rec.next) out.push(rec);
  return out;
}

module.exports = { createSlot, link, unlink, records };
