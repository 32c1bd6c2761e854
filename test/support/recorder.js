'use strict';
// Records the events of clients, workers and jobs as short strings ('client:socketError:ECONNRESET',
// 'job:complete:done', ...) and lets a test wait for a condition on them without fixed sleeps.

const OWNER_EVENTS = ['socketConnect', 'socketError', 'socketDisconnect', 'jobServerError', 'error', 'close'];
const JOB_EVENTS = ['submited', 'created', 'workData', 'warning', 'status', 'complete', 'failed', 'exception',
  'error', 'close', 'timeout'];

function describeErr(err) {
  if (err === undefined) return 'undefined';
  if (err === true) return 'true';
  if (err === null) return 'null';
  if (err instanceof Error) return err.code || err.message;
  return String(err);
}

function text(v) {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

class Recorder {
  constructor() {
    this.events = [];
    this.errors = []; // Error objects seen (owner and job 'error', 'socketError')
    this._waiters = [];
  }

  push(e) {
    this.events.push(e);
    for (const w of this._waiters.slice()) {
      if (w.pred(this.events)) {
        clearTimeout(w.timer);
        this._waiters.splice(this._waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** Records the events of a client or a worker under `label`. */
  owner(o, label) {
    for (const name of OWNER_EVENTS) {
      o.on(name, (...args) => {
        if (name === 'socketError') {
          this.errors.push(args[1]);
          this.push(`${label}:socketError:${describeErr(args[1])}`);
        } else if (name === 'socketDisconnect') {
          this.push(`${label}:socketDisconnect:${describeErr(args[1])}`);
        } else if (name === 'error') {
          this.errors.push(args[0]);
          this.push(`${label}:error:${args[0] && args[0].message}`);
        } else if (name === 'jobServerError') {
          this.push(`${label}:jobServerError:${args[1]}`);
        } else {
          this.push(`${label}:${name}`);
        }
      });
    }
    return o;
  }

  /** Records the events of a job under `label`. */
  job(j, label = 'job') {
    if (j instanceof Error) throw j;
    for (const name of JOB_EVENTS) {
      j.on(name, (...args) => {
        if (name === 'error') {
          this.errors.push(args[0]);
          this.push(`${label}:error:${describeErr(args[0])}`);
        } else if (name === 'complete') {
          this.push(`${label}:complete:${text(j.response)}`);
        } else if (name === 'workData' || name === 'warning' || name === 'exception') {
          this.push(`${label}:${name}:${text(args[0])}`);
        } else {
          this.push(`${label}:${name}`);
        }
      });
    }
    return j;
  }

  /** Resolves once `pred(events)` holds; rejects after `timeout` ms with the events so far. */
  wait(pred, timeout = 5000, what = 'condition') {
    if (typeof pred === 'string') {
      const needle = pred;
      what = needle;
      pred = (ev) => ev.includes(needle);
    }
    if (pred(this.events)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        this._waiters.splice(this._waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${timeout} ms waiting for ${what}; events: ${JSON.stringify(this.events)}`));
      }, timeout);
      this._waiters.push(w);
    });
  }

  /** Events with the given prefix ('job:' ...). */
  of(prefix) {
    return this.events.filter((e) => e.startsWith(prefix));
  }
}

module.exports = { Recorder, OWNER_EVENTS, JOB_EVENTS, describeErr };
