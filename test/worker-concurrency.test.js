'use strict';
// The worker's `concurrency` option (beyond gearmanode 0.9.2): up to N jobs at once per server,
// and the next job asked for as soon as a slot is free. Without the option the worker runs one job at
// a time (worker.test.js and worker-grab-cycle.test.js).
const crypto = require('crypto');
const should = require('should');
const gearmanode = require('..');
const protocol = require('../lib/gearmanode/protocol');
const { defaultServer } = require('./support/hooks');

const T = protocol.PACKET_TYPES;
const fname = (p) => `${p}-${crypto.randomUUID()}`;

describe('worker concurrency option', function () {
  const open = [];
  afterEach(function () {
    while (open.length) open.pop().close();
  });

  it('accepts a positive integer and returns an Error otherwise', function () {
    for (const bad of [0, -1, 1.5, '2', null, NaN, Infinity]) {
      const w = gearmanode.worker({ port: defaultServer.port, concurrency: bad });
      w.should.be.instanceOf(Error);
      w.message.should.equal(`value '${bad}' not in defined range, key=concurrency`);
    }
    const w = gearmanode.worker({ port: defaultServer.port, concurrency: 3 });
    open.push(w);
    w.should.be.instanceOf(gearmanode.Worker);
    Object.keys(w).should.not.containEql('concurrency');
  });

  it('runs at most N jobs at once and serves every job', async function () {
    const fn = fname('conc');
    const worker = gearmanode.worker({ port: defaultServer.port, concurrency: 3 });
    const client = gearmanode.client({ port: defaultServer.port });
    open.push(worker, client);
    let running = 0;
    let peak = 0;
    const held = [];
    worker.addFunction(fn, (job) => {
      running++;
      peak = Math.max(peak, running);
      held.push(job);
      // Hold jobs until three run at once, then release them together.
      if (held.length === 3) {
        setTimeout(() => {
          for (const j of held.splice(0)) {
            running--;
            j.workComplete(j.payload);
          }
        }, 20);
      }
    });
    const results = await Promise.all(Array.from({ length: 9 }, (_, i) =>
      client.submitJobAsync(fn, String(i), { toStringEncoding: 'utf8' })));
    results.sort().should.eql(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
    peak.should.equal(3);
  });

  it('asks for the next job right after a job ends, without waiting for NOOP', async function () {
    const fn = fname('pipe');
    const worker = gearmanode.worker({ port: defaultServer.port, concurrency: 1 });
    const client = gearmanode.client({ port: defaultServer.port });
    open.push(worker, client);
    const js = worker.jobServers[0];
    const sent = [];
    const send = js.send;
    js.send = function (data, cb) {
      sent.push(data.readUInt32BE(4));
      return send.call(this, data, cb);
    };
    const received = [];
    const response = js._processData;
    js._processData = function (chunk) {
      let at = 0;
      while (at + 12 <= chunk.length) {
        received.push(chunk.readUInt32BE(at + 4));
        at += 12 + chunk.readUInt32BE(at + 8);
      }
      return response.call(this, chunk);
    };
    worker.addFunction(fn, (job) => job.workComplete('ok'));
    for (let i = 0; i < 3; i++) {
      (await client.submitJobAsync(fn, 'x', { toStringEncoding: 'utf8' })).should.equal('ok');
    }
    await new Promise((r) => setTimeout(r, 50));
    // Every WORK_COMPLETE is followed at once by a GRAB, without a PRE_SLEEP between them.
    const afterComplete = [];
    sent.forEach((t, i) => { if (t === T.WORK_COMPLETE) afterComplete.push(sent[i + 1]); });
    afterComplete.should.eql([T.GRAB_JOB, T.GRAB_JOB, T.GRAB_JOB]);
    // Never more than one GRAB_JOB outstanding with concurrency 1: at the end, at most one is
    // still unanswered (it waits for the next job).
    received.filter((t) => t === T.JOB_ASSIGN).should.have.length(3);
    const grabs = sent.filter((t) => t === T.GRAB_JOB).length;
    const answers = received.filter((t) => t === T.JOB_ASSIGN || t === T.NO_JOB).length;
    (grabs - answers).should.be.within(0, 1);
    js.send = send;
  });
});
