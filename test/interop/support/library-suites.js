'use strict';
// The interoperability scenarios shared by the two library peers (PHP's gearman extension and
// Perl's Gearman::Client/Worker), in both directions:
//   "our Client → their worker":  gearmanode submits, the peer worker (peers/<peer>/worker.*) runs
//   "their client → our Worker":  the peer client (peers/<peer>/client.*) submits, gearmanode runs
// Each peer's test file calls defineLibrarySuites() with what the peer can and cannot do; every
// combination a peer cannot carry is explained there.

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const ix = require('./interop');

const hexOf = (s) => Buffer.from(s, 'utf8').toString('hex');
/** A script for the peer workers' `script` role (see peers/php/worker.php). */
function script(...steps) {
  return Buffer.from(steps.join('\n'), 'utf8');
}

const WARNING_1 = Buffer.from('warning #1: žluťoučký kůň', 'utf8');
const WARNING_2 = Buffer.concat([Buffer.from('warning #2, binary: ', 'utf8'), Buffer.from([0, 1, 0x0a, 0x7f, 0x80, 0xff])]);
const DATA_1 = Buffer.from('data #1', 'utf8');
const BYTES256 = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const RESULT = Buffer.concat([Buffer.from('result: ', 'utf8'), BYTES256, Buffer.from(ix.UTF8_TEXT, 'utf8')]);
const EXCEPTION_DATA = Buffer.concat([Buffer.from('exception: ', 'utf8'), Buffer.from(ix.UTF8_TEXT, 'utf8'), Buffer.from([0, 1, 0xff])]);

/**
 * @param {object} o
 * @param {string} o.peer         'php' | 'perl'
 * @param {string} o.title        e.g. "PHP gearman extension (libgearman)"
 * @param {function} o.workerArgs (server, roleSpecs) → [cmd, args] of the peer worker
 * @param {function} o.clientArgs (server) → [cmd, args] of the peer client
 * @param {object} o.worker       {uniq: bool, emptyResult: bool}: whether the peer worker can
 *                                report the job's unique id, and complete with an empty result
 * @param {object} o.client       {emptyPayload: bool, exceptionEvents(warning, data)}: whether the peer
 *                                client can submit an empty workload; the events it reports for
 *                                our worker's warning followed by an exception
 */
