'use strict';
// Tracing hooks on node:diagnostics_channel (lib/internal/diagnostics.js, README "Tracing"): the
// client job and worker job TracingChannels and the connection channel, with real gearmand on 4730.
const crypto = require('crypto');
const dc = require('diagnostics_channel');
require('should');
const gearmanode = require('..');
const { defaultServer } = require('./support/hooks');
const { once, until } = require('./support/trace');

const fname = (p) => `${p}-${crypto.randomUUID()}`;

/** Subscribes to a TracingChannel; returns the messages as [kind, snapshot of ctx] and an unsubscribe. */
function listen(name) {
  const got = [];
  const snap = (kind) => (ctx) => got.push([kind, { ...ctx }]);
  const handlers = { start: snap('start'), end: snap('end'), asyncStart: snap('asyncStart'), asyncEnd: snap('asyncEnd'), error: snap('error') };
  const tc = dc.tracingChannel(name);
  tc.subscribe(handlers);
  return { got, stop: () => tc.unsubscribe(handlers) };
}

describe('tracing hooks (diagnostics_channel)', function () {
  let client;
  let worker;
  beforeEach(function () {
    client = gearmanode.client({ port: defaultServer.port });
    worker = gearmanode.worker({ port: defaultServer.port });
    worker.addFunction('trace-ok', (job) => job.workComplete('done'));
    worker.addFunction('trace-fail', (job) => job.reportError());
  });
  afterEach(function () {
    client.close();
    worker.close();
  });

  it('gearmanode:client:job: start at submit, end with the outcome; error before the end of a failure', async function () {
    const sub = listen('gearmanode:client:job');
    try {
      const unique = fname('u');
      await client.submitJobAsync('trace-ok', 'x', { unique, priority: 'HIGH' });
      await client.submitJobAsync('trace-fail', 'x').catch(() => {});
      await client.submitJobAsync(fname('nobody'), 'x', { timeout: 100 }).catch(() => {});
      const ac = new AbortController();
      const aborted = client.submitJobAsync(fname('nobody'), 'x', { signal: ac.signal }).catch(() => {});
      ac.abort();
      await aborted;
      const kinds = sub.got.map(([k, c]) => `${k}:${c.name.replace(/-[0-9a-f-]{36}$/, '')}:${c.outcome || ''}`);
      kinds.should.eql([
        'start:trace-ok:', 'end:trace-ok:complete',
        'start:trace-fail:', 'error:trace-fail:failed', 'end:trace-fail:failed',
        'start:nobody:', 'error:nobody:timeout', 'end:nobody:timeout',
        'start:nobody:', 'error:nobody:abort', 'end:nobody:abort',
      ]);
      const [, first] = sub.got[0];
      first.unique.should.equal(unique);
      first.priority.should.equal('HIGH');
      first.background.should.be.false();
      const [, ended] = sub.got[1];
      ended.server.should.equal(`${defaultServer.host}:${defaultServer.port}`);
      sub.got[3][1].error.code.should.equal('GEARMAN_JOB_FAILED');
      sub.got[6][1].error.code.should.equal('GEARMAN_TIMEOUT');
      sub.got[9][1].error.code.should.equal('ABORT_ERR');
    } finally {
      sub.stop();
    }
  });

  it('a background job ends with `created`', async function () {
    const sub = listen('gearmanode:client:job');
    try {
      const job = client.submitJob(fname('bg'), 'x', { background: true });
      await once(job, 'created');
      sub.got.map(([k, c]) => [k, c.outcome, c.background]).should.eql([['start', undefined, true], ['end', 'created', true]]);
    } finally {
      sub.stop();
    }
  });

  it('gearmanode:worker:job: start at JOB_ASSIGN, end when answered', async function () {
    const sub = listen('gearmanode:worker:job');
    try {
      await client.submitJobAsync('trace-ok', 'x');
      await client.submitJobAsync('trace-fail', 'x').catch(() => {});
      await until(() => sub.got.length === 5, 5000, 'the worker messages');
      sub.got.map(([k, c]) => `${k}:${c.name}:${c.outcome || ''}`).should.eql([
        'start:trace-ok:', 'end:trace-ok:complete', 'start:trace-fail:', 'error:trace-fail:failed', 'end:trace-fail:failed',
      ]);
      sub.got[0][1].handle.should.startWith('H:');
    } finally {
      sub.stop();
    }
  });

  it('gearmanode:connection: every lifecycle transition of a job server', async function () {
    const got = [];
    const onMessage = (m) => got.push(m);
    dc.subscribe('gearmanode:connection', onMessage);
    try {
      const c = gearmanode.client({ port: defaultServer.port });
      await c.submitJobAsync('trace-ok', 'x');
      c.close();
      got.filter((m) => m.owner === 'Client').map((m) => `${m.owner}:${m.from}->${m.to}`).should.eql([
        'Client:idle->connecting', 'Client:connecting->connected', 'Client:connected->closing', 'Client:closing->idle',
      ]);
      got[0].server.should.equal(`${defaultServer.host}:${defaultServer.port}`);
    } finally {
      dc.unsubscribe('gearmanode:connection', onMessage);
    }
  });

  it('nothing is published, and no context is built, while nobody subscribes', async function () {
    dc.tracingChannel('gearmanode:client:job').hasSubscribers.should.be.false();
    dc.tracingChannel('gearmanode:worker:job').hasSubscribers.should.be.false();
    dc.channel('gearmanode:connection').hasSubscribers.should.be.false();
    const job = client.submitJob('trace-ok', 'x');
    await once(job, 'complete');
    // A subscriber arriving later sees no end of a job it did not see start.
    const sub = listen('gearmanode:client:job');
    try {
      const late = client.submitJob('trace-ok', 'y');
      await once(late, 'complete');
      sub.got.map(([k]) => k).should.eql(['start', 'end']);
    } finally {
      sub.stop();
    }
  });
});
