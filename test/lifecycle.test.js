'use strict';
// lib/internal/lifecycle.js: a job server's one state machine (docs/ARCHITECTURE.md#jobserver-lifecycle),
// against real gearmand: the default one on 4730, refused connections on 4731, and a private one
// stopped to get a FIN. What 0.9.2 emits for each transition is tested in job-server.test.js; here:
// the states, that every transition goes through one function (one debug line each), and the
// teardown's edges (sends and connects made while it runs).
require('should');
const assert = require('assert');
const gearmand = require('./support/gearmand');
const { defaultServer, REFUSED_PORT } = require('./support/hooks');
const { fakeOwner } = require('./support/fake-owner');
const { until } = require('./support/trace');
const { JobServer } = require('../lib/gearmanode/job-server');
const protocol = require('../lib/gearmanode/protocol');
const loggers = require('../lib/logger');
const lifecycle = require('../lib/internal/lifecycle');

const T = protocol.PACKET_TYPES;
const echo = (text) => protocol.encodePacket(T.ECHO_REQ, [text]);

function ownedServer(port, host = defaultServer.host) {
  const owner = fakeOwner({ type: 'Client' });
  const js = new JobServer({ host, port });
  js.clientOrWorker = owner;
  return { js, owner };
}

/** Runs `fn` with the level at debug and every JobServer log line collected. */
async function withDebugLines(fn) {
  const lines = [];
  const level = loggers.getLevel();
  loggers.setLogger((lvl, message, meta) => {
    if (meta.logger === 'JobServer') lines.push(message);
  });
  loggers.setLevel('debug');
  try {
    await fn(lines);
  } finally {
    loggers.setLevel(level);
    loggers.setLogger(null);
  }
  return lines;
}

describe('JobServer lifecycle (lib/internal/lifecycle.js)', function () {
  const opened = [];
  afterEach(function () {
    for (const js of opened.splice(0)) js.disconnect();
  });

  it('idle → connecting → connected → idle: one debug line per transition, in order', async function () {
    const { js } = ownedServer(defaultServer.port);
    opened.push(js);
    const lines = await withDebugLines(async () => {
      lifecycle.stateOf(js).should.equal('idle');
      const connected = new Promise((resolve) => js.connect(resolve));
      lifecycle.stateOf(js).should.equal('connecting');
      assert.strictEqual(await connected, undefined);
      lifecycle.stateOf(js).should.equal('connected');
      js.connected.should.be.true();
      js.disconnect();
      lifecycle.stateOf(js).should.equal('idle');
    });
    const uid = js.getUid();
    lines.should.eql([
      `job server ${uid}: idle -> connecting (connect)`,
      `job server ${uid}: connecting -> connected (connect)`,
      `job server ${uid}: connected -> closing (disconnect)`,
      `job server ${uid}: closing -> idle (disconnect)`,
    ]);
  });

  it('a refused connection ends down, and the next send connects again', async function () {
    const { js, owner } = ownedServer(REFUSED_PORT);
    opened.push(js);
    const errs = [];
    js.send(echo('a'), (err) => errs.push(err));
    lifecycle.stateOf(js).should.equal('connecting');
    await until(() => errs.length === 1, 5000, 'the refusal');
    errs[0].code.should.equal('ECONNREFUSED');
    lifecycle.stateOf(js).should.equal('down');
    js.failedConnectionCount.should.equal(1);
    js.send(echo('b'), (err) => errs.push(err));
    lifecycle.stateOf(js).should.equal('connecting');
    await until(() => errs.length === 2, 5000, 'the second refusal');
    js.failedConnectionCount.should.equal(2);
    owner.events.map((e) => e[0]).should.eql(['socketError', 'socketDisconnect', 'socketError', 'socketDisconnect']);
  });

  it('a FIN from the server ends down; the jobs waiting for JOB_CREATED close, then a send reconnects', async function () {
    const server = await gearmand.start({ port: await gearmand.freePort(4740) });
    const { js, owner } = ownedServer(server.port, '127.0.0.1');
    opened.push(js);
    await new Promise((resolve, reject) => js.connect((err) => (err ? reject(err) : resolve())));
    const closed = [];
    js.jobsWaiting4Created.push({ close() { closed.push(lifecycle.stateOf(js)); }, listenerCount: () => 0 });
    await server.stop();
    await until(() => lifecycle.stateOf(js) === 'down', 5000, 'the FIN');
    closed.should.eql(['closing']);
    owner.events.map((e) => e[0]).should.eql(['socketConnect', 'socketDisconnect']);
    // The server comes back on the same port: the next send connects on its own.
    await server.restart();
    const echoed = new Promise((resolve) => js.once('echo', resolve));
    js.send(echo('back'));
    (await echoed).should.equal('back');
    lifecycle.stateOf(js).should.equal('connected');
  });

  it('a send made while a teardown runs waits for its end and hears the error (no socket opens meanwhile)', async function () {
    const { js, owner } = ownedServer(defaultServer.port);
    opened.push(js);
    await new Promise((resolve) => js.connect(resolve));
    const seen = [];
    js.jobsWaiting4Created.push({
      close() {
        const r = js.send(echo('late'), (err) => seen.push(['cb', err && err.code, lifecycle.stateOf(js)]));
        seen.push(['send', r, lifecycle.stateOf(js), js.socket !== undefined]);
      },
      listenerCount: () => 0,
    });
    js.disconnect();
    seen.should.eql([['send', undefined, 'closing', true], ['cb', 'GEARMAN_NOT_CONNECTED', 'idle']]);
    assert.strictEqual(js.socket, undefined);
    owner.events.map((e) => e[0]).should.eql(['socketConnect', 'socketDisconnect']);
  });

  it('a connect() made while a teardown runs hears its end too', async function () {
    const { js } = ownedServer(defaultServer.port);
    opened.push(js);
    await new Promise((resolve) => js.connect(resolve));
    const seen = [];
    js.jobsWaiting4Created.push({
      close() { js.connect((err) => seen.push(err && err.code)); },
      listenerCount: () => 0,
    });
    js.disconnect();
    seen.should.eql(['GEARMAN_NOT_CONNECTED']);
    lifecycle.stateOf(js).should.equal('idle');
  });

  it('queued sends are one queue: written in order once connected, none left behind', async function () {
    const { js } = ownedServer(defaultServer.port);
    opened.push(js);
    const texts = ['q1', 'q2', 'q3'];
    const echoes = [];
    const all = new Promise((resolve) => js.on('echo', (t) => {
      echoes.push(t);
      if (echoes.length === texts.length) resolve();
    }));
    for (const t of texts) js.send(echo(t));
    lifecycle.queuedSends(js).should.equal(3);
    await all;
    echoes.should.eql(texts);
    lifecycle.queuedSends(js).should.equal(0);
  });
});
