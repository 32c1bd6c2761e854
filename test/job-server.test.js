'use strict';
// lib/gearmanode/job-server.js: COMPATIBILITY.md#jobserver (constructor, own keys, getUid/toString,
// connect(cb) with every row of its table, disconnect's six steps, send's checks and queueing,
// echo/setOption) and #jobserver-events, with real gearmand: the shared one on 4730, refused
// connections on 4731, and a private one started on a free port and stopped to get a FIN. Fixes:
// COMPATIBILITY.md#fixed-2 (every queued send hears the failure) and #fixed-11 (one connection
// attempt at a time). The _processData part is in job-server-data.test.js.
require('should');
const assert = require('assert');
const net = require('net');
const crypto = require('crypto');
const EventEmitter = require('events');
const sinon = require('sinon');
const diff = require('./support/differential');
const gearmand = require('./support/gearmand');
const { defaultServer, REFUSED_PORT } = require('./support/hooks');
const { fakeOwner } = require('./support/fake-owner');
const jobServerModule = require('../lib/gearmanode/job-server');
const nativeSocket = require('../lib/internal/native-socket');
const lifecycle = require('../lib/internal/lifecycle');
const protocol = require('../lib/gearmanode/protocol');
const { Client } = require('../lib/gearmanode/client');

const { JobServer } = jobServerModule;
const MODULE = 'lib/gearmanode/job-server';
const CI = 'ConnectInternal140319214558';
const T = protocol.PACKET_TYPES;
const KEYS = ['host', 'port', 'connected', 'jobsWaiting4Created', 'wrongDisconnectAt', 'failedConnectionCount'];

/** A JobServer owned by a fresh fake owner (a Worker-typed `{_type, emit}`). */
function ownedServer(port = defaultServer.port, host = defaultServer.host, type = 'Worker') {
  const owner = fakeOwner({ type });
  const js = new JobServer({ host, port });
  js.clientOrWorker = owner;
  return { js, owner };
}

/** Resolves with the arguments of the next `event` on `emitter`. */
function next(emitter, event) {
  return new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
}

