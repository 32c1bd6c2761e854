'use strict';
// The submit window: at most SUBMIT_WINDOW submits wait for JOB_CREATED on one connection; the rest
// are held back and sent as answers come in. Every job is still submitted, created and ended.
const crypto = require('crypto');
const should = require('should');
const gearmanode = require('..');
const jobServerModule = require('../lib/gearmanode/job-server');
const { defaultServer } = require('./support/hooks');

const WINDOW = jobServerModule.SUBMIT_WINDOW;

describe('submit window', function () {
  this.timeout(30000);
  let client;
  let admin;
  afterEach(async function () {
    if (client) client.close();
    if (admin) admin.close();
  });

  it(`keeps at most ${WINDOW} jobs waiting for JOB_CREATED and still creates every job, in order`, async function () {
    const fn = `win-${crypto.randomUUID()}`;
    client = gearmanode.client({ port: defaultServer.port });
    admin = gearmanode.admin({ port: defaultServer.port });
    const js = client.jobServers[0];
    const n = WINDOW + 1500;
    let peak = 0;
    let submitted = 0;
    const createdOrder = [];
    const jobs = [];
    await new Promise((resolve, reject) => {
      for (let i = 0; i < n; i++) {
        const job = client.submitJob(fn, String(i), { background: true });
        job.on('submited', () => {
          submitted++;
          peak = Math.max(peak, js.jobsWaiting4Created.length);
        });
        job.on('created', () => {
          createdOrder.push(i);
          if (createdOrder.length === n) resolve();
        });
        job.on('error', reject);
        jobs.push(job);
      }
      // Sends queued before the (lazy) connect count against the window too.
      jobs.filter((j) => j.jobServerUid !== undefined).length.should.equal(0);
    });
    submitted.should.equal(n);
    peak.should.be.belowOrEqual(WINDOW);
    peak.should.be.above(WINDOW / 2); // the window was actually used
    createdOrder.should.eql(Array.from({ length: n }, (_, i) => i));
    new Set(jobs.map((j) => j.handle)).size.should.equal(n);
    js.jobsWaiting4Created.should.have.length(0);
    (await admin.status()).find((r) => r.function === fn).total.should.equal(n);
    await admin.dropFunction(fn);
  });

  it('fails held-back jobs over to the next server when their server is lost', async function () {
    const fn = `win-lost-${crypto.randomUUID()}`;
    // A server that refuses first: every held-back send fails over to the real one, in order.
    client = gearmanode.client({ servers: [{ port: defaultServer.refusedPort }, { port: defaultServer.port }] });
    admin = gearmanode.admin({ port: defaultServer.port });
    client.on('error', () => {});
    const n = WINDOW + 200;
    const created = [];
    await new Promise((resolve, reject) => {
      for (let i = 0; i < n; i++) {
        const job = client.submitJob(fn, String(i), { background: true });
        job.on('created', () => {
          created.push(i);
          if (created.length === n) resolve();
        });
        job.on('error', reject);
      }
    });
    should(created).eql(Array.from({ length: n }, (_, i) => i));
    await admin.dropFunction(fn);
  });
});
