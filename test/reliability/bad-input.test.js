'use strict';
// Bad input from the caller: a table of wrong types and values for every public method and option
// (test/support/bad-input-cases.js). Each gets what ARCHITECTURE.md#rules asks: a clear Error,
// returned where gearmanode returned one, thrown only where it threw; and nothing malformed ever
// reaches the wire (every client and worker of the table talks to a fake server that parses what it
// receives strictly). The original 0.9.2 runs the same table in a child process (it throws from
// socket callbacks on some of these inputs) for the comparison. Two more cases run against the real
// gearmand: a unique id over its 64-byte limit, and a 600-byte function name.

const assert = require('assert');
require('should');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawn } = require('child_process');
const fake = require('../support/fake-server');
const { Recorder } = require('../support/recorder');
const { cases, classify, makeContext } = require('../support/bad-input-cases');
const { defaultServer } = require('../support/hooks');
const g = require('../..');

const FIGURES = path.join(__dirname, '..', '.tmp', 'figures');
const ORIGINAL_RUNNER = path.join(__dirname, '..', 'support', 'bad-input-original.js');

function describeExpect(e) {
  if (e.error) return `returns Error ${e.error}`;
  if (e.throws) return `throws ${e.throws}`;
  if (e.refused) return `refuses (Error returned or thrown) ${e.refused}`;
  return 'accepts it';
}

function runOriginal() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ORIGINAL_RUNNER], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out));
      } catch (e) {
        reject(new Error(`the original's run failed (exit ${code}): ${err.slice(0, 2000)}`));
      }
    });
  });
}

