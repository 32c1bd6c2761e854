'use strict';
// Several job servers (COMPATIBILITY.md#load-balancing, #submitjob, #servermanager, #reconnect; the
// original's "support for multiple job servers"): three gearmand instances started here. Sequence
// (sticky failover), RoundRobin (alternation, skipping bad nodes), recoverTime (a downed node is
// retried only after it), failover of jobs when a server refuses, every server down (client
// `error`, then job `error` one tick later, no throw), and a worker registered on several servers
// serving each of them. Each job is answered by a worker attached to ONE server with that server's
// index, so a response tells which server carried the job; the client-side `jobServerUid` tells it
// as well.
const should = require('should');
const sinon = require('sinon');
const crypto = require('crypto');
const gearmanode = require('../lib/gearmanode');
const { Client } = require('../lib/gearmanode/client');
const { Worker } = require('../lib/gearmanode/worker');
const loggers = require('../lib/logger');
const gearmand = require('./support/gearmand');
const trace = require('./support/trace');
const { REFUSED_PORT } = require('./support/hooks');

const CAN_DO = 1;
const PRE_SLEEP = 4;
const fnName = () => `fn-${crypto.randomUUID()}`;
const REFUSED = { host: '127.0.0.1', port: REFUSED_PORT };
const uidOf = (s) => `${s.host}:${s.port}`;

/** A fresh gearmand (test/support/gearmand.js picks a free port, randomly placed, and retries). */
const startServer = () => gearmand.start();

const next = (emitter, event, ms = 8000) => trace.once(emitter, event, ms);

/** Resolves with the arguments of the first `event` whose first argument is `uid`. */
function nextFor(emitter, event, uid, ms = 8000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' for ${uid} within ${ms} ms`)), ms);
    const on = (...args) => {
      if (args[0] !== uid) return;
      clearTimeout(timer);
      emitter.removeListener(event, on);
      resolve(args);
    };
    emitter.on(event, on);
  });
}

const until = trace.until;

/** Resolves with {response, uid} once the job completes; rejects on failed/exception/error. */
function outcome(job) {
  return new Promise((resolve, reject) => {
    job.once('complete', () => resolve({ response: String(job.response), uid: job.jobServerUid }));
    job.once('failed', () => reject(new Error('failed')));
    job.once('exception', () => reject(new Error('exception')));
    job.once('error', (e) => reject(e));
  });
}

