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
    let settled = false;
    const done = function (fn, value) {
      if (settled) return;
      settled = true;
      job.removeListener('complete', onComplete);
      job.removeListener('created', onCreated);
      job.removeListener('failed', onFailed);
      job.removeListener('exception', onException);
      job.removeListener('error', onError);
      job.removeListener('close', onClose);
      job.removeListener('timeout', onTimeout);
      fn(value);
    };
    const onComplete = function () { done(resolve, job.response); };
    const onCreated = function () { if (job.background === true) done(resolve, job); };
    const onFailed = function () {
      done(reject, errors.create(errors.CODES.JOB_FAILED, `job ${job.name} failed`, { job }));
    };
    const onException = function (data) {
      done(reject, errors.create(errors.CODES.JOB_EXCEPTION,
        `job ${job.name} failed with an exception: ${data}`, { job, data }));
    };
    const onError = function (err) { done(reject, err); };
    const onTimeout = function () {
      done(reject, errors.create(errors.CODES.TIMEOUT, `job ${job.name} timed out`, { job }));
    };
    const onClose = function () {
      done(reject, errors.create(errors.CODES.JOB_CLOSED, `job ${job.name} closed before it ended`, { job }));
    };
    job.on('complete', onComplete);
    job.on('created', onCreated);
    job.on('failed', onFailed);
    job.on('exception', onException);
    job.on('error', onError);
    job.on('close', onClose);
    job.on('timeout', onTimeout);
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