describe('reliability: bad input from the caller', function () {
  this.timeout(30000);
  const trapped = [];
  const trap = (err) => trapped.push(err);
  const rows = [];
  let server;
  let ctx;
  let original;
  let previousSink;

  before(async function () {
    process.on('uncaughtException', trap);
    process.on('unhandledRejection', trap);
    previousSink = g.setLogger(() => {});
    server = await fake.start();
    ctx = makeContext(g, (name) => require(`../../lib/gearmanode/${name}`), server.port);
    original = await runOriginal();
  });

  after(async function () {
    process.off('uncaughtException', trap);
    process.off('unhandledRejection', trap);
    g.setLogger(previousSink);
    if (ctx) ctx.closeAll();
    if (server) await server.close();
    fs.mkdirSync(FIGURES, { recursive: true });
    fs.writeFileSync(path.join(FIGURES, 'bad-input.json'), JSON.stringify({
      date: new Date().toISOString(),
      cases: rows.length,
      passed: rows.filter((r) => r.verdict === 'ok').length,
      originalMalformedPackets: original ? original.malformed : null,
      oursMalformedPackets: server ? server.malformed : null,
      rows,
    }, null, 2) + '\n');
  });

  for (const c of cases) {
    it(`${c.id}: ${describeExpect(c.expect)}`, function () {
      const ours = classify(() => c.run(ctx));
      const orig = c.oursOnly ? null : original.outcomes[c.id];
      const row = { id: c.id, expected: describeExpect(c.expect), original: orig, ours, verdict: 'failed' };
      rows.push(row);
      const shown = `ours: ${JSON.stringify(ours)}; original: ${JSON.stringify(orig)}`;

      const e = c.expect;
      if (e.error) {
        assert.strictEqual(ours.kind, 'error', `expected a returned Error; ${shown}`);
        assert.match(ours.message, e.error, shown);
      } else if (e.ok) {
        assert.strictEqual(ours.kind, 'value', `expected the call to be accepted; ${shown}`);
      } else if (e.throws) {
        assert.strictEqual(ours.kind, 'threw', `expected a throw; ${shown}`);
        assert.match(ours.message, e.throws, shown);
      } else if (e.refused) {
        assert.notStrictEqual(ours.kind, 'value', `expected a refusal; ${shown}`);
        assert.match(ours.message, e.refused, shown);
      }
      // The rule (COMPATIBILITY.md#ground-rules), against what gearmanode 0.9.2 did with the same
      // input.
      if (orig) {
        if (orig.kind !== 'threw' && !c.mayThrow) {
          assert.notStrictEqual(ours.kind, 'threw', `throws where gearmanode 0.9.2 did not; ${shown}`);
        }
        if (orig.kind === 'error') assert.strictEqual(ours.kind, 'error', `gearmanode 0.9.2 returned an Error here; ${shown}`);
      }
      row.verdict = 'ok';
    });
  }

  it('never writes a malformed packet: everything the table sent parses strictly, and no connection stops inside a packet', async function () {
    await fake.sleep(300); // the last writes leave on the next tick
    assert.deepStrictEqual(server.malformed, []);
    const unfinished = server.connections.filter((conn) => conn.pending > 0)
      .map((conn) => `${conn.pending} byte(s) after ${conn.packets.map((p) => p.name).join(',') || 'nothing'}`);
    assert.deepStrictEqual(unfinished, []);
    assert.ok(server.received.length > 20, `the table put ${server.received.length} packets on the wire`);
  });

  it('closes every client and worker of the table without a throw, and nothing was thrown past the library meanwhile', function () {
    const errors = ctx.closeAll();
    assert.deepStrictEqual(errors.map(String), []);
    assert.deepStrictEqual(trapped.map(String), []);
  });

  describe('against the real gearmand', function () {
    it('a unique id over gearmand\'s 64-byte limit is refused by submitJob, or at least never leaves the job (or the next one) hanging', async function () {
      const rec = new Recorder();
      const client = rec.owner(g.client({ host: '127.0.0.1', port: defaultServer.port }), 'client');
      const fn = 'bad-input-' + crypto.randomUUID();
      const worker = g.worker({ host: '127.0.0.1', port: defaultServer.port });
      worker.addFunction(fn, (job) => job.workComplete('done ' + job.payload.toString()));
      try {
        const job = client.submitJob(fn, 'first', { unique: 'u'.repeat(65) });
        if (!(job instanceof Error)) {
          rec.job(job, 'first');
          await rec.wait((ev) => ev.some((x) => /^first:(complete|failed|exception|error)/.test(x)), 3000,
            'a terminal event of the job with the 65-byte unique id').catch((err) => assert.fail(err.message));
        }
        const next = rec.job(client.submitJob(fn, 'second'), 'second');
        await rec.wait('second:complete:done second', 3000).catch((err) => assert.fail(err.message));
        assert.ok(next);
      } finally {
        client.close();
        worker.close();
      }
    });

    it('a 63-byte unique id (gearmand\'s longest) reaches a withUnique worker intact, with an intact payload', async function () {
      const fn = 'bad-input-' + crypto.randomUUID();
      const unique = crypto.randomUUID().padEnd(63, 'u');
      const client = g.client({ host: '127.0.0.1', port: defaultServer.port });
      const worker = g.worker({ host: '127.0.0.1', port: defaultServer.port, withUnique: true });
      worker.addFunction(fn, (job) => job.workComplete(`${job.unique}|${job.payload.toString('hex')}`));
      try {
        const out = await client.submitJobAsync(fn, Buffer.from([1, 2, 3]), { unique, toStringEncoding: 'utf8' });
        out.should.equal(`${unique}|010203`);
        client.submitJob(fn, 'x', { unique: unique + 'v' }).should.be.an.Error().and.have.property('code', 'GEARMAN_ARGUMENT_TOO_LARGE');
      } finally {
        client.close();
        worker.close();
      }
    });

    it('a 600-byte function name (over libgearman\'s 512): gearmand 1.1.20 accepts it and the job completes', async function () {
      const rec = new Recorder();
      const fn = ('long-' + crypto.randomUUID()).padEnd(600, 'x');
      const client = rec.owner(g.client({ host: '127.0.0.1', port: defaultServer.port }), 'client');
      const worker = rec.owner(g.worker({ host: '127.0.0.1', port: defaultServer.port }), 'worker');
      try {
        assert.strictEqual(worker.addFunction(fn, (job) => job.workComplete('ok')), undefined);
        rec.job(client.submitJob(fn, 'p'));
        await rec.wait('job:complete:ok');
        assert.ok(!rec.events.some((x) => /jobServerError|socketError|:error/.test(x)), JSON.stringify(rec.events));
      } finally {
        client.close();
        worker.close();
      }
    });
  });
});
