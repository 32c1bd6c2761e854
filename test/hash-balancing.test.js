'use strict';
// loadBalancing: 'Hash' (beyond gearmanode 0.9.2): a job with a unique id goes to the server that
// rendezvous hashing of the id picks among the servers, the same in every client that names the same
// servers, so that duplicates coalesce into one job across several gearmand; when that server is
// down, to the next one in that id's order. Jobs without a unique id go round robin.
// Three gearmand instances started here (ports from 4740).
const assert = require('assert');
const crypto = require('crypto');
const gearmanode = require('../lib/gearmanode');
const lbModule = require('../lib/gearmanode/load-balancing');
const loggers = require('../lib/logger');
const gearmand = require('./support/gearmand');
const { once, until } = require('./support/trace');
const { closeAfterEach } = require('./support/close-after-each');

const fname = () => `hash-${crypto.randomUUID()}`;
const uidOf = (s) => `${s.host}:${s.port}`;

/** Background jobs `ids` of `fn` from `client`; resolves with id → the uid of the server that took it. */
async function placeAll(client, fn, ids) {
  const jobs = ids.map((id) => client.submitJob(fn, 'x', { background: true, unique: id }));
  await Promise.all(jobs.map((j) => once(j, 'created', 20000)));
  return new Map(ids.map((id, i) => [id, jobs[i].jobServerUid]));
}

/** How many jobs of `fn` each server holds (admin `status`). */
async function queued(servers, fn) {
  const out = {};
  for (const s of servers) {
    const text = await s.admin('status');
    const line = text.split('\n').map((l) => l.split('\t')).find((f) => f[0] === fn);
    out[uidOf(s)] = line ? Number(line[1]) : 0;
  }
  return out;
}