describe('multiple job servers', function () {
  this.timeout(20000);
  let s; // three gearmand instances
  const opened = [];
  function keep(x) {
    opened.push(x);
    return x;
  }

  before(async function () {
    loggers.setLogger(() => {}); // failover logs warnings
    s = [];
    for (let i = 0; i < 3; i++) s.push(await startServer());
  });

  after(async function () {
    loggers.setLogger(null);
    await Promise.all((s || []).map((x) => x.stop({ reap: false })));
  });

  afterEach(async function () {
    sinon.restore();
    while (opened.length) opened.pop().close();
    for (const x of s) if (!x.isRunning()) await x.restart();
  });

  /** A worker on server i only, answering every job of `name` with 'i'; resolves once connected. */
  async function serveOn(i, name) {
    const w = keep(new Worker({ ...s[i].server, recoverTime: 50, recoverLimit: 400 }));
    const connected = next(w, 'socketConnect');
    w.addFunction(name, (job) => job.workComplete(String(i)));
    await connected;
    return w;
  }

  /** Submits one job and resolves with its {response, uid}. */
  function run(c, name, payload = 'x') {
    return outcome(c.submitJob(name, payload));
  }

  async function runMany(c, name, n) {
    const out = [];
    for (let k = 0; k < n; k++) out.push(await run(c, name, String(k)));
    return out;
  }

  /** Waits until node `idx`'s bad mark is older than the balancer's recoverTime. */
  async function expired(c, idx) {
    const lb = c.loadBalancer;
    await until(() => lb.badNodes[idx] instanceof Date && Date.now() - lb.badNodes[idx] > lb.recoverTime, 5000, 'mark expired');
  }

  describe('Sequence (COMPATIBILITY.md#load-balancing)', function () {
    it('sticky failover: node 0, then node 1 when node 0 goes down, still node 1 after node 0 is back, node 0 again when node 1 fails', async function () {
      const name = fnName();
      await serveOn(0, name);
      await serveOn(1, name);
      const c = keep(new Client({ servers: [s[0].server, s[1].server], recoverTime: 100 }));
      c.on('error', () => {});
      const u0 = uidOf(s[0]);
      const u1 = uidOf(s[1]);

      (await runMany(c, name, 3)).should.eql([{ response: '0', uid: u0 }, { response: '0', uid: u0 }, { response: '0', uid: u0 }]);
      c.jobServers[1].connected.should.be.false(); // never used
      ('socket' in c.jobServers[1]).should.be.false();

      // node 0 goes down: the client sees the FIN, marks node 0 bad, and the jobs go to node 1
      const down0 = nextFor(c, 'socketDisconnect', u0);
      await s[0].stop({ reap: false });
      await down0;
      Object.keys(c.loadBalancer.badNodes).should.eql(['0']);
      c.loadBalancer.badNodes[0].should.be.instanceof(Date);
      (await runMany(c, name, 2)).should.eql([{ response: '1', uid: u1 }, { response: '1', uid: u1 }]);

      // node 0 comes back (and its mark expires): the jobs stay on node 1
      await s[0].restart();
      await expired(c, 0);
      (await runMany(c, name, 2)).should.eql([{ response: '1', uid: u1 }, { response: '1', uid: u1 }]);
      c.loadBalancer.lastIndex.should.equal(1);

      // node 1 fails: node 0 (its mark expired) takes over
      await until(async () => (await s[0].admin('workers')).includes(name), 5000, 'worker back on node 0');
      const down1 = nextFor(c, 'socketDisconnect', u1);
      await s[1].stop({ reap: false });
      await down1;
      (await run(c, name)).should.eql({ response: '0', uid: u0 });
      Object.keys(c.loadBalancer.badNodes).should.eql(['1']);
      (await run(c, name)).should.eql({ response: '0', uid: u0 });
    });

    it('three servers: node 0 refuses → node 1; node 1 down too → node 2', async function () {
      const name = fnName();
      await serveOn(1, name);
      await serveOn(2, name);
      const c = keep(new Client({ servers: [REFUSED, s[1].server, s[2].server] }));
      const errors = [];
      c.on('error', (e) => errors.push(e.message));
      (await run(c, name)).should.eql({ response: '1', uid: uidOf(s[1]) });
      (await run(c, name)).should.eql({ response: '1', uid: uidOf(s[1]) });
      const down1 = nextFor(c, 'socketDisconnect', uidOf(s[1]));
      await s[1].stop({ reap: false });
      await down1;
      (await run(c, name)).should.eql({ response: '2', uid: uidOf(s[2]) });
      Object.keys(c.loadBalancer.badNodes).sort().should.eql(['0', '1']);
      errors.should.eql([]);
    });
  });

  describe('RoundRobin (COMPATIBILITY.md#load-balancing)', function () {
    it('jobs alternate between two servers (seen by the worker of each server)', async function () {
      const name = fnName();
      await serveOn(0, name);
      await serveOn(1, name);
      const c = keep(new Client({ servers: [s[0].server, s[1].server], loadBalancing: 'RoundRobin' }));
      (await runMany(c, name, 4)).map((o) => o.response).should.eql(['0', '1', '0', '1']);
      // submitted in one tick as well
      const jobs = [0, 1, 2, 3, 4, 5].map((k) => c.submitJob(name, String(k)));
      const res = await Promise.all(jobs.map(outcome));
      res.map((o) => o.response).should.eql(['0', '1', '0', '1', '0', '1']);
    });

    it('background jobs alternate: admin `status` counts them on each server', async function () {
      const name = fnName();
      const c = keep(new Client({ servers: s.map((x) => x.server), loadBalancing: 'RoundRobin' }));
      const jobs = Array.from({ length: 7 }, (_, k) => c.submitJob(name, String(k), { background: true }));
      await Promise.all(jobs.map((j) => next(j, 'created')));
      jobs.map((j) => c._getJobServerIndexByUid(j.jobServerUid)).should.eql([0, 1, 2, 0, 1, 2, 0]);
      const totals = [];
      for (const x of s) {
        const line = (await x.admin('status')).split('\n').find((l) => l.startsWith(`${name}\t`));
        totals.push(line.split('\t')[1]);
      }
      totals.should.eql(['3', '2', '2']);
      // consume them
      const served = [];
      const w = keep(new Worker({ servers: s.map((x) => x.server) }));
      w.addFunction(name, (job) => {
        served.push(job.jobServerUid);
        job.workComplete();
      });
      await until(() => served.length === 7, 5000, 'the 7 background jobs served');
    });

    it('three servers, node 1 refusing: 0, 2, 0, 2 (the refused job fails over to the next node)', async function () {
      const name = fnName();
      await serveOn(0, name);
      await serveOn(2, name);
      const c = keep(new Client({ servers: [s[0].server, REFUSED, s[2].server], loadBalancing: 'RoundRobin' }));
      const refusals = [];
      c.on('socketError', (uid, err) => refusals.push([uid, err.code]));
      (await runMany(c, name, 4)).map((o) => o.response).should.eql(['0', '2', '0', '2']);
      refusals.should.eql([[uidOf(REFUSED), 'ECONNREFUSED']]);
      Object.keys(c.loadBalancer.badNodes).should.eql(['1']);
    });

    it('recoverTime: a downed node gets jobs again only after recoverTime (badNodes holds a Date until then)', async function () {
      const name = fnName();
      await serveOn(1, name);
      await s[0].stop({ reap: false });
      const c = keep(new Client({ servers: [s[0].server, s[1].server], loadBalancing: 'RoundRobin', recoverTime: 60000 }));
      const refusals = [];
      c.on('socketError', (uid, err) => refusals.push([uid, err.code]));
      const lb = c.loadBalancer;
      (await run(c, name)).response.should.equal('1'); // node 0 refused, the job failed over
      refusals.should.eql([[uidOf(s[0]), 'ECONNREFUSED']]);
      Object.keys(lb.badNodes).should.eql(['0']);
      lb.badNodes[0].should.be.instanceof(Date);
      const mark = lb.badNodes[0];

      // node 0 is back, but its mark is fresh: it is not retried
      await s[0].restart();
      await serveOn(0, name);
      (await runMany(c, name, 3)).map((o) => o.response).should.eql(['1', '1', '1']);
      refusals.should.have.length(1);
      lb.badNodes[0].should.equal(mark);
      c.jobServers[0].connected.should.be.false();

      // once the mark is older than recoverTime, a scan clears it and the next turn of node 0 uses it
      lb.recoverTime = 50; // read at use (COMPATIBILITY.md#ground-rules)
      await expired(c, 0);
      (await run(c, name)).response.should.equal('1'); // the scan that clears the mark picks node 1
      lb.badNodes.should.eql({});
      (await runMany(c, name, 4)).map((o) => o.response).should.eql(['0', '1', '0', '1']);
    });
  });

  describe('failover (COMPATIBILITY.md#submitjob, #owner-events, #fixed-2)', function () {
    it('a job whose server refuses goes to the next server: socketError then socketDisconnect for the refused one', async function () {
      const name = fnName();
      await serveOn(1, name);
      const c = keep(new Client({ servers: [REFUSED, s[1].server] }));
      const emit = sinon.spy(c, 'emit');
      const job = c.submitJob(name, 'x');
      const jobEvents = [];
      for (const ev of ['submited', 'created', 'complete', 'error', 'failed']) job.on(ev, () => jobEvents.push(ev));
      (await outcome(job)).should.eql({ response: '1', uid: uidOf(s[1]) });
      const ev = emit.args.map((a) => a.slice(0, 2));
      ev.slice(0, 3).should.eql([
        ['socketError', uidOf(REFUSED)],
        ['socketDisconnect', uidOf(REFUSED)],
        ['socketConnect', uidOf(s[1])],
      ]);
      const err = emit.args[0][2];
      err.code.should.equal('ECONNREFUSED');
      emit.args[1][2].should.equal(err);
      emit.args.some((a) => a[0] === 'error').should.be.false();
      jobEvents.should.eql(['submited', 'created', 'complete']);
      c.loadBalancer.badNodes[0].should.be.instanceof(Date);
    });

    it('several jobs queued on a refusing server all fail over, in order (COMPATIBILITY.md#fixed-2)', async function () {
      const name = fnName();
      await serveOn(1, name);
      const c = keep(new Client({ servers: [REFUSED, s[1].server] }));
      const refusals = [];
      c.on('socketError', (uid) => refusals.push(uid));
      const jobs = ['a', 'b', 'c', 'd'].map((p) => c.submitJob(name, p));
      const created = [];
      jobs.forEach((j, k) => j.on('created', () => created.push(k)));
      const res = await Promise.all(jobs.map(outcome));
      res.should.eql(jobs.map(() => ({ response: '1', uid: uidOf(s[1]) })));
      created.should.eql([0, 1, 2, 3]);
      refusals.should.eql([uidOf(REFUSED)]);
    });

    it('all servers down: client error, job error one tick later, no throw; again while all are bad: client error inside submitJob', async function () {
      const port = await gearmand.freePort(4740); // nothing listens there
      const down = { host: '127.0.0.1', port };
      const c = keep(new Client({ servers: [REFUSED, down] }));
      const log = [];
      c.on('socketError', (uid, e) => log.push(['socketError', uid, e.code]));
      c.on('socketDisconnect', (uid) => log.push(['socketDisconnect', uid]));
      c.on('error', (e) => log.push(['client error', e.message]));
      const job = c.submitJob(fnName(), 'x');
      job.should.not.be.instanceof(Error);
      job.on('error', (e) => log.push(['job error', e.message]));
      await next(job, 'error');
      log.should.eql([
        ['socketError', uidOf(REFUSED), 'ECONNREFUSED'],
        ['socketDisconnect', uidOf(REFUSED)],
        ['socketError', uidOf(down), 'ECONNREFUSED'],
        ['socketDisconnect', uidOf(down)],
        ['client error', 'failed to obtain job server from load balancer (all servers invalid?)'],
        ['job error', 'all job servers fail'],
      ]);
      Object.keys(c.loadBalancer.badNodes).sort().should.eql(['0', '1']);

      // again, with every node still bad: the client error fires inside submitJob, the job's a tick later
      log.length = 0;
      const job2 = c.submitJob(fnName(), 'y');
      log.should.eql([['client error', 'failed to obtain job server from load balancer (all servers invalid?)']]);
      job2.on('error', (e) => log.push(['job error', e.message]));
      await new Promise((resolve) => process.nextTick(resolve));
      log.should.eql([
        ['client error', 'failed to obtain job server from load balancer (all servers invalid?)'],
        ['job error', 'all job servers fail'],
      ]);

      // a job without an error listener: nothing is thrown
      log.length = 0;
      const job3 = c.submitJob(fnName(), 'z');
      job3.should.not.be.instanceof(Error);
      await gearmand.sleep(20);
      log.should.eql([['client error', 'failed to obtain job server from load balancer (all servers invalid?)']]);
    });

    it('a server that drops its connection is marked bad and the next job goes to the other one', async function () {
      const name = fnName();
      await serveOn(1, name);
      await serveOn(2, name);
      const c = keep(new Client({ servers: [s[1].server, s[2].server] }));
      (await run(c, name)).response.should.equal('1');
      const down = nextFor(c, 'socketDisconnect', uidOf(s[1]));
      s[1].kill('SIGKILL');
      const [, err] = await down;
      if (err !== undefined) err.should.be.instanceof(Error); // FIN: undefined; reset: the error
      c.loadBalancer.badNodes[0].should.be.instanceof(Date);
      (await run(c, name)).response.should.equal('2');
    });
  });

  describe('a worker on several servers (COMPATIBILITY.md#servermanager, #registration)', function () {
    it('registers on every server and serves the jobs of each', async function () {
      const name = fnName();
      const id = `wid-${crypto.randomUUID()}`;
      const w = keep(new Worker({ servers: s.map((x) => x.server) }));
      const sends = w.jobServers.map((js) => sinon.spy(js, 'send'));
      w.setWorkerId(id);
      const served = [];
      w.addFunction(name, (job) => {
        served.push(job.jobServerUid);
        job.workComplete(`from ${job.jobServerUid}`);
      });
      for (const sp of sends) sp.args.map((a) => a[0].readUInt32BE(4)).should.eql([22, CAN_DO, PRE_SLEEP]);
      for (const x of s) {
        await until(async () => (await x.admin('workers')).split('\n').some((l) => l.includes(` ${id} : ${name}`)), 5000, `registered on ${x.port}`);
      }
      // one client per server, twice round
      const clients = s.map((x) => keep(new Client({ servers: [x.server] })));
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < s.length; i++) {
          const o = await run(clients[i], name);
          o.should.eql({ response: `from ${uidOf(s[i])}`, uid: uidOf(s[i]) });
        }
      }
      served.should.eql([...s.map(uidOf), ...s.map(uidOf)]);
      // a RoundRobin client over the three: each server's jobs served by the same worker
      const rr = keep(new Client({ servers: s.map((x) => x.server), loadBalancing: 'RoundRobin' }));
      const res = await Promise.all([0, 1, 2].map(() => outcome(rr.submitJob(name, 'r'))));
      res.map((o) => o.response).should.eql(s.map((x) => `from ${uidOf(x)}`));
      // removeFunction: no worker left for it on any server
      w.removeFunction(name);
      for (const x of s) {
        await until(async () => {
          const line = (await x.admin('status')).split('\n').find((l) => l.startsWith(`${name}\t`));
          return line && line.split('\t')[3] === '0';
        }, 5000, `function removed on ${x.port}`);
      }
    });

    it('keeps serving the other servers while one is down, and that one again after it returns', async function () {
      const name = fnName();
      const w = keep(new Worker({ servers: s.map((x) => x.server), recoverTime: 50, recoverLimit: 400 }));
      w.addFunction(name, (job) => job.workComplete(job.jobServerUid));
      const clients = s.map((x) => keep(new Client({ servers: [x.server] })));
      for (let i = 0; i < s.length; i++) (await run(clients[i], name)).response.should.equal(uidOf(s[i]));
      const lost = nextFor(w, 'socketDisconnect', uidOf(s[1]));
      s[1].kill('SIGKILL');
      await lost;
      (await run(clients[0], name)).response.should.equal(uidOf(s[0]));
      (await run(clients[2], name)).response.should.equal(uidOf(s[2]));
      const back = nextFor(w, 'socketConnect', uidOf(s[1]));
      await s[1].restart();
      await back;
      const c1 = keep(new Client({ servers: [s[1].server] }));
      (await run(c1, name)).response.should.equal(uidOf(s[1]));
      w.jobServers.map((js) => js.connected).should.eql([true, true, true]);
    });
  });
});