function defineLibrarySuites(o) {
  describe(`interop with ${o.title}`, function () {
    this.timeout(60000);
    let server;
    let dir;

    // our Client → peer worker: function names, the long-running peer worker, our clients
    const wfn = {
      small: ix.fnName(`${o.peer}-w-small-žluťoučký`), // a name with diacritics, too
      k64: ix.fnName(`${o.peer}-w-64k`),
      big: ix.fnName(`${o.peer}-w-big`),
      digest: ix.fnName(`${o.peer}-w-digest`),
      report: ix.fnName(`${o.peer}-w-report`),
      fail: ix.fnName(`${o.peer}-w-fail`),
      exc: ix.fnName(`${o.peer}-w-exc`),
      excOff: ix.fnName(`${o.peer}-w-exc-off`),
      bg: ix.fnName(`${o.peer}-w-bg`),
      uniq: ix.fnName(`${o.peer}-w-uniq`),
    };
    let peerWorker;
    let client;
    let clientX; // with OPTION_REQ exceptions

    // peer client → our Worker: function names, our worker, the long-running peer client
    const cfn = {
      echo: ix.fnName(`${o.peer}-c-echo-žluťoučký`), // a name with diacritics, too
      k64: ix.fnName(`${o.peer}-c-64k`),
      big: ix.fnName(`${o.peer}-c-big`),
      report: ix.fnName(`${o.peer}-c-report`),
      fail: ix.fnName(`${o.peer}-c-fail`),
      exc: ix.fnName(`${o.peer}-c-exc`),
      bg: ix.fnName(`${o.peer}-c-bg`),
      uniq: ix.fnName(`${o.peer}-c-uniq`),
    };
    let peerClient;
    let worker;
    const got = {}; // function → jobs as our worker got them: {payload, unique, handle}
    let held = null; // the background job our worker holds: {arrived: Promise<job>, resolve}
    const record = (job) => (got[job.name] = got[job.name] || []).push({ payload: job.payload, unique: job.unique, handle: job.handle });

    before(async function () {
      ix.requirePeer(this, o.peer);
      server = await ix.startServer();
      dir = ix.tmpDir(o.peer);

      const roles = [
        `echo=${wfn.small}`, `echo=${wfn.k64}`, `echo=${wfn.big}`, `digest=${wfn.digest}`,
        `script=${wfn.report}`, `script=${wfn.fail}`, `script=${wfn.exc}`, `script=${wfn.excOff}`, `script=${wfn.bg}`,
      ];
      if (o.worker.uniq) roles.push(`uniq=${wfn.uniq}`);
      const [wcmd, wargs] = o.workerArgs(server, roles);
      peerWorker = new ix.PeerProcess(wcmd, wargs, { label: `${o.peer} worker` });
      client = ix.ourClient(server);
      clientX = ix.ourClient(server, { exceptions: true });

      worker = ix.ourWorker(server, { withUnique: true });
      const echo = (job) => {
        record(job);
        job.workComplete(job.payload);
      };
      worker.addFunction(cfn.echo, echo);
      worker.addFunction(cfn.k64, echo);
      worker.addFunction(cfn.big, echo);
      worker.addFunction(cfn.uniq, (job) => {
        record(job);
        job.workComplete(job.unique);
      });
      worker.addFunction(cfn.report, (job) => {
        record(job);
        job.sendWorkData(DATA_1);
        job.reportWarning(WARNING_1);
        job.reportStatus(1, 4);
        job.sendWorkData(BYTES256);
        job.reportWarning(WARNING_2);
        job.reportStatus(3, 4);
        job.workComplete(RESULT);
      });
      worker.addFunction(cfn.fail, (job) => {
        record(job);
        job.sendWorkData(DATA_1);
        job.reportError();
      });
      worker.addFunction(cfn.exc, (job) => {
        record(job);
        job.reportWarning(WARNING_1);
        job.reportException(EXCEPTION_DATA);
      });
      worker.addFunction(cfn.bg, (job) => {
        record(job);
        job.reportStatus(1, 2);
        held.resolve(job);
      });
      const [ccmd, cargs] = o.clientArgs(server);
      peerClient = new ix.PeerProcess(ccmd, cargs, { label: `${o.peer} client` });

      await peerWorker.waitLine((l) => l.startsWith('started'));
      await peerClient.waitLine((l) => l.startsWith('started'));
      await clientX.optionAccepted;
      // libgearman and Gearman::Worker register when they start working; wait for every function.
      for (const name of roles.map((r) => r.split('=')[1])) await ix.waitWorkers(server, name);
      for (const name of Object.values(cfn)) await ix.waitWorkers(server, name);
    });

    after(async function () {
      if (client) client.close();
      if (clientX) clientX.close();
      if (worker) worker.close();
      if (peerClient) peerClient.send('quit');
      await ix.killAll();
      if (server) await server.stop();
      ix.rmTmpDir(dir);
    });

    afterEach(function () {
      for (const [what, o2] of [['client', client], ['client (exceptions)', clientX], ['worker', worker]]) {
        if (o2) assert.strictEqual(o2.lastError, undefined, `our ${what} emitted error: ${o2.lastError}`);
      }
    });

    /** Runs payloads through our client to the peer worker's echo function; checks both directions. */
    async function echoThroughPeerWorker(fnName, payloads) {
      const results = await Promise.all(payloads.map((p) => ix.submit(client, fnName, p.data)));
      payloads.forEach((p, i) => ix.assertBytes(results[i].response, p.data, `${p.label} through the ${o.peer} worker`));
      // The worker got every workload intact (length and sha256 it computed itself).
      const seen = await ix.waitJobsSeen(peerWorker, fnName, payloads.length);
      const byHandle = new Map(seen.map((j) => [j.handle, j]));
      payloads.forEach((p, i) => {
        const j = byHandle.get(results[i].job.handle);
        assert.ok(j, `the ${o.peer} worker never logged ${p.label} (handle ${results[i].job.handle}; logged: ${seen.map((x) => x.handle)})`);
        assert.deepStrictEqual([j.length, j.sha256], [p.data.length, ix.sha256(p.data)], `${p.label} as the ${o.peer} worker got it`);
      });
    }

    /** Runs payloads through the peer client to our echo function; checks both directions. */
    async function echoThroughPeerClient(fnName, payloads) {
      const jobs = payloads.map((p, i) => ({ id: `e${i}`, fn: fnName, payload: p.data }));
      const events = await ix.runPeerClient(peerClient, jobs);
      payloads.forEach((p, i) => {
        const ev = ix.decodeEvents(events[`e${i}`]);
        const complete = ev.find((e) => e[0] === 'complete');
        assert.ok(complete, `${p.label}: no complete event from the ${o.peer} client: ${ix.showEvents(ev)}`);
        ix.assertBytes(complete[1], p.data, `${p.label} back at the ${o.peer} client`);
      });
      const mine = got[fnName] || [];
      for (const p of payloads) {
        assert.ok(mine.some((j) => j.payload.equals(p.data)), `our worker never got ${p.label} intact`);
      }
      assert.strictEqual(mine.length, payloads.length, `our worker got ${mine.length} jobs`);
    }

    // -------------------------------------------------------------------------------------------
    describe(`our Client → ${o.peer} worker`, function () {
      const fn = wfn;
      const small = ix.smallPayloads();
      if (o.worker.emptyResult) {
        it('carries text, UTF-8 with diacritics, all 256 byte values and an empty payload, both ways (function name with diacritics)', async function () {
          await echoThroughPeerWorker(fn.small, small);
        });
      } else {
        it('carries text, UTF-8 with diacritics and all 256 byte values both ways, an empty payload to the worker (function name with diacritics)', async function () {
          await echoThroughPeerWorker(fn.small, small.filter((p) => p.data.length > 0));
          // The worker cannot complete with an empty result (see the test file): it answers with the
          // length and sha256 of what it got instead.
          const r = await ix.submit(client, fn.digest, Buffer.alloc(0));
          assert.strictEqual(r.response.toString(), `0 ${ix.sha256(Buffer.alloc(0))}`);
        });
      }

      it('carries every size from 65,480 to 65,537 bytes, both ways', async function () {
        await echoThroughPeerWorker(fn.k64, ix.sizes64k());
      });

      it('delivers work data, warnings and status updates in order, then the result', async function () {
        const r = await ix.submit(client, fn.report, script(
          `data ${DATA_1.toString('hex')}`,
          `warning ${WARNING_1.toString('hex')}`,
          'status 1 4',
          `data ${BYTES256.toString('hex')}`,
          `warning ${WARNING_2.toString('hex')}`,
          'status 3 4',
          `complete ${RESULT.toString('hex')}`,
        ));
        ix.assertEvents(r.events, [
          ['created'], ['data', DATA_1], ['warning', WARNING_1], ['status', '1', '4'],
          ['data', BYTES256], ['warning', WARNING_2], ['status', '3', '4'], ['complete', RESULT],
        ], `events of our client for a job of the ${o.peer} worker`);
      });

      it('reports a failure as `failed`', async function () {
        const r = await ix.submit(client, fn.fail, script(`data ${DATA_1.toString('hex')}`, 'fail'));
        ix.assertEvents(r.events, [['created'], ['data', DATA_1], ['fail']], 'events');
        assert.strictEqual(r.job.response, undefined);
        assert.strictEqual(r.job.processing, false);
      });

      it("reports an exception with its data as `exception` when the client set the 'exceptions' option", async function () {
        const r = await ix.submit(clientX, fn.exc, script(`warning ${WARNING_1.toString('hex')}`, `exception ${EXCEPTION_DATA.toString('hex')}`));
        ix.assertEvents(r.events, [['created'], ['warning', WARNING_1], ['exception', EXCEPTION_DATA]], 'events');
        assert.strictEqual(r.job.processing, false);
        assert.ok(!Object.keys(clientX.jobs).includes(r.job.getUid()), 'the job left client.jobs');
      });

      it("reports an exception as `failed` without the 'exceptions' option (gearmand turns it into WORK_FAIL)", async function () {
        const r = await ix.submit(client, fn.excOff, script(`exception ${EXCEPTION_DATA.toString('hex')}`));
        ix.assertEvents(r.events, [['created'], ['fail']], 'events');
      });

      it('runs a background job whose status getStatus() follows (known, running, numerator/denominator, then gone)', async function () {
        const release = path.join(dir, 'release-bg');
        const payload = script('status 1 2', `wait ${release}`, `complete ${hexOf('done')}`);
        const r = await ix.submit(client, fn.bg, payload, { background: true });
        try {
          assert.strictEqual(r.job.background, true);
          const running = await ix.waitOurStatus(r.job, (s) => s.num !== '0', 'running at 1/2');
          assert.deepStrictEqual(running, { known: true, running: true, num: '1', den: '2' });
          const [seen] = await ix.waitJobsSeen(peerWorker, fn.bg, 1);
          assert.strictEqual(seen.handle, r.job.handle);
          assert.strictEqual(seen.sha256, ix.sha256(payload));
          fs.writeFileSync(release, '');
          const gone = await ix.waitOurStatus(r.job, (s) => !s.known, 'unknown');
          assert.deepStrictEqual(gone, { known: false, running: false, num: '0', den: '0' });
        } finally {
          fs.writeFileSync(release, ''); // never leave the peer worker waiting
          r.job.close();
        }
      });

      it('honours LOW, NORMAL and HIGH: jobs queued before the worker starts reach it by priority', async function () {
        const fnP = ix.fnName(`${o.peer}-w-prio`);
        const submitted = ix.PRIORITY_JOBS.map((p) => {
          let created;
          const createdP = new Promise((resolve) => {
            created = resolve;
          });
          const done = ix.submit(client, fnP, Buffer.from(p.label), { background: p.mode === 'bg', priority: p.priority }, { created });
          return { ...p, createdP, done };
        });
        const jobs = await Promise.all(submitted.map((s) => s.createdP));
        ix.assertSubmittedInOrder(jobs.map((j) => j.handle), 'our client');
        await ix.waitQueued(server, fnP, 6);
        const byHandle = new Map(jobs.map((job, i) => [job.handle, submitted[i].label]));
        const [cmd, args] = o.workerArgs(server, [`echo=${fnP}`]);
        const late = new ix.PeerProcess(cmd, args, { label: `${o.peer} worker (priorities)` });
        try {
          const seen = await ix.waitJobsSeen(late, fnP, 6);
          ix.assertPriorityOrder(seen.map((j) => byHandle.get(j.handle)), `${o.peer} worker`);
          for (const s of submitted) {
            const r = await s.done;
            if (s.mode === 'fg') ix.assertBytes(r.response, Buffer.from(s.label), `result of ${s.label}`);
            else r.job.close();
          }
        } finally {
          await late.kill();
        }
      });

      if (o.worker.uniq) {
        it('passes the unique id our client sets to the worker (and none when it sets none)', async function () {
          const unique = `u-${ix.fnName('x')}-žluťoučký`;
          const r1 = await ix.submit(client, fn.uniq, Buffer.from('x'), { unique });
          assert.strictEqual(r1.response.toString('utf8'), unique);
          const r2 = await ix.submit(client, fn.uniq, Buffer.from('y'));
          assert.strictEqual(r2.response.toString('utf8'), '');
        });
      }
    });

    // -------------------------------------------------------------------------------------------
    describe(`${o.peer} client → our Worker`, function () {
      const fn = cfn;
      const small = ix.smallPayloads();
      if (o.client.emptyPayload) {
        it('carries text, UTF-8 with diacritics, all 256 byte values and an empty payload, both ways (function name with diacritics)', async function () {
          await echoThroughPeerClient(fn.echo, small);
        });
      } else {
        it('carries text, UTF-8 with diacritics and all 256 byte values, both ways (function name with diacritics; an empty workload: see the test file)', async function () {
          await echoThroughPeerClient(fn.echo, small.filter((p) => p.data.length > 0));
        });
      }

      it('carries every size from 65,480 to 65,537 bytes, both ways', async function () {
        await echoThroughPeerClient(fn.k64, ix.sizes64k());
      });

      it('sees our work data, warnings and status updates in order, then the result', async function () {
        const events = await ix.runPeerClient(peerClient, [{ id: 'r', fn: fn.report, payload: Buffer.from('go') }]);
        ix.assertEvents(ix.decodeEvents(events.r), [
          ['created'], ['data', DATA_1], ['warning', WARNING_1], ['status', '1', '4'],
          ['data', BYTES256], ['warning', WARNING_2], ['status', '3', '4'], ['complete', RESULT],
        ], `events at the ${o.peer} client`);
      });

      it('sees our reportError() as a failure', async function () {
        const events = await ix.runPeerClient(peerClient, [{ id: 'f', fn: fn.fail, payload: Buffer.from('go') }]);
        ix.assertEvents(ix.decodeEvents(events.f), [['created'], ['data', DATA_1], ['fail']], `events at the ${o.peer} client`);
      });

      it('sees our reportException() with its data as an exception', async function () {
        const events = await ix.runPeerClient(peerClient, [{ id: 'x', fn: fn.exc, payload: Buffer.from('go') }]);
        ix.assertEvents(ix.decodeEvents(events.x), o.client.exceptionEvents(WARNING_1, EXCEPTION_DATA), `events at the ${o.peer} client`);
      });

      it('follows the status of a background job it submitted (known, running, numerator/denominator, then gone)', async function () {
        let resolve;
        held = { arrived: new Promise((r) => (resolve = r)) };
        held.resolve = resolve;
        const payload = Buffer.from(ix.UTF8_TEXT, 'utf8');
        const events = await ix.runPeerClient(peerClient, [{ id: 'b', fn: fn.bg, mode: 'bg', payload }]);
        const created = events.b.find((e) => e.type === 'created');
        assert.ok(created && created.args[0], `no handle from the ${o.peer} client: ${JSON.stringify(events.b)}`);
        const handle = created.args[0];
        const job = await held.arrived;
        try {
          assert.strictEqual(job.handle, handle);
          ix.assertBytes(job.payload, payload, 'background payload at our worker');
          const running = await ix.waitPeerStatus(peerClient, handle, (s) => s.num === '1', 'running at 1/2');
          assert.deepStrictEqual(running, { known: true, running: true, num: '1', den: '2' });
          job.workComplete('done');
          const gone = await ix.waitPeerStatus(peerClient, handle, (s) => !s.known, 'unknown');
          assert.deepStrictEqual({ known: gone.known, running: gone.running }, { known: false, running: false });
        } finally {
          if (job.closed !== true) job.workComplete('done');
        }
      });

      it('honours LOW, NORMAL and HIGH: jobs queued before our worker registers reach it by priority', async function () {
        const fnP = ix.fnName(`${o.peer}-c-prio`);
        const jobs = ix.PRIORITY_JOBS.map((p) => ({ id: p.label, fn: fnP, mode: p.mode, priority: p.priority, payload: Buffer.from(p.label) }));
        const ran = ix.runPeerClient(peerClient, jobs);
        ran.catch(() => {}); // awaited below
        await ix.waitQueued(server, fnP, 6);
        const order = [];
        const late = ix.ourWorker(server);
        try {
          late.addFunction(fnP, (job) => {
            order.push(job.payload.toString());
            job.workComplete(job.payload);
          });
          const events = await ran;
          ix.assertSubmittedInOrder(ix.PRIORITY_JOBS.map((p) => (events[p.label].find((e) => e.type === 'created') || { args: [] }).args[0]),
            `${o.peer} client`);
          for (const p of ix.PRIORITY_JOBS.filter((j) => j.mode === 'fg')) {
            const complete = ix.decodeEvents(events[p.label]).find((e) => e[0] === 'complete');
            assert.ok(complete, `${p.label}: no result at the ${o.peer} client`);
            ix.assertBytes(complete[1], Buffer.from(p.label), `${p.label} result`);
          }
          while (order.length < 6) await ix.sleep(10); // the background ones may still be on their way
          ix.assertPriorityOrder(order, 'our worker');
        } finally {
          late.close();
        }
      });

      it('merges its job with ours when both use the same unique id: one run, both get the result', async function () {
        const fnU = ix.fnName(`${o.peer}-c-merge`);
        const unique = `shared-${ix.fnName('u')}`;
        const ran = ix.runPeerClient(peerClient, [{ id: 'p', fn: fnU, unique, payload: Buffer.from('from the peer') }]);
        ran.catch(() => {}); // awaited below
        await ix.waitQueued(server, fnU, 1);
        let created;
        const createdP = new Promise((resolve) => (created = resolve));
        const ours = ix.submit(client, fnU, Buffer.from('from us'), { unique }, { created });
        const ourJob = await createdP;
        const runs = [];
        const late = ix.ourWorker(server, { withUnique: true });
        try {
          late.addFunction(fnU, (job) => {
            runs.push({ payload: job.payload.toString(), unique: job.unique });
            job.workComplete('the shared result');
          });
          const [events, mine] = await Promise.all([ran, ours]);
          const peerCreated = events.p.find((e) => e.type === 'created');
          assert.strictEqual(ourJob.handle, peerCreated && peerCreated.args[0], 'gearmand gave both the same job');
          ix.assertEvents(ix.decodeEvents(events.p), [['created'], ['complete', Buffer.from('the shared result')]], `events at the ${o.peer} client`);
          ix.assertEvents(mine.events, [['created'], ['complete', Buffer.from('the shared result')]], 'events at our client');
          assert.deepStrictEqual(runs, [{ payload: 'from the peer', unique }]);
        } finally {
          late.close();
        }
      });

      it('passes the unique id it sets to our worker (withUnique: true)', async function () {
        const unique = `u-${ix.fnName('x')}-žluťoučký`;
        const events = await ix.runPeerClient(peerClient, [{ id: 'u', fn: fn.uniq, unique, payload: Buffer.from('x') }]);
        const complete = ix.decodeEvents(events.u).find((e) => e[0] === 'complete');
        assert.ok(complete, `no result: ${JSON.stringify(events.u)}`);
        assert.strictEqual(got[fn.uniq][0].unique, unique);
        assert.strictEqual(complete[1].toString('utf8'), unique);
      });
    });

    // -------------------------------------------------------------------------------------------
    describe('1 MiB and 16 MiB', function () {
      // Both directions at once: libgearman sends large packets slowly (SO_SNDBUF 32 KiB, and on
      // loopback each 64 KiB segment then waits ~40 ms for gearmand's delayed ACK: ~0.65 s per MiB),
      // so the two directions overlap instead of adding up.
      it(`carries them both ways, our Client → ${o.peer} worker and ${o.peer} client → our Worker at the same time`, async function () {
        this.timeout(120000);
        await Promise.all([echoThroughPeerWorker(wfn.big, ix.bigPayloads()), echoThroughPeerClient(cfn.big, ix.bigPayloads())]);
      });
    });
  });
}

module.exports = { defineLibrarySuites, script, DATA_1, WARNING_1, WARNING_2, BYTES256, RESULT, EXCEPTION_DATA };
