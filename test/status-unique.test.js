'use strict';
// Status by unique id (beyond gearmanode 0.9.2): client.getStatusUnique(unique) sends
// GET_STATUS_UNIQUE and resolves with gearmand's STATUS_RES_UNIQUE. Against the default gearmand,
// each test with its own function name and unique ids; several servers are in hash-balancing.test.js.
const assert = require('assert');
const crypto = require('crypto');
const gearmanode = require('../lib/gearmanode');
const { Client } = require('../lib/gearmanode/client');
const { defaultServer } = require('./support/hooks');
const { once, until } = require('./support/trace');
const { closeAfterEach } = require('./support/close-after-each');

const fname = () => `su-${crypto.randomUUID()}`;
const uid = () => `u-${crypto.randomUUID()}`;

describe('getStatusUnique', function () {
  this.timeout(15000);
  const keep = closeAfterEach();
  const client = () => keep(gearmanode.client({ servers: [defaultServer.server] }));
  const worker = () => keep(gearmanode.worker({ servers: [defaultServer.server] }));

  it('is a method of Client, kept off the enumerable surface (as submitJobAsync)', function () {
    assert.strictEqual(typeof Client.prototype.getStatusUnique, 'function');
    assert.ok(!Object.keys(Client.prototype).includes('getStatusUnique'));
  });

  it('a running job whose worker reports status: known, running, numerator, denominator, one waiting client', async function () {
    const fn = fname();
    const unique = uid();
    let release;
    const released = new Promise((r) => (release = r));
    const w = worker();
    const running = new Promise((resolve) => {
      w.addFunction(fn, (job) => {
        job.reportStatus(3, 7);
        resolve(job);
        released.then(() => job.workComplete('done'));
      });
    });
    const c = client();
    const job = c.submitJob(fn, 'payload', { unique });
    const statusSeen = once(job, 'status');
    await running;
    await statusSeen; // the server has the worker's WORK_STATUS
    const s = await c.getStatusUnique(unique);
    assert.deepStrictEqual(s, {
      unique, known: true, running: true, numerator: 3, denominator: 7, waiting: 1,
      jobServerUid: `${defaultServer.host}:${defaultServer.port}`,
    });
    release();
    await once(job, 'complete');
    // Done: the server forgot it.
    const after = await c.getStatusUnique(unique);
    assert.strictEqual(after.known, false);
  });

  it('a job nobody knows: known false, zeros', async function () {
    const unique = uid();
    const s = await client().getStatusUnique(unique);
    assert.deepStrictEqual(s, {
      unique, known: false, running: false, numerator: 0, denominator: 0, waiting: 0,
      jobServerUid: `${defaultServer.host}:${defaultServer.port}`,
    });
  });

  it('a queued background job: known, not running, no client waiting', async function () {
    const fn = fname();
    const unique = uid();
    const c = client();
    const job = c.submitJob(fn, 'x', { background: true, unique });
    await once(job, 'created');
    const s = await c.getStatusUnique(unique);
    assert.deepStrictEqual([s.known, s.running, s.waiting], [true, false, 0]);
  });

  it('several clients waiting on one unique id: `waiting` counts them', async function () {
    const fn = fname();
    const unique = uid();
    let release;
    const released = new Promise((r) => (release = r));
    const w = worker();
    let calls = 0;
    w.addFunction(fn, (job) => {
      calls++;
      released.then(() => job.workComplete('shared'));
    });
    const jobs = [];
    for (let i = 0; i < 3; i++) {
      const job = client().submitJob(fn, 'same', { unique });
      jobs.push(job);
      await once(job, 'created');
    }
    const asker = client();
    const s = await until(async () => {
      const st = await asker.getStatusUnique(unique);
      return st.running && st.waiting === 3 ? st : null;
    }, 8000, 'the job running with three waiting clients');
    assert.strictEqual(s.known, true);
    release();
    await Promise.all(jobs.map((j) => once(j, 'complete')));
    assert.strictEqual(calls, 1);
    for (const j of jobs) assert.strictEqual(String(j.response), 'shared');
  });

  it('answers several requests at once, each with its own id', async function () {
    const c = client();
    const ids = Array.from({ length: 20 }, uid);
    const all = await Promise.all(ids.map((u) => c.getStatusUnique(u)));
    assert.deepStrictEqual(all.map((s) => s.unique), ids);
  });

  it('rejects bad ids without sending anything: not a string, empty, NUL, over 63 bytes', async function () {
    const c = client();
    for (const bad of [undefined, null, 42, Buffer.from('x'), '']) {
      await assert.rejects(c.getStatusUnique(bad), TypeError);
    }
    await assert.rejects(c.getStatusUnique('a\0b'), { code: 'GEARMAN_NUL_IN_ARGUMENT' });
    // gearmand 1.1.20 never answers a GET_STATUS_UNIQUE for a 64-byte id.
    await assert.rejects(c.getStatusUnique('x'.repeat(64)), { code: 'GEARMAN_ARGUMENT_TOO_LARGE' });
    assert.strictEqual(c.jobServers[0].connected, false, 'nothing was sent (the connection is lazy)');
    assert.strictEqual((await c.getStatusUnique('x'.repeat(63))).known, false);
    assert.strictEqual(c.jobServers[0].connected, true);
  });

  it('a closed client rejects with GEARMAN_CLOSED, and so does a request in flight when it closes', async function () {
    const c = client();
    const inFlight = c.getStatusUnique(uid());
    c.close();
    await assert.rejects(inFlight, { code: 'GEARMAN_CLOSED' });
    await assert.rejects(c.getStatusUnique(uid()), { code: 'GEARMAN_CLOSED' });
  });

  it('no server to ask: GEARMAN_ALL_SERVERS_FAILED with the cause', async function () {
    const c = keep(gearmanode.client({ port: defaultServer.refusedPort }));
    c.on('error', () => {});
    const err = await c.getStatusUnique(uid()).then(() => null, (e) => e);
    assert.strictEqual(err.code, 'GEARMAN_ALL_SERVERS_FAILED');
    assert.strictEqual(err.cause.code, 'ECONNREFUSED');
  });
});