/** Resolves once `predicate()` holds (polling; for events that land on objects we do not own). */
async function until(predicate, what, timeout = 5000) {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** connect(cb) as a promise of `[err, stateSeenInsideCb]`. */
function connect(js, inside = () => null) {
  return new Promise((resolve) => {
    js.connect(function (err) {
      resolve([err, inside()]);
    });
  });
}

const uniqueText = () => 'echo-' + crypto.randomUUID();

describe('JobServer', function () {
  const cleanup = [];
  afterEach(function () {
    sinon.restore();
    while (cleanup.length) {
      const x = cleanup.pop();
      try {
        if (typeof x.close === 'function') x.close();
        else if (x instanceof JobServer && (x.socket || x.connected)) x.disconnect();
      } catch (e) {
        // cleanup must not hide the test's own failure
      }
    }
  });

  /** Registers what a test created for closing afterwards, and returns it. */
  function track(x) {
    cleanup.push(x);
    return x;
  }

  describe('module and class', function () {
    it('exports CONSTANTS {DEFAULT_RECOVER_TIME: 30000} then JobServer (differential)', function () {
      Object.keys(jobServerModule).should.eql(['CONSTANTS', 'JobServer']);
      assert.deepStrictEqual(jobServerModule.CONSTANTS, { DEFAULT_RECOVER_TIME: 30000 });
      diff.same(MODULE, (m) => [Object.keys(m), m.CONSTANTS]);
    });

    it('is an EventEmitter subclass (super_ === EventEmitter) with a static logger', function () {
      JobServer.super_.should.equal(EventEmitter);
      new JobServer({ host: 'h', port: 1 }).should.be.an.instanceOf(EventEmitter);
      JobServer.logger.log.should.be.a.Function();
      JobServer.logger.isLevelEnabled.should.be.a.Function();
    });
  });

  describe('constructor', function () {
    it('own keys, in order: host, port, connected=false, jobsWaiting4Created=[], wrongDisconnectAt=0, failedConnectionCount=0', function () {
      const js = new JobServer({ host: 'h', port: 1 });
      Object.keys(js).should.eql(KEYS);
      js.host.should.equal('h');
      js.port.should.equal(1);
      js.connected.should.be.false();
      js.jobsWaiting4Created.should.eql([]);
      assert.strictEqual(js.wrongDisconnectAt, 0);
      assert.strictEqual(js.failedConnectionCount, 0);
    });

    it('has no socket, clientOrWorker, segmentedPacket, headerfrag (and no EventEmitter internals as own keys)', function () {
      const js = new JobServer({ host: 'h', port: 1 });
      for (const k of ['socket', 'clientOrWorker', 'segmentedPacket', 'headerfrag', 'closed']) (k in js).should.be.false();
      Object.getOwnPropertyNames(js).should.eql(KEYS);
    });

    it('returns Error for a missing, undefined or null host/port and for an unknown key; no type checks', function () {
      new JobServer().message.should.equal('missing mandatory option: host');
      new JobServer(null).message.should.equal('missing mandatory option: host');
      new JobServer({ port: 1 }).message.should.equal('missing mandatory option: host');
      new JobServer({ host: null, port: 1 }).message.should.equal('missing mandatory option: host');
      new JobServer({ host: 'h' }).message.should.equal('missing mandatory option: port');
      new JobServer({ host: 'h', port: undefined }).message.should.equal('missing mandatory option: port');
      new JobServer({ host: 'h', port: null }).message.should.equal('missing mandatory option: port');
      new JobServer({ host: 'h', port: 1, x: 2 }).message.should.equal('unknow option: x');
      new JobServer({ host: 5, port: 'x' }).getUid().should.equal('5:x');
    });

    it('matches the original on a table of options (differential)', function () {
      const table = [undefined, null, {}, { host: 'h' }, { port: 1 }, { host: 'h', port: 1 }, { host: null, port: 1 },
        { host: 'h', port: undefined }, { host: 'h', port: 1, x: 2 }, { x: 1 }, { host: 5, port: 'x' },
        { host: '', port: 0 }, 'ab', true];
      for (const options of table) {
        diff.same(MODULE, (m) => {
          const js = new m.JobServer(options);
          return js instanceof Error ? js : { keys: Object.keys(js), copy: Object.assign({}, js), uid: js.getUid() };
        });
      }
    });
  });

  describe('getUid / toString', function () {
    it('getUid() → host:port, toString() → JobServer(<uid>), from the current fields', function () {
      const js = new JobServer({ host: 'h', port: 1 });
      js.getUid().should.equal('h:1');
      js.toString().should.equal('JobServer(h:1)');
      js.port = '4730';
      js.host = 'x';
      js.getUid().should.equal('x:4730');
      String(js).should.equal('JobServer(x:4730)');
    });
  });

  describe('connect(cb)', function () {
    it('returns Error(\'invalid callback (not a function)\') for a non-function cb, and opens nothing', function () {
      const { js } = ownedServer();
      const spy = sinon.spy(nativeSocket, 'createConnection');
      for (const cb of [undefined, null, 'x', {}]) {
        const r = js.connect(cb);
        r.should.be.an.Error();
        r.message.should.equal('invalid callback (not a function)');
      }
      spy.called.should.be.false();
      ('socket' in js).should.be.false();
    });

    it('returns a real net.Socket, stored as jobServer.socket', async function () {
      const { js } = ownedServer();
      track(js);
      const socket = js.connect(() => {});
      socket.should.be.an.instanceOf(net.Socket);
      js.socket.should.equal(socket);
      await next(socket, 'connect');
    });

    it('on connect: setKeepAlive(true), the fields, CI ×1, socketConnect ×1, then cb(); 2 connect listeners inside cb', async function () {
      const { js, owner } = ownedServer();
      track(js);
      js.wrongDisconnectAt = new Date();
      js.failedConnectionCount = 3;
      const order = [];
      const emitSpy = sinon.spy(js, 'emit');
      js.on(CI, () => order.push(['CI', js.connected, js.wrongDisconnectAt, js.failedConnectionCount]));
      const ownerEmit = owner.emit;
      owner.emit = function (...a) {
        order.push([a[0]].concat(a.slice(1)));
        return ownerEmit.apply(this, a);
      };
      let socket;
      const [err, inside] = await new Promise((resolve) => {
        socket = js.connect(function (e) {
          order.push(['cb']);
          resolve([e, { listeners: socket.listeners('connect').length, connected: js.connected, socket: js.socket }]);
        });
        socket.setKeepAlive = (function (real) {
          return function (...a) {
            order.push(['setKeepAlive'].concat(a));
            return real.apply(this, a);
          };
        }(socket.setKeepAlive));
      });
      assert.strictEqual(err, undefined);
      inside.listeners.should.equal(2);
      inside.connected.should.be.true();
      inside.socket.should.equal(socket);
      order.should.eql([['setKeepAlive', true], ['CI', true, 0, 0], ['socketConnect', js.getUid()], ['cb']]);
      emitSpy.args.map((a) => a[0]).should.eql([CI]);
      owner.events.should.eql([['socketConnect', js.getUid()]]);
      await new Promise((resolve) => setImmediate(resolve));
      socket.listeners('connect').length.should.equal(1); // only the JobServer's own listener remains
    });

    it('when connected: calls cb() synchronously and returns the same socket', async function () {
      const { js, owner } = ownedServer();
      track(js);
      const socket = js.connect(() => {});
      await next(socket, 'connect');
      await new Promise((resolve) => setImmediate(resolve));
      let called = 0;
      const r = js.connect(function (...args) {
        args.should.eql([]);
        called++;
      });
      called.should.equal(1);
      r.should.equal(socket);
      owner.events.filter((e) => e[0] === 'socketConnect').should.have.length(1);
    });

    it('reads `connected` from the field: set by user code, cb() runs at once and no socket is made', function () {
      const { js } = ownedServer();
      const spy = sinon.spy(nativeSocket, 'createConnection');
      js.connected = true;
      let called = false;
      assert.strictEqual(js.connect(() => { called = true; }), undefined);
      called.should.be.true();
      spy.called.should.be.false();
    });

    it('COMPATIBILITY.md#fixed-11: a second connect while one is in flight makes no second socket and one socketConnect', async function () {
      const { js, owner } = ownedServer();
      track(js);
      const spy = sinon.spy(nativeSocket, 'createConnection');
      const order = [];
      const s1 = js.connect(() => order.push('cb1'));
      const s2 = js.connect(() => order.push('cb2'));
      s2.should.equal(s1);
      js.socket.should.equal(s1);
      spy.callCount.should.equal(1);
      await until(() => order.length === 2, 'both callbacks');
      order.should.eql(['cb1', 'cb2']);
      owner.events.should.eql([['socketConnect', js.getUid()]]);
    });

    it('COMPATIBILITY.md#fixed-11: a send after a user connect joins that attempt (one socket, one socketConnect)', async function () {
      const { js, owner } = ownedServer();
      track(js);
      const spy = sinon.spy(nativeSocket, 'createConnection');
      const text = uniqueText();
      const echoed = new Promise((resolve) => js.once('echo', resolve));
      const order = [];
      js.connect(() => order.push('connect cb'));
      assert.strictEqual(js.send(protocol.encodePacket(T.ECHO_REQ, [text]), () => order.push('send cb')), undefined);
      (await echoed).should.equal(text);
      spy.callCount.should.equal(1);
      order.should.eql(['send cb', 'connect cb']);
      owner.events.should.eql([['socketConnect', js.getUid()]]);
    });

    it('logs warn `unhandled event` for lookup, timeout and drain', async function () {
      const { js } = ownedServer();
      track(js);
      const socket = js.connect(() => {});
      await next(socket, 'connect');
      const log = sinon.stub(JobServer.logger, 'log');
      for (const name of ['lookup', 'timeout', 'drain']) socket.emit(name);
      const warned = log.args.filter((a) => a[0] === 'warn');
      warned.should.have.length(3);
      ['lookup', 'timeout', 'drain'].forEach((name, i) => warned[i].slice(1).should.containEql(name));
      js.connected.should.be.true(); // nothing else happens
    });

    it('data: passes each chunk to the current jobServer._processData', async function () {
      const { js } = ownedServer();
      track(js);
      const chunks = [];
      js._processData = function (chunk) {
        chunks.push(chunk);
      };
      const text = uniqueText();
      js.send(protocol.encodePacket(T.ECHO_REQ, [text]));
      await until(() => Buffer.concat(chunks).length >= 12 + Buffer.byteLength(text), 'the ECHO_RES bytes');
      const all = Buffer.concat(chunks);
      all.readUInt32BE(0).should.equal(protocol.CONSTANTS.HEADER_RESP);
      all.readUInt32BE(4).should.equal(T.ECHO_RES);
      all.subarray(12).toString().should.equal(text);
    });

    describe('a refused connection (4731)', function () {
      it('error: destroy, (Client) badOne(index), socketError, disconnect(err) → socketDisconnect, then cb(err)', async function () {
        const client = track(new Client({ servers: [defaultServer.server, { host: 'localhost', port: REFUSED_PORT }] }));
        client.on('error', () => {});
        const js = client.jobServers[1];
        const uid = js.getUid();
        const order = [];
        const badOne = sinon.stub(client.loadBalancer, 'badOne').callsFake((i) => order.push(['badOne', i]));
        const emit = client.emit;
        client.emit = function (...a) {
          order.push([a[0], a[1], a[2] && a[2].code]);
          return emit.apply(this, a);
        };
        let socket;
        const [err, inside] = await new Promise((resolve) => {
          socket = js.connect((e) => {
            order.push(['cb']);
            resolve([e, {
              connected: js.connected, at: js.wrongDisconnectAt, count: js.failedConnectionCount, socket: 'socket' in js,
            }]);
          });
          const destroy = socket.destroy;
          socket.destroy = function (...a) {
            order.push(['destroy']);
            return destroy.apply(this, a);
          };
        });
        err.should.be.an.Error();
        err.code.should.equal('ECONNREFUSED');
        inside.connected.should.be.false();
        inside.at.should.be.an.instanceOf(Date);
        inside.count.should.be.aboveOrEqual(1);
        inside.socket.should.be.false();
        badOne.calledOnceWithExactly(1).should.be.true();
        // destroy first; badOne before socketError; socketDisconnect(uid, err) before cb (disconnect destroys again)
        order[0].should.eql(['destroy']);
        const names = order.map((o) => o[0]).filter((n) => n !== 'destroy');
        names.should.eql(['badOne', 'socketError', 'socketDisconnect', 'cb']);
        order.find((o) => o[0] === 'socketError').should.eql(['socketError', uid, 'ECONNREFUSED']);
        order.find((o) => o[0] === 'socketDisconnect').should.eql(['socketDisconnect', uid, 'ECONNREFUSED']);
      });

      it('passes the same error object to socketError, socketDisconnect and cb; counters grow per failure', async function () {
        const { js, owner } = ownedServer(REFUSED_PORT);
        const [err1] = await connect(js);
        owner.events.map((e) => e[0]).should.eql(['socketError', 'socketDisconnect']);
        owner.events[0][2].should.equal(err1);
        owner.events[1][2].should.equal(err1);
        js.failedConnectionCount.should.equal(1);
        const [err2] = await connect(js);
        err2.code.should.equal('ECONNREFUSED');
        js.failedConnectionCount.should.equal(2);
        owner.events.map((e) => e[0]).should.eql(['socketError', 'socketDisconnect', 'socketError', 'socketDisconnect']);
      });

      it('a Worker-typed owner gets no badOne call (Client only)', async function () {
        const { js, owner } = ownedServer(REFUSED_PORT, 'localhost', 'Worker');
        owner.loadBalancer = { badOne: sinon.spy() };
        owner._getJobServerIndexByUid = () => 0;
        await connect(js);
        owner.loadBalancer.badOne.called.should.be.false();
      });
    });

    describe('end and close', function () {
      let server;
      afterEach(async function () {
        if (server) await server.stop();
        server = null;
      });

      it('a FIN from gearmand: (Client) badOne(index), disconnect(undefined); no socketError, counters untouched', async function () {
        server = await gearmand.start({ port: await gearmand.freePort(4740) });
        const client = track(new Client({ servers: [defaultServer.server, { host: '127.0.0.1', port: server.port }] }));
        client.on('error', () => {});
        const js = client.jobServers[1];
        const uid = js.getUid();
        const badOne = sinon.spy(client.loadBalancer, 'badOne');
        const emit = sinon.spy(client, 'emit');
        const [err] = await connect(js);
        assert.strictEqual(err, undefined);
        const disconnected = next(client, 'socketDisconnect');
        const disconnectSpy = sinon.spy(js, 'disconnect');
        await server.stop();
        const args = await disconnected;
        args.should.eql([uid, undefined]);
        disconnectSpy.calledOnce.should.be.true();
        disconnectSpy.firstCall.args.should.eql([undefined]);
        badOne.calledOnceWithExactly(1).should.be.true();
        emit.args.map((a) => a[0]).should.eql(['socketConnect', 'socketDisconnect']);
        js.connected.should.be.false();
        assert.strictEqual(js.wrongDisconnectAt, 0);
        assert.strictEqual(js.failedConnectionCount, 0);
        ('socket' in js).should.be.false();
      });

      it('an \'end\' emitted by user code on jobServer.socket takes the same path', async function () {
        const client = track(new Client({ servers: [{ host: 'localhost', port: REFUSED_PORT }, defaultServer.server] }));
        client.on('error', () => {});
        const js = client.jobServers[1];
        const badOne = sinon.spy(client.loadBalancer, 'badOne');
        await connect(js);
        const emit = sinon.spy(client, 'emit');
        const disconnectSpy = sinon.spy(js, 'disconnect');
        js.socket.emit('end');
        disconnectSpy.calledOnce.should.be.true();
        disconnectSpy.firstCall.args.should.eql([undefined]);
        badOne.calledOnceWithExactly(1).should.be.true();
        emit.args.should.eql([['socketDisconnect', js.getUid(), undefined]]);
        js.connected.should.be.false();
        assert.strictEqual(js.wrongDisconnectAt, 0);
        assert.strictEqual(js.failedConnectionCount, 0);
        ('socket' in js).should.be.false();
      });

      it('close(false) does nothing; close(true): (Client) badOne, disconnect(true)', async function () {
        const client = track(new Client({ servers: [defaultServer.server] }));
        const js = client.jobServers[0];
        const badOne = sinon.spy(client.loadBalancer, 'badOne');
        await connect(js);
        const emit = sinon.spy(client, 'emit');
        js.socket.emit('close', false);
        js.connected.should.be.true();
        emit.called.should.be.false();
        badOne.called.should.be.false();
        js.socket.emit('close', true);
        badOne.calledOnceWithExactly(0).should.be.true();
        emit.args.should.eql([['socketDisconnect', js.getUid(), true]]);
        js.connected.should.be.false();
        js.wrongDisconnectAt.should.be.an.instanceOf(Date);
        js.failedConnectionCount.should.equal(1);
      });
    });
  });

  describe('disconnect(err)', function () {
    it('runs its six steps in order on a connected server', async function () {
      const { js, owner } = ownedServer();
      track(js);
      const [err0] = await connect(js);
      assert.strictEqual(err0, undefined);
      const socket = js.socket;
      const seen = [];
      js.on('echo', () => {});
      js.on('option', () => {});
      js.on('jobServerError', () => {});
      js.on(CI, () => {});
      const job = (name) => ({
        close() {
          seen.push([name, js.connected, js.listenerCount('echo') + js.listenerCount('option')
            + js.listenerCount('jobServerError') + js.listenerCount(CI), js.failedConnectionCount, 'socket' in js]);
        },
      });
      const fifo = js.jobsWaiting4Created;
      fifo.push(job('j1'), job('j2'));
      for (const m of ['removeAllListeners', 'unref', 'end', 'destroy']) {
        const real = socket[m];
        socket[m] = function (...a) {
          seen.push(['socket.' + m, a.length]);
          return real.apply(this, a);
        };
      }
      const ownerEmit = owner.emit;
      owner.emit = function (...a) {
        seen.push(['owner.emit', ...a, 'socket' in js]);
        return ownerEmit.apply(this, a);
      };
      const jsEmit = sinon.spy(js, 'emit');
      const err = new Error('boom');
      assert.strictEqual(js.disconnect(err), undefined);
      seen.should.eql([
        ['j1', false, 0, 1, true], // 1. connected=false, 2. all listeners gone, 3. counters, 4. jobs closed
        ['j2', false, 0, 1, true],
        ['socket.removeAllListeners', 0], ['socket.unref', 0], ['socket.end', 0], ['socket.destroy', 0], // 5.
        ['owner.emit', 'socketDisconnect', js.getUid(), err, false], // 6.
      ]);
      js.jobsWaiting4Created.should.equal(fifo);
      fifo.should.have.length(0);
      js.wrongDisconnectAt.should.be.an.instanceOf(Date);
      js.failedConnectionCount.should.equal(1);
      jsEmit.called.should.be.false();
      socket.listenerCount('data').should.equal(0);
    });

    it('err !== undefined counts as a wrong disconnect: true, null, an Error, 0', function () {
      for (const err of [true, null, new Error('x'), 0, false, '']) {
        const { js, owner } = ownedServer();
        js.disconnect(err);
        js.wrongDisconnectAt.should.be.an.instanceOf(Date);
        js.failedConnectionCount.should.equal(1);
        owner.events.should.eql([['socketDisconnect', js.getUid(), err]]);
        js.disconnect(err);
        js.failedConnectionCount.should.equal(2);
      }
    });

    it('without an argument (or undefined) leaves the counters alone', function () {
      const { js, owner } = ownedServer();
      js.failedConnectionCount = 5;
      js.disconnect();
      js.disconnect(undefined);
      js.failedConnectionCount.should.equal(5);
      assert.strictEqual(js.wrongDisconnectAt, 0);
      owner.events.should.eql([['socketDisconnect', js.getUid(), undefined], ['socketDisconnect', js.getUid(), undefined]]);
    });

    it('emits socketDisconnect on the owner exactly once, even if the server never connected', function () {
      const { js, owner } = ownedServer();
      const emit = sinon.spy(owner, 'emit');
      const jsEmit = sinon.spy(js, 'emit');
      js.disconnect();
      emit.callCount.should.equal(1);
      emit.firstCall.args.should.eql(['socketDisconnect', js.getUid(), undefined]);
      jsEmit.called.should.be.false();
      js.connected.should.be.false();
    });

    it('removes every JobServer listener, user ones included (COMPATIBILITY.md#quirks-kept)', function () {
      const { js } = ownedServer();
      const fn = () => {};
      for (const e of ['echo', 'option', 'jobServerError', 'whatever', CI]) js.on(e, fn);
      js.disconnect();
      js.eventNames().should.eql([]);
    });

    it('matches the original\'s emits and fields on a never-connected server (differential)', function () {
      diff.same(MODULE, (m) => {
        const owner = fakeOwner();
        const out = [];
        for (const err of [undefined, true, null]) {
          const js = new m.JobServer({ host: 'h', port: 1 });
          js.clientOrWorker = owner;
          js.on('echo', () => {});
          js.disconnect(err);
          out.push([Object.keys(js), js.connected, js.failedConnectionCount, js.wrongDisconnectAt instanceof Date,
            js.listenerCount('echo')]);
        }
        return [owner.events, out];
      });
    });
  });

  describe('send(data, cb)', function () {
    it('checks in order: Buffer, length ≥ 12, \\0REQ magic (returns the Error, connects nothing)', function () {
      const { js } = ownedServer();
      const connectSpy = sinon.spy(js, 'connect');
      js.send('x'.repeat(20)).message.should.equal('data has to be object of Buffer');
      js.send().message.should.equal('data has to be object of Buffer');
      js.send(new Uint8Array(20)).message.should.equal('data has to be object of Buffer');
      js.send(Buffer.alloc(11)).message.should.equal('short data');
      js.send(Buffer.from('\0RE')).message.should.equal('short data');
      js.send(Buffer.alloc(12)).message.should.equal('no gearman packet');
      const res = protocol.encodePacket(T.ECHO_REQ, ['x']);
      res.writeUInt32BE(protocol.CONSTANTS.HEADER_RESP, 0);
      js.send(res).message.should.equal('no gearman packet');
      connectSpy.called.should.be.false();
      ('socket' in js).should.be.false();
    });

    it('matches the original\'s checks (differential)', function () {
      diff.same(MODULE, (m) => {
        const js = new m.JobServer({ host: 'h', port: 1 });
        return [js.send('x'), js.send(), js.send(Buffer.alloc(11)), js.send(Buffer.alloc(12)),
          js.send(Buffer.from('\0RES\0\0\0\x01\0\0\0\0', 'latin1'))];
      });
    });

    it('when connected: socket.write(data), then cb() synchronously; returns undefined', async function () {
      const { js } = ownedServer();
      track(js);
      await connect(js);
      const order = [];
      const write = sinon.stub(js.socket, 'write').callsFake((d) => order.push(['write', d]));
      const data = protocol.encodePacket(T.ECHO_REQ, ['x']);
      assert.strictEqual(js.send(data, (...a) => order.push(['cb', a.length])), undefined);
      order.should.eql([['write', data], ['cb', 0]]);
      write.calledOnce.should.be.true();
      js.send(data, 'not a function'); // no throw: cb is called only if it is a function
      write.calledTwice.should.be.true();
    });

    it('N sends before the connect finishes → 1 connect call, N writes in order, then socketConnect', async function () {
      const { js, owner } = ownedServer();
      track(js);
      const connectSpy = sinon.spy(js, 'connect');
      const texts = [0, 1, 2, 3, 4].map((i) => i + '-' + uniqueText());
      const packets = texts.map((t) => protocol.encodePacket(T.ECHO_REQ, [t]));
      const order = [];
      const echoes = [];
      const allEchoed = new Promise((resolve) => {
        js.on('echo', (t) => {
          echoes.push(t);
          if (echoes.length === texts.length) resolve();
        });
      });
      packets.forEach((p, i) => {
        assert.strictEqual(js.send(p, (...a) => order.push(['cb', i, a.length])), undefined);
        if (i === 0) {
          const write = js.socket.write;
          js.socket.write = function (d, ...rest) {
            order.push(['write', packets.indexOf(d)]);
            return write.call(this, d, ...rest);
          };
        }
      });
      connectSpy.callCount.should.equal(1);
      lifecycle.stateOf(js).should.equal('connecting');
      const ownerEmit = owner.emit;
      owner.emit = function (...a) {
        order.push([a[0]]);
        return ownerEmit.apply(this, a);
      };
      await allEchoed;
      order.should.eql([['write', 0], ['cb', 0, 0], ['write', 1], ['cb', 1, 0], ['write', 2], ['cb', 2, 0],
        ['write', 3], ['cb', 3, 0], ['write', 4], ['cb', 4, 0], ['socketConnect']]);
      echoes.should.eql(texts);
      lifecycle.stateOf(js).should.equal('connected');
    });

    it('COMPATIBILITY.md#fixed-2: when the connect fails, every queued send\'s cb gets the error, in order (the original: only the first)', async function () {
      const { js, owner } = ownedServer(REFUSED_PORT);
      const connectSpy = sinon.spy(js, 'connect');
      const got = [];
      const done = new Promise((resolve) => {
        for (let i = 0; i < 4; i++) {
          js.send(protocol.encodePacket(T.ECHO_REQ, ['t' + i]), (err) => {
            got.push([i, err, owner.events.length]);
            if (got.length === 4) resolve();
          });
        }
      });
      await done;
      connectSpy.callCount.should.equal(1);
      got.map((g) => g[0]).should.eql([0, 1, 2, 3]);
      for (const [, err, eventsSoFar] of got) {
        err.should.be.an.Error();
        err.code.should.equal('ECONNREFUSED');
        eventsSoFar.should.equal(2); // after socketError and socketDisconnect
      }
      owner.events.map((e) => e[0]).should.eql(['socketError', 'socketDisconnect']);
      lifecycle.stateOf(js).should.equal('down');
      // nothing more arrives later
      await new Promise((resolve) => setTimeout(resolve, 50));
      got.should.have.length(4);
    });

    it('(the original, for the record: only the first queued send hears the failure)', async function () {
      diff.orig('');
      const Orig = diff.orig(MODULE).JobServer;
      const owner = fakeOwner();
      const js = new Orig({ host: 'localhost', port: REFUSED_PORT });
      js.clientOrWorker = owner;
      const got = [];
      for (let i = 0; i < 3; i++) js.send(protocol.encodePacket(T.ECHO_REQ, ['t' + i]), (e) => got.push([i, e.code]));
      await until(() => owner.events.length === 2, 'the original\'s socketDisconnect');
      await new Promise((resolve) => setTimeout(resolve, 50));
      got.should.eql([[0, 'ECONNREFUSED']]);
    });
  });

  describe('echo(text) / setOption(name)', function () {
    it('return Error for a non-string (per isString), undefined otherwise; extra arguments ignored', function () {
      const { js } = ownedServer();
      const send = sinon.stub(js, 'send');
      for (const bad of [undefined, null, 5, {}, Buffer.from('x'), ['x']]) {
        js.echo(bad).message.should.equal('data to be echoed is not a text');
        js.setOption(bad).message.should.equal('option is not a text');
      }
      send.called.should.be.false();
      assert.strictEqual(js.echo('hi', 'extra', () => {}), undefined);
      assert.strictEqual(js.setOption('exceptions', 'extra'), undefined);
    });

    it('send ECHO_REQ / OPTION_REQ [text] through the current send, with no callback', function () {
      const { js } = ownedServer();
      const send = sinon.stub(js, 'send');
      js.echo('žluť', () => {});
      js.setOption('exceptions');
      send.callCount.should.equal(2);
      send.firstCall.args[0].should.eql(protocol.encodePacket(T.ECHO_REQ, ['žluť']));
      assert.strictEqual(send.firstCall.args[1], undefined);
      send.secondCall.args[0].should.eql(protocol.encodePacket(T.OPTION_REQ, ['exceptions']));
      assert.strictEqual(send.secondCall.args[1], undefined);
    });

    it('round trip with gearmand: ECHO with UTF-8 text → `echo` event with the same text', async function () {
      const client = track(new Client({ servers: [defaultServer.server] }));
      const js = client.jobServers[0];
      const text = 'žluťoučký kůň 🐎 ' + uniqueText();
      const echoed = next(js, 'echo');
      assert.strictEqual(js.echo(text), undefined);
      (await echoed).should.eql([text]);
    });

    it('round trip: OPTION \'exceptions\' → `option` event \'exceptions\'', async function () {
      const client = track(new Client({ servers: [defaultServer.server] }));
      const js = client.jobServers[0];
      const option = next(js, 'option');
      js.setOption('exceptions');
      (await option).should.eql(['exceptions']);
    });

    it('round trip: an unknown option → jobServerError(uid, \'UNKNOWN_OPTION\', text) on the owner, then (code, text) on the server', async function () {
      const client = track(new Client({ servers: [defaultServer.server] }));
      const js = client.jobServers[0];
      const order = [];
      const emit = client.emit;
      client.emit = function (...a) {
        if (a[0] === 'jobServerError') order.push(['owner'].concat(a.slice(1)));
        return emit.apply(this, a);
      };
      const jsEvent = new Promise((resolve) => js.on('jobServerError', (...a) => {
        order.push(['js'].concat(a));
        resolve();
      }));
      js.setOption('no-such-option-' + crypto.randomUUID());
      await jsEvent;
      order.should.have.length(2);
      order[0].slice(0, 3).should.eql(['owner', js.getUid(), 'UNKNOWN_OPTION']);
      order[1].slice(0, 2).should.eql(['js', 'UNKNOWN_OPTION']);
      order[0][3].should.be.a.String();
      order[1][2].should.equal(order[0][3]);
      protocol.CONSTANTS.UNKNOWN_OPTION.should.equal('UNKNOWN_OPTION');
    });
  });
});
