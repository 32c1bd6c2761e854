'use strict';
// worker.shutdown({ timeout }) (README "Deadlines, cancellation and shutdown"): the worker takes no
// new job, withdraws its functions, lets running jobs finish, then closes; jobs still running at the
// timeout are handed back to gearmand, which gives them to another worker. Real gearmand on 4730.
const crypto = require('crypto');
const assert = require('assert');
require('should');
const gearmanode = require('..');
const gearmand = require('./support/gearmand');
const { defaultServer } = require('./support/hooks');
const { once, sleep, until } = require('./support/trace');

const fname = (p) => `${p}-${crypto.randomUUID()}`;

/** The admin `status` line of one function: [total, running, available workers], or null. */
async function status(fn, port = defaultServer.port) {
  const text = await gearmand.adminCommand(port, 'status');
  const line = text.split('\n').find((l) => l.split('\t')[0] === fn);
  return line ? line.split('\t').slice(1).map(Number) : null;
}

describe('worker.shutdown({ timeout })', function () {
  this.timeout(20000);
  const closing = [];
  afterEach(function () {
    for (const x of closing.splice(0)) x.close();
  });
  const client = () => {
    const c = gearmanode.client({ port: defaultServer.port });
    closing.push(c);
    return c;
  };
  const worker = (opts) => {
    const w = gearmanode.worker({ port: defaultServer.port, ...opts });
    closing.push(w);
    return w;
  };

  it('a running job finishes in time: the client sees complete, nothing else is grabbed, then the worker closes', async function () {
    const fn = fname('drain');
    const c = client();
    const a = worker();
    const got = [];
    a.addFunction(fn, (job) => {
      got.push(job.payload.toString());
      setTimeout(() => job.workComplete('done ' + job.payload), 400);
    });
    const first = c.submitJob(fn, 'first', { toStringEncoding: 'utf8' });
    const firstDone = once(first, 'complete');
    await until(() => got.length === 1, 5000, 'the first job to start');
    const second = c.submitJob(fn, 'second', { toStringEncoding: 'utf8' });
    await once(second, 'created');
    const closed = once(a, 'close');
    const result = await a.shutdown({ timeout: 5000 });
    result.should.eql({ handedBack: 0 });
    await closed;
    await firstDone;
    first.response.should.equal('done first');
    got.should.eql(['first']);
    // The second job is still queued, with no worker registered any more: nobody took it.
    (await status(fn)).should.eql([1, 0, 0]);
    // Another worker gets it.
    const b = worker();
    b.addFunction(fn, (job) => job.workComplete('by b'));
    await once(second, 'complete');
    second.response.should.equal('by b');
  });

  it('functions are withdrawn at once where nothing runs, and right after the last answer where a job runs', async function () {
    const other = await gearmand.start({ port: await gearmand.freePort(4740) });
    try {
      const fn = fname('withdraw');
      const c = client();
      const a = worker({ servers: [defaultServer.server, { host: '127.0.0.1', port: other.port }] });
      let release;
      a.addFunction(fn, (job) => { release = () => job.workComplete('ok'); });
      const job = c.submitJob(fn, 'x');
      await until(() => release !== undefined, 5000, 'the job to start');
      const b = worker(); // another worker of fn on the default server: keeps fn in its status
      b.addFunction(fname('other'), () => {});
      (await status(fn)).should.eql([1, 1, 1]);
      (await status(fn, other.port)).should.eql([0, 0, 1]);
      const done = a.shutdown({ timeout: 5000 });
      await until(async () => (await status(fn, other.port))[2] === 0, 5000, 'the idle server to be told');
      // The job still runs on the default server, where `a` stays registered (withdrawing would
      // hand the job back: docs/PROTOCOL.md#quirks).
      (await status(fn)).should.eql([1, 1, 1]);
      release();
      await once(job, 'complete');
      (await done).should.eql({ handedBack: 0 });
    } finally {
      await other.stop();
    }
  });

  it('a job still running at the timeout is handed back: another worker completes it, the client sees exactly one complete', async function () {
    const fn = fname('handback');
    const c = client();
    const a = worker();
    let lateAnswer;
    a.addFunction(fn, (job) => { lateAnswer = () => job.workComplete('from a, too late'); });
    const job = c.submitJob(fn, 'x', { toStringEncoding: 'utf8' });
    const completes = [];
    job.on('complete', () => completes.push(job.response));
    await until(() => lateAnswer !== undefined, 5000, 'the job to start on a');
    const result = await a.shutdown({ timeout: 300 });
    result.should.eql({ handedBack: 1 });
    a.closed.should.be.true();
    lateAnswer(); // ignored: the job was handed back
    const b = worker();
    b.addFunction(fn, (j) => j.workComplete('from b'));
    await once(job, 'complete');
    await sleep(200);
    completes.should.eql(['from b']);
  });

  it('resolves at once on an idle worker; a second call gives the same promise; the timeout is checked', async function () {
    const a = worker();
    a.addFunction(fname('idle'), () => {});
    const p = a.shutdown({ timeout: 1000 });
    assert.strictEqual(a.shutdown(), p);
    (await p).should.eql({ handedBack: 0 });
    a.closed.should.be.true();
    const b = worker();
    const err = await b.shutdown({ timeout: 'soon' }).then(() => null, (e) => e);
    err.should.be.an.Error();
  });
});
