'use strict';
// The admin text protocol client (beyond gearmanode 0.9.2), against the real gearmand on 4730.
const crypto = require('crypto');
const should = require('should');
const gearmanode = require('..');
const native = require('../lib/internal/native');
const { defaultServer } = require('./support/hooks');
const gearmand = require('./support/gearmand');

const unique = (p) => `${p}-${crypto.randomUUID()}`;
const until = async (fn, ms = 5000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('admin protocol', function () {
  let admin;
  const open = [];
  beforeEach(function () {
    admin = gearmanode.admin({ port: defaultServer.port });
  });
  afterEach(function () {
    admin.close();
    while (open.length) open.pop().close();
  });

  it('is exported by the main module without changing its keys', function () {
    Object.keys(gearmanode).should.eql(['client', 'worker', 'Client', 'Worker', 'Job']);
    gearmanode.admin.should.be.a.Function();
    admin.should.be.instanceOf(gearmanode.Admin);
  });

  it('reads version, pid and verbose level', async function () {
    const [version, pid, verbose] = await Promise.all([admin.version(), admin.getPid(), admin.verbose()]);
    version.should.match(/^\d+\.\d+/);
    (`OK ${version}`).should.equal(await gearmand.adminCommand(defaultServer.port, 'version'));
    pid.should.be.a.Number().above(0);
    verbose.should.match(/^[A-Z]+$/);
  });

  it('lists a registered function in status and the worker with its id in workers', async function () {
    const fn = unique('adm');
    const id = unique('wid');
    const worker = gearmanode.worker({ port: defaultServer.port });
    open.push(worker);
    worker.addFunction(fn, (job) => job.workComplete('ok'));
    worker.setWorkerId(id);
    const row = await until(async () => (await admin.status()).find((r) => r.function === fn));
    row.should.eql({ function: fn, total: 0, running: 0, availableWorkers: 1 });
    const w = await until(async () => (await admin.workers()).find((r) => r.clientId === id));
    w.functions.should.eql([fn]);
    w.ip.should.match(/127\.0\.0\.1|::1/);
    w.fd.should.be.a.Number();
    const prio = await admin.priorityStatus();
    prio.find((r) => r.function === fn).should.eql({ function: fn, high: 0, normal: 0, low: 0, availableWorkers: 1 });
  });

  it('counts queued background jobs per priority; cancel job is accepted for them', async function () {
    const fn = unique('adm-bg');
    const client = gearmanode.client({ port: defaultServer.port });
    open.push(client);
    const handles = await Promise.all(['HIGH', 'LOW', 'LOW'].map((priority) => new Promise((resolve) => {
      const job = client.submitJob(fn, 'x', { background: true, priority });
      job.on('created', () => resolve(job.handle));
    })));
    const prio = (await admin.priorityStatus()).find((r) => r.function === fn);
    prio.should.eql({ function: fn, high: 1, normal: 0, low: 2, availableWorkers: 0 });
    (await admin.status()).find((r) => r.function === fn).total.should.equal(3);
    const shown = await admin.showJobs();
    handles.forEach((h) => shown.some((line) => line.indexOf(h) === 0).should.be.true());
    // gearmand 1.1.20 answers OK to `cancel job` for a queued job (it does not take it off the
    // `status` counts, though): the command resolves.
    for (const h of handles) should(await admin.cancelJob(h)).be.undefined();
    // Leave nothing queued behind: a worker drains the function.
    const worker = gearmanode.worker({ port: defaultServer.port });
    open.push(worker);
    worker.addFunction(fn, (job) => job.workComplete(''));
    await until(async () => (await admin.status()).find((r) => r.function === fn).total === 0);
  });

  it('creates, limits and drops a function', async function () {
    const fn = unique('adm-fn');
    await admin.createFunction(fn);
    (await admin.status()).some((r) => r.function === fn).should.be.true();
    await admin.maxQueue(fn, 10);
    await admin.maxQueue(fn, { high: 1, normal: 2, low: 3 });
    await admin.maxQueue(fn);
    await admin.dropFunction(fn);
    (await admin.status()).some((r) => r.function === fn).should.be.false();
  });

  it('rejects a server ERR with GEARMAN_SERVER_ERROR and keeps the connection usable', async function () {
    const err = await admin.cancelJob('H:no-such-job').then(() => null, (e) => e);
    should.exist(err);
    err.code.should.equal('GEARMAN_SERVER_ERROR');
    err.serverCode.should.equal('UNKNOWN_JOB');
    (await admin.version()).should.match(/^\d/);
  });

  it('refuses arguments that would split the command line, sending nothing', async function () {
    const err = await admin.createFunction('two words').then(() => null, (e) => e);
    err.code.should.equal('GEARMAN_ADMIN_BAD_ARGUMENT');
    const err2 = await admin.cancelJob('a\r\nshutdown').then(() => null, (e) => e);
    err2.code.should.equal('GEARMAN_ADMIN_BAD_ARGUMENT');
    should(() => native.adminEncode('shutdown', [])).throw(/unknown admin command/);
    (await admin.version()).should.match(/^\d/);
  });

  it('pipelines commands on one connection and answers them in order', async function () {
    const results = await Promise.all([admin.version(), admin.status(), admin.getPid(), admin.workers(), admin.verbose()]);
    results[0].should.be.a.String();
    results[1].should.be.an.Array();
    results[2].should.be.a.Number();
    results[3].should.be.an.Array();
    results[4].should.be.a.String();
  });

  it('rejects with ECONNREFUSED when nothing listens, and reconnects for the next command', async function () {
    const refused = gearmanode.admin({ port: defaultServer.refusedPort });
    open.push(refused);
    const err = await refused.version().then(() => null, (e) => e);
    err.code.should.equal('ECONNREFUSED');
    refused.port = defaultServer.port;
    (await refused.version()).should.match(/^\d/);
  });

  it('rejects commands after close() with GEARMAN_CLOSED', async function () {
    const pending = admin.status();
    admin.close();
    const err = await pending.then(() => null, (e) => e);
    err.code.should.equal('GEARMAN_CLOSED');
    const later = await admin.version().then(() => null, (e) => e);
    later.code.should.equal('GEARMAN_CLOSED');
  });
});
