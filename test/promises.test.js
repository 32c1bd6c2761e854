'use strict';
// The promise API (beyond gearmanode 0.9.2): client.submitJobAsync, job.promise(), and async
// worker functions, against the real gearmand on 4730.
const crypto = require('crypto');
const should = require('should');
const gearmanode = require('..');
const { defaultServer } = require('./support/hooks');

const fname = (p) => `${p}-${crypto.randomUUID()}`;

describe('promise API', function () {
  let client;
  let worker;
  beforeEach(function () {
    client = gearmanode.client({ port: defaultServer.port });
    worker = gearmanode.worker({ port: defaultServer.port });
  });
  afterEach(function () {
    client.close();
    worker.close();
  });

  it('adds no enumerable keys to the prototypes', function () {
    Object.keys(gearmanode.Client.prototype).should.not.containEql('submitJobAsync');
    Object.keys(gearmanode.Job.prototype).should.not.containEql('promise');
    gearmanode.Client.prototype.submitJobAsync.should.be.a.Function();
    gearmanode.Job.prototype.promise.should.be.a.Function();
  });

  it('resolves with the response Buffer, or a string with toStringEncoding', async function () {
    const fn = fname('rev');
    worker.addFunction(fn, (job) => job.workComplete(Buffer.from(job.payload).reverse()));
    const buf = await client.submitJobAsync(fn, Buffer.from([1, 2, 3, 0, 255]));
    Buffer.isBuffer(buf).should.be.true();
    buf.should.eql(Buffer.from([255, 0, 3, 2, 1]));
    (await client.submitJobAsync(fn, 'abc', { toStringEncoding: 'utf8' })).should.equal('cba');
  });

  it('completes a job with the value an async worker function resolves to', async function () {
    const fn = fname('async');
    worker.addFunction(fn, async (job) => {
      await new Promise((r) => setImmediate(r));
      return 'done:' + job.payload.toString();
    });
    (await client.submitJobAsync(fn, 'x', { toStringEncoding: 'utf8' })).should.equal('done:x');
  });

  it('answers once when an async function completes the job itself and resolves undefined', async function () {
    const fn = fname('self');
    const sent = [];
    worker.addFunction(fn, async (job) => {
      const js = worker.jobServers[0];
      const send = js.send;
      js.send = function (data, cb) { sent.push(data.readUInt32BE(4)); return send.call(this, data, cb); };
      job.workComplete('mine');
      js.send = send;
    });
    (await client.submitJobAsync(fn, 'x', { toStringEncoding: 'utf8' })).should.equal('mine');
    await new Promise((r) => setTimeout(r, 50));
    sent.filter((t) => t === 13).should.have.length(1); // one WORK_COMPLETE
  });

  it('rejects with GEARMAN_JOB_EXCEPTION (data attached) when an async function rejects and the client wants exceptions', async function () {
    const fn = fname('reject');
    worker.on('error', () => {});
    worker.addFunction(fn, async () => { throw new Error('boom'); });
    client.jobServers[0].setOption('exceptions');
    const err = await client.submitJobAsync(fn, 'x', { toStringEncoding: 'utf8' }).then(() => null, (e) => e);
    should.exist(err);
    err.code.should.equal('GEARMAN_JOB_EXCEPTION');
    err.data.should.equal('boom');
  });

  it('rejects with GEARMAN_JOB_FAILED on WORK_FAIL', async function () {
    const fn = fname('fail');
    worker.addFunction(fn, (job) => job.reportError());
    const err = await client.submitJobAsync(fn, 'x').then(() => null, (e) => e);
    err.should.be.instanceOf(gearmanode.errors.GearmanError);
    err.code.should.equal('GEARMAN_JOB_FAILED');
    err.job.name.should.equal(fn);
  });

  it('resolves a background job with the job once created', async function () {
    const fn = fname('bg');
    const job = await client.submitJobAsync(fn, 'x', { background: true });
    job.should.be.instanceOf(gearmanode.Job);
    job.handle.should.be.a.String();
    // Leave nothing queued on the shared server.
    await new Promise((resolve) => worker.addFunction(fn, (j) => { j.workComplete(''); resolve(); }));
  });

  it('rejects at once with the Error submitJob returns', async function () {
    const err = await client.submitJobAsync(null, 'x').then(() => null, (e) => e);
    err.message.should.equal('missing mandatory option: name');
  });

  it('rejects with GEARMAN_ALL_SERVERS_FAILED when no server is reachable', async function () {
    const down = gearmanode.client({ port: defaultServer.refusedPort });
    down.on('error', () => {});
    try {
      const err = await down.submitJobAsync(fname('down'), 'x').then(() => null, (e) => e);
      err.code.should.equal('GEARMAN_ALL_SERVERS_FAILED');
    } finally {
      down.close();
    }
  });

  it('rejects with GEARMAN_JOB_CLOSED when the job is closed before it ends', async function () {
    const fn = fname('closed');
    const job = client.submitJob(fn, 'x');
    const p = job.promise();
    job.on('created', () => job.close());
    const err = await p.then(() => null, (e) => e);
    err.code.should.equal('GEARMAN_JOB_CLOSED');
    (await job.promise().then(() => null, (e) => e)).code.should.equal('GEARMAN_JOB_CLOSED');
    await new Promise((resolve) => worker.addFunction(fn, (j) => { j.workComplete(''); resolve(); }));
  });

  it('job.promise() after completion resolves with the response', async function () {
    const fn = fname('late');
    worker.addFunction(fn, (job) => job.workComplete('late'));
    const job = client.submitJob(fn, 'x', { toStringEncoding: 'utf8' });
    await new Promise((r) => job.on('complete', r));
    (await job.promise()).should.equal('late');
  });
});
