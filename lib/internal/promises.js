'use strict';
/**
 * The promise API (beyond gearmanode 0.9.2): a job's outcome as a Promise, and a client call that
 * submits and waits in one step. The event API stays as it was; these only listen to it.
 */
const errors = require('../errors');

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The outcome of a client-side job: resolves with `job.response` on `complete` (a Buffer, or a
 * string with `toStringEncoding`); for a background job, resolves with the job on `created`.
 * Rejects with a GearmanError on `failed` (GEARMAN_JOB_FAILED), `exception` (GEARMAN_JOB_EXCEPTION,
 * the worker's data in `.data`), `error` (the job's error) or `close` before any of these
 * (GEARMAN_JOB_CLOSED), or `timeout` (GEARMAN_TIMEOUT: the `timeout` option or `client.shutdown`).
 * @param {Job} job
 * @returns {Promise}
 */
function jobPromise(job) {
  return new Promise(function (resolve, reject) {
    if (job.closed === true) {
      reject(errors.create(errors.CODES.JOB_CLOSED, 'job is closed', { job }));
      return;
    }
    if (job.processing === false && hasOwn(job, 'response')) {
      resolve(job.response);
      return;
    }
    // One listener per event that ends the job; the first to fire removes them all.
    const outcomes = {
      complete: () => [resolve, job.response],
      created: () => (job.background === true ? [resolve, job] : null),
      failed: () => [reject, errors.create(errors.CODES.JOB_FAILED, `job ${job.name} failed`, { job })],
      exception: (data) => [reject, errors.create(errors.CODES.JOB_EXCEPTION,
        `job ${job.name} failed with an exception: ${data}`, { job, data })],
      error: (err) => [reject, err],
      timeout: () => [reject, errors.create(errors.CODES.TIMEOUT, `job ${job.name} timed out`, { job })],
      close: () => [reject, errors.create(errors.CODES.JOB_CLOSED, `job ${job.name} closed before it ended`, { job })],
    };
    const listeners = {};
    for (const event of Object.keys(outcomes)) {
      listeners[event] = function (arg) {
        const outcome = outcomes[event](arg);
        if (outcome === null) return;
        for (const e of Object.keys(listeners)) job.removeListener(e, listeners[e]);
        outcome[0](outcome[1]);
      };
      job.on(event, listeners[event]);
    }
  });
}

/**
 * Submits a job and waits for it: `await client.submitJobAsync('reverse', 'abc')`.
 * Rejects at once with the Error `submitJob` would have returned.
 * @returns {Promise} see jobPromise
 */
function submitJobAsync(client, name, payload, options) {
  const job = client.submitJob(name, payload, options);
  if (job instanceof Error) return Promise.reject(job);
  return jobPromise(job);
}

module.exports = { jobPromise, submitJobAsync };