describe('Hash load balancing', function () {
  this.timeout(60000);
  let s; // three gearmand instances
  const keep = closeAfterEach();
  const client = (servers = s, options = {}) => keep(gearmanode.client({
    servers: servers.map((x) => ({ host: x.host, port: x.port })), loadBalancing: 'Hash', ...options,
  }));

  before(async function () {
    loggers.setLogger(() => {}); // failover logs warnings
    s = [];
    for (let i = 0; i < 3; i++) s.push(await gearmand.start({ port: await gearmand.freePort(4740) }));
  });

  after(async function () {
    loggers.setLogger(null);
    await Promise.all((s || []).map((x) => x.stop({ reap: false })));
  });

  afterEach(async function () {
    for (const x of s) if (!x.isRunning()) await x.restart();
  });

  describe('the strategy', function () {
    it('Hash is a non-enumerable export beside Sequence and RoundRobin, a RoundRobin for jobs without unique id', function () {
      assert.deepStrictEqual(Object.keys(lbModule), ['Sequence', 'RoundRobin']);
      const { Hash, RoundRobin } = lbModule;
      const h = new Hash(3, ['a:1', 'b:2', 'c:3']);
      assert.ok(h instanceof RoundRobin);
      assert.deepStrictEqual(Object.keys(h), Object.keys(new RoundRobin(3)));
      assert.deepStrictEqual([undefined, '', null, undefined].map((u) => h.indexFor(u)), [0, 1, 2, 0]);
      assert.ok(new Hash('3') instanceof Error);
      assert.ok(new Hash(2, ['a', 2]) instanceof Error);
    });

    it('the order does not depend on how the list is ordered, only on the names', function () {
      const { Hash } = lbModule;
      const names = ['h1:4730', 'h2:4730', 'h3:4730', 'h4:4730'];
      const a = new Hash(4, names);
      const b = new Hash(4, names.slice().reverse());
      for (let i = 0; i < 500; i++) {
        const id = `id-${i}`;
        assert.deepStrictEqual(a.orderFor(id).map((k) => names[k]), b.orderFor(id).map((k) => names[3 - k]));
        assert.strictEqual(a.indexFor(id), a.orderFor(id)[0]);
      }
      // A Buffer id hashes its bytes, as the same text does.
      assert.strictEqual(a.indexFor(Buffer.from('žluť')), a.indexFor('žluť'));
    });

    it('a bad server is skipped until its mark is older than recoverTime; then its ids come back', function () {
      const { Hash } = lbModule;
      const h = new Hash(3, ['a:1', 'b:2', 'c:3']);
      const id = 'some-id';
      const [first, second] = h.orderFor(id);
      h.badOne(first);
      assert.strictEqual(h.indexFor(id), second);
      h.badNodes[first] = new Date(Date.now() - h.recoverTime - 1);
      assert.strictEqual(h.indexFor(id), first);
      assert.ok(!(first in h.badNodes), 'the recovered server is marked good');
      for (let i = 0; i < 3; i++) h.badOne(i);
      assert.strictEqual(h.indexFor(id), null);
    });
  });

  describe('on three gearmand', function () {
    it('1,000 unique ids from two separate clients land on the same servers, spread over all three', async function () {
      const fn = fname();
      const ids = Array.from({ length: 1000 }, (_, i) => `id-${i}`);
      const a = await placeAll(client(), fn, ids);
      // The second client lists the servers in another order: the names decide, not the order.
      const b = await placeAll(client([s[2], s[0], s[1]]), fn, ids);
      assert.deepStrictEqual([...b], [...a]);
      const perServer = {};
      for (const uid of a.values()) perServer[uid] = (perServer[uid] || 0) + 1;
      for (const x of s) assert.ok(perServer[uidOf(x)] > 250, `${uidOf(x)} took ${perServer[uidOf(x)]} of 1000`);
      // The servers hold exactly those jobs: each id once (the second client's joined the first's).
      assert.deepStrictEqual(await queued(s, fn), perServer);
    });

    it('ten clients submitting the same unique id at once make one worker call, whose result reaches all ten', async function () {
      const fn = fname();
      const unique = `same-${crypto.randomUUID()}`;
      const worker = keep(gearmanode.worker({ servers: s.map((x) => ({ host: x.host, port: x.port })) }));
      let calls = 0;
      let allCreated;
      const created = new Promise((r) => (allCreated = r));
      worker.addFunction(fn, async (job) => {
        calls++;
        await created; // hold the job until every client has joined it
        return `result for ${job.payload}`;
      });
      // Each client lists the servers in another rotation: under RoundRobin or Sequence their jobs
      // would go to different servers and run three times.
      const clients = Array.from({ length: 10 }, (_, i) => client([0, 1, 2].map((k) => s[(k + i) % 3])));
      const jobs = clients.map((c) => c.submitJob(fn, 'payload', { unique }));
      await Promise.all(jobs.map((j) => once(j, 'created')));
      allCreated();
      await Promise.all(jobs.map((j) => once(j, 'complete')));
      assert.strictEqual(calls, 1);
      assert.deepStrictEqual(jobs.map((j) => String(j.response)), Array(10).fill('result for payload'));
      assert.strictEqual(new Set(jobs.map((j) => j.jobServerUid)).size, 1);
      assert.strictEqual(new Set(jobs.map((j) => j.handle)).size, 1);
    });

    it('one server down: its ids go to their next choice, the others\' ids stay where they were', async function () {
      const fn1 = fname();
      const fn2 = fname();
      const ids = Array.from({ length: 300 }, (_, i) => `down-${i}`);
      const c = client();
      const before = await placeAll(c, fn1, ids);
      const down = s[1];
      await down.stop();
      const after = await placeAll(c, fn2, ids);
      const hash = c.loadBalancer;
      let moved = 0;
      for (const id of ids) {
        if (before.get(id) === uidOf(down)) {
          moved++;
          const next = c.jobServers[hash.orderFor(id)[1]].getUid();
          assert.strictEqual(after.get(id), next, `${id} went to ${after.get(id)}, its next choice is ${next}`);
        } else {
          assert.strictEqual(after.get(id), before.get(id), `${id} moved`);
        }
      }
      assert.ok(moved > 50, `${moved} ids were on the stopped server`);
      const movedTo = new Set(ids.filter((id) => before.get(id) === uidOf(down)).map((id) => after.get(id)));
      assert.strictEqual(movedTo.size, 2, 'the stopped server\'s ids are shared by both others');
    });

    it('jobs without a unique id go round robin', async function () {
      const fn = fname();
      const c = client();
      const jobs = Array.from({ length: 6 }, () => c.submitJob(fn, 'x', { background: true }));
      await Promise.all(jobs.map((j) => once(j, 'created')));
      const uids = c.jobServers.map((js) => js.getUid());
      assert.deepStrictEqual(jobs.map((j) => j.jobServerUid), [...uids, ...uids]);
    });

    it('getStatusUnique asks only the server the id belongs to', async function () {
      const fn = fname();
      const unique = `st-${crypto.randomUUID()}`;
      const submitter = client();
      const job = submitter.submitJob(fn, 'x', { background: true, unique });
      await once(job, 'created');
      const asker = client();
      const st = await asker.getStatusUnique(unique);
      assert.strictEqual(st.known, true);
      assert.strictEqual(st.jobServerUid, job.jobServerUid);
      assert.deepStrictEqual(asker.jobServers.map((js) => js.connected),
        asker.jobServers.map((js) => js.getUid() === job.jobServerUid));
    });

    it('getStatusUnique under Hash follows the id to its next server when its own is down', async function () {
      const fn = fname();
      const c = client();
      const hash = c.loadBalancer;
      // An id whose first choice is the server about to stop.
      const unique = Array.from({ length: 100 }, (_, i) => `next-${i}`).find((u) => hash.orderFor(u)[0] === 0);
      await s[0].stop();
      const job = c.submitJob(fn, 'x', { background: true, unique });
      await once(job, 'created');
      assert.strictEqual(job.jobServerUid, c.jobServers[hash.orderFor(unique)[1]].getUid());
      const st = await client().getStatusUnique(unique);
      assert.deepStrictEqual([st.known, st.jobServerUid], [true, job.jobServerUid]);
    });

    it('without Hash, getStatusUnique asks every server and answers with the one that knows the job', async function () {
      const fn = fname();
      const unique = `rr-${crypto.randomUUID()}`;
      const one = keep(gearmanode.client({ host: s[2].host, port: s[2].port }));
      const job = one.submitJob(fn, 'x', { background: true, unique });
      await once(job, 'created');
      const rr = keep(gearmanode.client({ servers: s.map((x) => ({ host: x.host, port: x.port })), loadBalancing: 'RoundRobin' }));
      const st = await rr.getStatusUnique(unique);
      assert.deepStrictEqual([st.known, st.jobServerUid], [true, uidOf(s[2])]);
      const none = await rr.getStatusUnique(`nobody-${crypto.randomUUID()}`);
      assert.strictEqual(none.known, false);
      assert.ok(rr.jobServers.every((js) => js.connected), 'every server was asked');
      // A server down: the others still answer.
      await s[0].stop();
      const again = await until(() => rr.getStatusUnique(unique).catch(() => null), 8000, 'an answer');
      assert.deepStrictEqual([again.known, again.jobServerUid], [true, uidOf(s[2])]);
    });
  });
});
