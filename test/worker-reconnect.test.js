'use strict';
// Worker reconnection (COMPATIBILITY.md#decision-reconnect; the original stayed idle for good after
// a loss): a worker on a gearmand started here loses it (SIGKILL or stop), reconnects after
// `recoverTime`, registers again (SET_CLIENT_ID, CAN_DO/CAN_DO_TIMEOUT, PRE_SLEEP) and serves
// again; it gives up after `recoverLimit` failed attempts; nothing of it happens after close(),
// after a disconnect() by user code, or while the server stays up. Small recoverTime values keep
// the file fast.
const should = require('should');
const sinon = require('sinon');
const crypto = require('crypto');
const gearmanode = require('../lib/gearmanode');
const { Worker } = require('../lib/gearmanode/worker');
const loggers = require('../lib/logger');
const gearmand = require('./support/gearmand');
const trace = require('./support/trace');

const CAN_DO = 1;
const PRE_SLEEP = 4;
const WORK_COMPLETE = 13;
const SET_CLIENT_ID = 22;
const CAN_DO_TIMEOUT = 23;

const fnName = () => `fn-${crypto.randomUUID()}`;
const typeOf = (buf) => buf.readUInt32BE(4);
/** [type, arguments as UTF-8 strings] of a request packet. */
const decode = (buf) => [typeOf(buf), buf.length > 12 ? buf.subarray(12).toString().split('\0') : []];

/** A fresh gearmand (test/support/gearmand.js picks a free port, randomly placed, and retries). */
const startServer = () => gearmand.start();

const next = (emitter, event, ms = 8000) => trace.once(emitter, event, ms);

const until = trace.until;

