'use strict';
/**
 * Tracing hooks on `node:diagnostics_channel`, for APM and OpenTelemetry instrumentation without
 * patching (as undici and the database drivers publish). Nothing is built or published unless a
 * subscriber listens: each site checks `hasSubscribers` first, one property read.
 *
 * - TracingChannel `gearmanode:client:job`: `start` when a job is submitted, `error` then `end`
 *   when it ends in failure, `end` when it ends otherwise. The context object (the same one for
 *   every message of a job): `{ job, name, unique, priority, background, server }`; at the end
 *   also `outcome` ('complete' | 'failed' | 'exception' | 'created' | 'error' | 'timeout' | 'abort'
 *   | 'close') and, for a failure, `error`.
 * - TracingChannel `gearmanode:worker:job`: `start` at JOB_ASSIGN, `end` when the worker has
 *   answered it (or given it up). Context: `{ job, name, handle, unique, server }`; at the end
 *   `outcome` ('complete' | 'failed' | 'exception' | 'timeout' | 'abandoned') and, for a
 *   failure, `error`.
 * - Channel `gearmanode:connection`: every transition of a job server's connection, as
 *   `{ server, host, port, owner, from, to, cause, error }` (see lib/internal/lifecycle.js).
 */
const dc = require('diagnostics_channel');
const errors = require('../errors');

const clientJob = dc.tracingChannel('gearmanode:client:job');
const workerJob = dc.tracingChannel('gearmanode:worker:job');
const connection = dc.channel('gearmanode:connection');

/** Outcomes that end a job in failure (an `error` message precedes the `end`). */
const FAILURES = new Set(['failed', 'exception', 'error', 'timeout', 'abort', 'abandoned']);

/** Publishes the start of a client job; returns its context. */
function clientJobStart(job, server) {
  const ctx = {
    job,
    name: job.name,
    unique: job.unique,
    priority: job.priority,
    background: job.background === true,
    server,
  };
  clientJob.start.publish(ctx);
  return ctx;
}

function finish(channel, ctx, outcome, error) {
  ctx.outcome = outcome;
  if (FAILURES.has(outcome)) {
    ctx.error = error !== undefined ? error : errors.create(outcomeCode(outcome), `job ${ctx.name}: ${outcome}`);
    channel.error.publish(ctx);
  }
  channel.end.publish(ctx);
}

function outcomeCode(outcome) {
  switch (outcome) {
    case 'failed': return errors.CODES.JOB_FAILED;
    case 'exception': return errors.CODES.JOB_EXCEPTION;
    case 'timeout': return errors.CODES.TIMEOUT;
    default: return errors.CODES.CONNECTION_LOST;
  }
}

/** Publishes the end of a client job. */
function clientJobEnd(ctx, outcome, error) {
  finish(clientJob, ctx, outcome, error);
}

/** Publishes the start of a worker job (JOB_ASSIGN); returns its context, or null without subscribers. */
function workerJobStart(job) {
  if (!workerJob.hasSubscribers) return null;
  const ctx = { job, name: job.name, handle: job.handle, unique: job.unique, server: job.jobServerUid };
  workerJob.start.publish(ctx);
  return ctx;
}

/** Publishes the end of a worker job. */
function workerJobEnd(ctx, outcome, error) {
  finish(workerJob, ctx, outcome, error);
}

/** Publishes a connection transition (the caller checked `connection.hasSubscribers`). */
function connectionChanged(js, from, to, cause, error) {
  const owner = js.clientOrWorker;
  connection.publish({
    server: js.getUid(),
    host: js.host,
    port: js.port,
    owner: owner ? owner._type : undefined,
    from,
    to,
    cause,
    error,
  });
}

module.exports = {
  clientJob, workerJob, connection, clientJobStart, clientJobEnd, workerJobStart, workerJobEnd, connectionChanged,
};
