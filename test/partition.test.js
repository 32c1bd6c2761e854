'use strict';
// Dead servers are found (the `keepAlive` option; src/transport/liveness.rs): real partitions on
// loopback with iptables (test/support/partition.js: packets dropped both ways, no FIN, no RST)
// against real gearmand instances on 4740+. Needs root and iptables; with CI=true a missing
// iptables fails the suite instead of skipping it.
const crypto = require('crypto');
const assert = require('assert');
require('should');
const gearmanode = require('..');
const gearmand = require('./support/gearmand');
const { partition, available } = require('./support/partition');
const { once, sleep, until } = require('./support/trace');

const fname = (p) => `${p}-${crypto.randomUUID()}`;
const local = (s) => ({ host: '127.0.0.1', port: s.port });

describe('dead servers are found (keepAlive, real partitions)', function () {
  this.timeout(60000);
  let a;
  let b;
  const closing = [];

  before(async function () {
    if (!available()) {
      if (process.env.CI === 'true') throw new Error('iptables is needed for the partition tests (Debian package iptables, as root)');
      this.skip();
    }
    a = await gearmand.start({ port: await gearmand.freePort(4740) });
    b = await gearmand.start({ port: await gearmand.freePort(a.port + 1) });
  });
  after(async function () {
    if (a) await a.stop();
    if (b) await b.stop();
  });
  afterEach(function () {
    for (const x of closing.splice(0)) x.close();
  });

  it('keepAlive 1000: a job created on a partitioned server ends with error + close within seconds; the next job completes on B; the worker serves A again once healed', async function () {
    const client = gearmanode.client({ servers: [local(a), local(b)], keepAlive: 1000 });
    const worker = gearmanode.worker({
      servers: [local(a), local(b)], keepAlive: 1000, recoverTime: 300, recoverLimit: 1000, connectTimeout: 1000,
    });
    closing.push(client, worker);
    const echo = fname('echo');
    worker.addFunction(echo, (job) => job.workComplete(job.payload));
    const socketErrors = [];
    client.on('socketError', (uid, err) => socketErrors.push([uid, err.code]));
    // Warm up both connections of the worker and the client's connection to A (Sequence: A first).
    (await client.submitJobAsync(echo, 'warm', { toStringEncoding: 'utf8' })).should.equal('warm');

    // A job nobody serves, created on A; then A goes silent.
    const held = client.submitJob(fname('nobody'), 'x');
    const seen = [];
    held.on('error', (e) => seen.push(`error:${e.code}`));
    held.on('close', () => seen.push('close'));
    await once(held, 'created');
    const heal = partition(a.port);
    try {
      const started = Date.now();
      await until(() => seen.includes('close'), 20000, 'the held job to end');
      const took = Date.now() - started;
      seen.should.eql(['error:GEARMAN_CONNECTION_LOST', 'close']);
      socketErrors.should.eql([[`127.0.0.1:${a.port}`, 'ETIMEDOUT']]);
      assert.ok(took < 15000, `declared dead after ${took} ms`);
      // A is marked bad: the next job goes to B, where the worker is registered too.
      const next = client.submitJob(echo, 'on B', { toStringEncoding: 'utf8' });
      await once(next, 'complete');
      next.response.should.equal('on B');
      next.jobServerUid.should.equal(`127.0.0.1:${b.port}`);
    } finally {
      heal();
    }
    // Healed: the worker reconnects to A by itself and serves jobs submitted there.
    const onA = gearmanode.client({ servers: [local(a)] });
    closing.push(onA);
    const out = await onA.submitJobAsync(echo, 'back on A', { toStringEncoding: 'utf8', timeout: 20000 });
    out.should.equal('back on A');
  });

  it('keepAlive false and a 1500 ms deadline: the job on a partitioned server ends with timeout + close', async function () {
    const client = gearmanode.client({ servers: [local(a)], keepAlive: false });
    closing.push(client);
    const job = client.submitJob(fname('nobody'), 'x', { timeout: 1500 });
    const seen = [];
    for (const e of ['error', 'timeout', 'close', 'complete']) job.on(e, () => seen.push(e));
    await once(job, 'created');
    const heal = partition(a.port);
    try {
      await until(() => seen.includes('close'), 10000, 'the job to end');
      seen.should.eql(['timeout', 'close']);
    } finally {
      heal();
    }
  });

  it('a healthy but quiet server is never declared dead: an idle worker stays registered past 5 × keepAlive, a long job completes', async function () {
    const client = gearmanode.client({ servers: [local(b)], keepAlive: 1000 });
    const worker = gearmanode.worker({ servers: [local(b)], keepAlive: 1000 });
    closing.push(client, worker);
    const slow = fname('slow');
    const disconnects = [];
    worker.on('socketDisconnect', (uid) => disconnects.push(uid));
    client.on('socketDisconnect', (uid) => disconnects.push(uid));
    worker.addFunction(slow, (job) => setTimeout(() => job.workComplete('finished'), 6000));
    // Idle for 6 s (5 × keepAlive and more): probes are answered, nothing is torn down.
    await sleep(6000);
    disconnects.should.eql([]);
    const out = await client.submitJobAsync(slow, 'x', { toStringEncoding: 'utf8' });
    out.should.equal('finished');
    disconnects.should.eql([]);
  });

  it('checks the option: whole ms from 1000, or false', function () {
    for (const bad of [0, 999, 1.5, '1000', true, null]) {
      gearmanode.client({ port: a.port, keepAlive: bad }).should.be.an.Error();
      gearmanode.worker({ port: a.port, keepAlive: bad }).should.be.an.Error();
    }
    const ok = gearmanode.client({ port: a.port, keepAlive: false });
    ok.should.not.be.an.Error();
    ok.close();
  });
});