describe('Worker reconnect (COMPATIBILITY.md#decision-reconnect)', function () {
  this.timeout(20000);
  let server;
  const opened = [];
  function keep(x) {
    opened.push(x);
    return x;
  }

  before(async function () {
    loggers.setLogger(() => {}); // the reconnect attempts log warnings and errors
    server = await startServer();
  });

  after(async function () {
    loggers.setLogger(null);
    if (server) await server.stop({ reap: false });
  });

  afterEach(async function () {
    sinon.restore();
    while (opened.length) opened.pop().close();
    if (!server.isRunning()) await server.restart();
  });

  /** A worker on the test server; resolves once connected (functions registered by `setup`). */
  async function connectedWorker(options, setup) {
    const w = keep(new Worker({ host: server.host, port: server.port, ...options }));
    const connected = next(w, 'socketConnect');
    setup(w);
    await connected;
    return w;
  }

  /** The line of admin `workers` for a worker id ('' functions when none), or undefined. */
  async function workerLine(id) {
    const lines = (await server.admin('workers')).split('\n');
    return lines.find((l) => l.split(' ')[2] === id);
  }

  /**
   * Takes the server away (SIGKILL, or a clean stop) and resolves with the arguments of the
   * worker's socketDisconnect for that loss.
   */
  async function lose(w, how = 'kill') {
    const lost = next(w, 'socketDisconnect');
    if (how === 'kill') server.kill('SIGKILL');
    else await server.stop({ reap: false });
    return lost;
  }

  /** Restarts the server and resolves once the worker has reconnected (listening before the restart). */
  async function restartAndReconnect(w) {
    const connected = next(w, 'socketConnect');
    await server.restart();
    return connected;
  }

  /** Submits a job to the test server and resolves with the client-side job once it ends. */
  async function runJob(name, payload) {
    const c = keep(gearmanode.client({ host: server.host, port: server.port }));
    const job = c.submitJob(name, payload, { toStringEncoding: 'utf8' });
    await new Promise((resolve, reject) => {
      job.once('complete', resolve);
      job.once('failed', () => reject(new Error('job failed')));
      job.once('exception', (d) => reject(new Error(`job exception ${d}`)));
    });
    return job;
  }

  it('after SIGKILL and a restart: reconnects, re-sends SET_CLIENT_ID, every CAN_DO(_TIMEOUT), PRE_SLEEP, and serves again', async function () {
    const id = `wid-${crypto.randomUUID()}`;
    const a = fnName();
    const b = fnName();
    const w = await connectedWorker({ recoverTime: 100, recoverLimit: 50 }, (wk) => {
      wk.setWorkerId(id);
      wk.addFunction(a, (job) => job.workComplete(`A:${job.payload}`));
      wk.addFunction(b, (job) => job.workComplete(`B:${job.payload}`), { timeout: 5 });
    });
    const js = w.jobServers[0];
    const uid = js.getUid();
    const send = sinon.spy(js, 'send');
    (await runJob(a, 'before')).response.should.equal('A:before');
    // the worker asked for the next job and went back to sleep (COMPATIBILITY.md#grab-cycle)
    await until(() => typeOf(send.lastCall.args[0]) === PRE_SLEEP, 5000, 'PRE_SLEEP after NO_JOB');
    send.resetHistory();

    const emit = sinon.spy(w, 'emit');
    const [lostUid] = await lose(w, 'kill');
    lostUid.should.equal(uid);
    // keep it down across at least one failed attempt
    const [refusedUid, refused] = await next(w, 'socketError');
    refusedUid.should.equal(uid);
    refused.code.should.equal('ECONNREFUSED');
    await restartAndReconnect(w);
    js.connected.should.be.true();

    // events: the loss (a FIN: socketDisconnect(uid, undefined); a reset: socketError(ECONNRESET) +
    // socketDisconnect(uid, err)), then per failed attempt socketError(ECONNREFUSED) +
    // socketDisconnect(uid, err), then socketConnect
    const events = emit.args.filter((x) => /^socket/.test(x[0]));
    const lossEnd = events.findIndex((x) => x[0] === 'socketDisconnect');
    lossEnd.should.be.within(0, 1);
    if (lossEnd === 1) events[0][0].should.equal('socketError');
    events[events.length - 1].should.eql(['socketConnect', uid]);
    const attempts = events.slice(lossEnd + 1, -1);
    attempts.length.should.be.aboveOrEqual(2);
    for (let i = 0; i < attempts.length; i += 2) {
      attempts[i][0].should.equal('socketError');
      attempts[i][2].code.should.equal('ECONNREFUSED');
      attempts[i + 1][0].should.equal('socketDisconnect');
      attempts[i + 1][2].should.equal(attempts[i][2]); // the same Error
    }
    emit.args.some((x) => x[0] === 'error').should.be.false();

    // registration on the new connection: SET_CLIENT_ID first, PRE_SLEEP last
    const connectCall = emit.getCalls().find((c) => c.args[0] === 'socketConnect');
    await until(() => send.getCalls().some((c) => c.calledAfter(connectCall) && typeOf(c.args[0]) === PRE_SLEEP), 5000, 'PRE_SLEEP');
    const after = send.getCalls().filter((c) => c.calledAfter(connectCall)).map((c) => decode(c.args[0]));
    after[0].should.eql([SET_CLIENT_ID, [id]]);
    after.slice(1, 3).sort().should.eql([[CAN_DO, [a]], [CAN_DO_TIMEOUT, [b, '6000']]].sort());
    after[3].should.eql([PRE_SLEEP, []]);
    send.getCalls().filter((c) => !c.calledAfter(connectCall)).should.have.length(0); // nothing while down

    // gearmand knows the worker again, and it serves jobs submitted after the restart
    // (gearmand may show the id before it has processed the CAN_DOs: wait for both)
    const line = await until(async () => {
      const l = await workerLine(id);
      return l && l.includes(a) && l.includes(b) && l;
    }, 5000, 'worker line with both functions');
    line.split(' : ')[1].split(' ').sort().should.eql([a, b].sort());
    (await runJob(a, 'after')).response.should.equal('A:after');
    (await runJob(b, 'after')).response.should.equal('B:after');
  });

  it('after a clean stop (FIN) and a restart: reconnects and serves again', async function () {
    const a = fnName();
    const w = await connectedWorker({ recoverTime: 100, recoverLimit: 50 }, (wk) => {
      wk.addFunction(a, (job) => job.workComplete(`A:${job.payload}`));
    });
    const [, err] = await lose(w, 'stop');
    should(err).be.undefined(); // a FIN: no error
    await restartAndReconnect(w);
    (await runJob(a, 'again')).response.should.equal('A:again');
  });

  it('jobs running at the loss are closed; their late reports are harmless and send nothing, also after the reconnect', async function () {
    const a = fnName();
    let held = null;
    const arrived = [];
    const w = await connectedWorker({ recoverTime: 100, recoverLimit: 50 }, (wk) => {
      wk.addFunction(a, (job) => {
        if (job.payload.toString() === 'hold') {
          held = job;
          arrived.forEach((f) => f());
        } else {
          job.workComplete('ok');
        }
      });
    });
    const js = w.jobServers[0];
    const c = keep(gearmanode.client({ host: server.host, port: server.port }));
    c.on('error', () => {});
    c.submitJob(a, 'hold');
    if (!held) await new Promise((resolve) => arrived.push(resolve));
    const jobEmit = sinon.spy(held, 'emit');
    const closed = next(held, 'close');
    server.kill('SIGKILL');
    await closed;
    held.closed.should.be.true();
    jobEmit.args.map((x) => x[0]).should.eql(['close']);
    const send = sinon.spy(js, 'send');
    (() => {
      should(held.workComplete('late')).be.undefined();
      held.sendWorkData('late');
      held.reportStatus(1, 2);
      held.reportError();
    }).should.not.throw();
    send.called.should.be.false();
    await restartAndReconnect(w);
    send.resetHistory();
    held.workComplete('later still');
    held.reportException('later still');
    send.called.should.be.false();
    jobEmit.args.map((x) => x[0]).should.eql(['close']);
  });

  it('gives up after recoverLimit failed attempts: error GEARMAN_RECONNECT_FAILED naming the server, then no more attempts', async function () {
    const w = await connectedWorker({ recoverTime: 50, recoverLimit: 3 }, (wk) => wk.addFunction(fnName(), () => {}));
    const uid = w.jobServers[0].getUid();
    const failed = next(w, 'error');
    await lose(w, 'stop');
    // counted from the end of the loss: only the reconnect attempts
    const refused = [];
    const events = [];
    w.on('socketError', (u, e) => {
      refused.push(e.code);
      events.push('socketError');
    });
    w.on('socketConnect', () => events.push('socketConnect'));
    const [err] = await failed;
    err.should.be.instanceof(Error);
    err.code.should.equal('GEARMAN_RECONNECT_FAILED');
    err.message.should.containEql(uid);
    refused.should.eql(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    await gearmand.sleep(500); // 10 × recoverTime
    refused.should.have.length(3);
    events.should.not.containEql('socketConnect');
    w.jobServers[0].connected.should.be.false();
  });

  it('gives up quietly without an error listener: nothing thrown, attempts stop', async function () {
    const w = await connectedWorker({ recoverTime: 30, recoverLimit: 2 }, (wk) => wk.addFunction(fnName(), () => {}));
    await lose(w, 'stop');
    const emit = sinon.spy(w, 'emit');
    await until(() => emit.args.filter((x) => x[0] === 'socketError').length === 2, 5000, 'two attempts');
    await gearmand.sleep(400);
    emit.args.filter((x) => x[0] === 'socketError').should.have.length(2);
    w.listenerCount('error').should.equal(0);
  });

  it('close() during the recover wait: no reconnect, nothing registered on the restarted server', async function () {
    const id = `wid-${crypto.randomUUID()}`;
    const w = await connectedWorker({ recoverTime: 300, recoverLimit: 50 }, (wk) => {
      wk.setWorkerId(id);
      wk.addFunction(fnName(), () => {});
    });
    const js = w.jobServers[0];
    await lose(w, 'kill');
    const emit = sinon.spy(w, 'emit');
    const send = sinon.spy(js, 'send');
    w.close();
    await server.restart();
    await gearmand.sleep(700); // more than twice recoverTime
    emit.args.map((x) => x[0]).should.eql(['socketDisconnect', 'close']);
    send.called.should.be.false();
    ('socket' in js).should.be.false();
    should(await workerLine(id)).be.undefined();
  });

  it('close() while connected, then a server loss: nothing reconnects', async function () {
    const id = `wid-${crypto.randomUUID()}`;
    const w = await connectedWorker({ recoverTime: 50, recoverLimit: 50 }, (wk) => {
      wk.setWorkerId(id);
      wk.addFunction(fnName(), () => {});
    });
    w.close();
    const emit = sinon.spy(w, 'emit');
    server.kill('SIGKILL');
    await server.restart();
    await gearmand.sleep(300);
    emit.called.should.be.false();
    should(await workerLine(id)).be.undefined();
  });

  it('nothing happens while the server stays up', async function () {
    const w = await connectedWorker({ recoverTime: 20, recoverLimit: 1 }, (wk) => wk.addFunction(fnName(), () => {}));
    const js = w.jobServers[0];
    const emit = sinon.spy(w, 'emit');
    const send = sinon.spy(js, 'send');
    const connect = sinon.spy(js, 'connect');
    await gearmand.sleep(300); // 15 × recoverTime
    emit.called.should.be.false();
    send.called.should.be.false();
    connect.called.should.be.false();
    js.connected.should.be.true();
  });

  it('disconnect() called by user code does not trigger a reconnect', async function () {
    const id = `wid-${crypto.randomUUID()}`;
    const w = await connectedWorker({ recoverTime: 20, recoverLimit: 5 }, (wk) => {
      wk.setWorkerId(id);
      wk.addFunction(fnName(), () => {});
    });
    const js = w.jobServers[0];
    const emit = sinon.spy(w, 'emit');
    const connect = sinon.spy(js, 'connect');
    should(js.disconnect()).be.undefined();
    emit.args.should.eql([['socketDisconnect', js.getUid(), undefined]]);
    await gearmand.sleep(300); // 15 × recoverTime
    emit.callCount.should.equal(1);
    connect.called.should.be.false();
    js.connected.should.be.false();
    ('socket' in js).should.be.false();
    await until(async () => (await workerLine(id)) === undefined, 5000, 'the connection gone on the server');
  });

  it('resetAbilities (and removeFunction) before a loss: those functions are not registered again', async function () {
    const id = `wid-${crypto.randomUUID()}`;
    const a = fnName();
    const b = fnName();
    const w = await connectedWorker({ recoverTime: 50, recoverLimit: 50 }, (wk) => {
      wk.setWorkerId(id);
      wk.addFunction(a, () => {});
      wk.addFunction(b, () => {});
    });
    w.removeFunction(b);
    w.resetAbilities();
    const js = w.jobServers[0];
    await lose(w, 'kill');
    const send = sinon.spy(js, 'send');
    await restartAndReconnect(w);
    await until(() => send.args.some((x) => typeOf(x[0]) === PRE_SLEEP), 5000, 'PRE_SLEEP');
    send.args.map((x) => decode(x[0])).should.eql([[SET_CLIENT_ID, [id]], [PRE_SLEEP, []]]);
    Object.keys(w.functions).should.eql([a]); // resetAbilities keeps the local register
    const line = await until(() => workerLine(id), 5000, 'worker line');
    line.should.endWith(':');
    // a function added after the reset is registered again after the next loss
    const c = fnName();
    w.addFunction(c, (job) => job.workComplete('c'));
    await lose(w, 'kill');
    await restartAndReconnect(w);
    (await runJob(c, 'x')).response.should.equal('c');
    const line2 = await until(async () => {
      const l = await workerLine(id);
      return l && l.includes(c) && l;
    }, 5000, 'worker line with the new function');
    line2.split(' : ')[1].should.equal(c);
  });

  it('a completed job before the loss is not answered again after the reconnect', async function () {
    const a = fnName();
    const w = await connectedWorker({ recoverTime: 50, recoverLimit: 50 }, (wk) => {
      wk.addFunction(a, (job) => job.workComplete('done'));
    });
    (await runJob(a, '1')).response.should.equal('done');
    const send = sinon.spy(w.jobServers[0], 'send');
    await lose(w, 'kill');
    await restartAndReconnect(w);
    await gearmand.sleep(100);
    send.args.filter((x) => typeOf(x[0]) === WORK_COMPLETE).should.have.length(0);
  });
});
