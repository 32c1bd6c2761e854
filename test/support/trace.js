'use strict';
/**
 * Records the `emit` calls of several objects in ONE ordered list, so that a test can compare the
 * interleaving of events across a client, its job servers and its jobs (or the same scenario run on
 * the original gearmanode and on ours).
 *
 *   const { Trace } = require('./support/trace');
 *   const t = new Trace({ ignore: [CI] });
 *   t.watch(client, 'client');
 *   const job = client.submitJob(name, payload);
 *   t.watch(job, 'job');
 *   await t.waitFor('job', 'complete');
 *   t.pairs();            // ['client:socketConnect', 'job:submited', 'job:created', 'job:complete']
 *   t.count('job');       // emits recorded on the job
 *   t.restore();          // puts back the emit properties that were there before
 *
 * `watch` replaces the object's `emit` property with a wrapper that records `{label, event, args}`
 * and then calls the emit that was in place (so sinon spies set before or after still see every
 * call, and the library keeps dispatching through the object's current property,
 * COMPATIBILITY.md#ground-rules).
 * Everything is recorded, including `error` emits that throw for lack of a listener (marked
 * `threw: true`).
 */

class Trace {
  /**
   * @param {object} [options]
   * @param {Array<string|symbol>} [options.ignore] events not recorded (e.g. the JobServer's
   *   internal connect event)
   */
  constructor({ ignore = [] } = {}) {
    this.events = [];
    this.ignore = new Set(ignore);
    this._watched = [];
    this._waiters = [];
  }

  /**
   * Starts recording `obj`'s emits under `label` (one label may cover several objects).
   * @returns {object} obj
   */
  watch(obj, label) {
    const trace = this;
    const had = Object.prototype.hasOwnProperty.call(obj, 'emit');
    const previous = obj.emit;
    const wrapper = function emit(event, ...args) {
      let entry = null;
      if (!trace.ignore.has(event)) {
        entry = { label, event, args };
        trace.events.push(entry);
        trace._check();
      }
      try {
        return previous.apply(this, [event, ...args]);
      } catch (err) {
        if (entry) entry.threw = true;
        throw err;
      }
    };
    obj.emit = wrapper;
    this._watched.push({ obj, had, previous, wrapper });
    return obj;
  }

  /** Stops recording: restores the emit properties, newest first. */
  restore() {
    for (let i = this._watched.length - 1; i >= 0; i--) {
      const w = this._watched[i];
      if (w.obj.emit !== w.wrapper) continue; // replaced since; leave it alone
      if (w.had) w.obj.emit = w.previous;
      else delete w.obj.emit;
    }
    this._watched = [];
  }

  /** Entries, optionally only those of `label` (and `event`). */
  entries(label, event) {
    return this.events.filter((e) => (label === undefined || e.label === label) && (event === undefined || e.event === event));
  }

  /** `'label:event'` strings, in order, optionally only those of the given labels. */
  pairs(...labels) {
    const list = labels.length ? this.events.filter((e) => labels.includes(e.label)) : this.events;
    return list.map((e) => `${e.label}:${String(e.event)}`);
  }

  /** Number of recorded emits, optionally of `label` (and `event`). */
  count(label, event) {
    return this.entries(label, event).length;
  }

  /** Forgets what was recorded (keeps watching). */
  clear() {
    this.events = [];
  }

  /**
   * Resolves once `count` emits of `event` on `label` have been recorded (already recorded ones
   * count). Rejects after `timeout` ms with the trace so far in the message.
   */
  waitFor(label, event, { count = 1, timeout = 8000 } = {}) {
    return new Promise((resolve, reject) => {
      const waiter = { label, event, count, resolve, timer: null };
      waiter.timer = setTimeout(() => {
        this._waiters = this._waiters.filter((w) => w !== waiter);
        reject(new Error(`timeout waiting for ${label}:${String(event)} x${count}; trace: ${this.pairs().join(', ')}`));
      }, timeout);
      this._waiters.push(waiter);
      this._check();
    });
  }

  _check() {
    if (this._waiters.length === 0) return;
    const done = this._waiters.filter((w) => this.count(w.label, w.event) >= w.count);
    if (done.length === 0) return;
    this._waiters = this._waiters.filter((w) => !done.includes(w));
    for (const w of done) {
      clearTimeout(w.timer);
      // Resolve after the current emit has been dispatched to the listeners.
      process.nextTick(w.resolve);
    }
  }
}

/**
 * Resolves with the arguments of the next `event` on `emitter` (a plain listener, not a trace);
 * rejects after `timeout` ms.
 */
function once(emitter, event, timeout = 8000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, onEvent);
      reject(new Error(`timeout waiting for ${String(event)}`));
    }, timeout);
    function onEvent(...args) {
      clearTimeout(timer);
      resolve(args);
    }
    emitter.once(event, onEvent);
  });
}

/**
 * Resolves with the first truthy value of `fn()` (sync or async), polled every 20 ms; rejects after
 * `ms` ms (for state that lands on objects we cannot listen to).
 */
async function until(fn, ms = 8000, what = 'condition') {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await sleep(20);
  }
}

/** Resolves after `ms` ms (only for grace periods that prove something does NOT happen). */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves after the current tick queue and one turn of the event loop. */
function tick() {
  return new Promise((resolve) => setImmediate(resolve));
}

module.exports = { Trace, once, until, sleep, tick };
