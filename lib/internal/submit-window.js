'use strict';
/**
 * The submit window of a client's job server: at most SUBMIT_WINDOW submits wait for JOB_CREATED
 * on one connection (sent, or queued for the connection); later submits are held back here and go
 * out as answers come back. gearmand answers in order anyway, so this costs no throughput; it keeps
 * `jobsWaiting4Created` short (V8 copies a long array on every shift(), which made 50,000 pipelined
 * submits quadratic) and bounds what waits for a lazy connect. A held-back job is sent (and emits
 * `submited`) when it leaves the window; if the connection goes first, its callback gets the error
 * like every queued send (COMPATIBILITY.md#decision-submit-window).
 */
const lifecycle = require('./lifecycle');

const SUBMIT_WINDOW = 4096;

/** Held-back submits per job server: `{list: [{data, cb}], head}` (a FIFO read from `head`). */
const held = new WeakMap();

function inFlight(js) {
  return js.jobsWaiting4Created.length + lifecycle.queuedSends(js);
}

/** `js.send(packet, cb)` for a SUBMIT_JOB* packet, within the window. */
function submit(js, data, cb) {
  const h = held.get(js);
  if (h === undefined && inFlight(js) < SUBMIT_WINDOW) return js.send(data, cb);
  if (h === undefined) held.set(js, { list: [{ data, cb }], head: 0 });
  else h.list.push({ data, cb });
  return undefined;
}

/** Sends held-back submits while the window has room (after a JOB_CREATED). */
function release(js) {
  const h = held.get(js);
  if (h === undefined) return;
  while (h.head < h.list.length && js.connected && inFlight(js) < SUBMIT_WINDOW) {
    const d = h.list[h.head];
    h.list[h.head++] = undefined;
    js.send(d.data, d.cb);
  }
  if (h.head >= h.list.length) {
    held.delete(js);
  } else if (h.head > 1024) {
    h.list = h.list.slice(h.head);
    h.head = 0;
  }
}

// At the end of a teardown, after the queued sends: every held-back submit hears the error, in order.
lifecycle.onTeardown(function failHeld(js, err) {
  const h = held.get(js);
  if (h === undefined) return;
  held.delete(js);
  for (let i = h.head; i < h.list.length; i++) {
    if (typeof h.list[i].cb === 'function') h.list[i].cb(err);
  }
});

module.exports = { SUBMIT_WINDOW, submit, release };
