'use strict';
// The undocumented Node internals this package relies on, each for a reason of the drop-in
// (docs/ARCHITECTURE.md#node-internals). When a Node release changes one of them, a test here fails
// first and names it. Runs against the default gearmand on 4730.
require('should');
const assert = require('assert');
const net = require('net');
const EventEmitter = require('events');
const { defaultServer } = require('./support/hooks');
const { once, sleep } = require('./support/trace');
const { NativeSocket } = require('../lib/internal/native-socket');
const common = require('../lib/gearmanode/common');
const { Client } = require('../lib/gearmanode/client');
const { Job } = require('../lib/gearmanode/job');
const protocol = require('../lib/gearmanode/protocol');

const ECHO = protocol.encodePacket(protocol.PACKET_TYPES.ECHO_REQ, ['ping']);

async function connected(SocketClass) {
  const s = SocketClass === net.Socket ? new net.Socket() : new SocketClass();
  s.connect(defaultServer.port, defaultServer.host);
  await once(s, 'connect');
  return s;
}

describe('Node internals this package relies on', function () {
  describe('net.Socket, as NativeSocket extends it (lib/internal/native-socket.js)', function () {
    const sockets = [];
    afterEach(function () {
      for (const s of sockets.splice(0)) s.destroy();
    });

    it('_getpeername() / _getsockname() feed remoteAddress, remotePort, remoteFamily, localAddress, localPort, address()', async function () {
      const ours = await connected(NativeSocket);
      const theirs = await connected(net.Socket);
      sockets.push(ours, theirs);
      assert.strictEqual(typeof net.Socket.prototype._getpeername, 'function', 'net.Socket#_getpeername is gone');
      assert.strictEqual(typeof net.Socket.prototype._getsockname, 'function', 'net.Socket#_getsockname is gone');
      ours.remoteAddress.should.equal(theirs.remoteAddress);
      ours.remotePort.should.equal(defaultServer.port);
      ours.remoteFamily.should.equal(theirs.remoteFamily);
      ours.localAddress.should.equal(theirs.localAddress);
      ours.localPort.should.be.a.Number().and.above(0);
      ours.localPort.should.not.equal(theirs.localPort);
      ours.address().should.eql({ address: ours.localAddress, family: ours.remoteFamily, port: ours.localPort });
    });

    it('_unrefTimer() restarts the idle timer of setTimeout(ms): traffic postpones `timeout`, silence fires it', async function () {
      assert.strictEqual(typeof net.Socket.prototype._unrefTimer, 'function', 'net.Socket#_unrefTimer is gone');
      const s = await connected(NativeSocket);
      sockets.push(s);
      let timeouts = 0;
      s.on('timeout', () => timeouts++);
      s.on('data', () => {});
      s.setTimeout(800);
      // Traffic every 50 ms for 2 s: each write and each answer restarts the timer.
      for (let i = 0; i < 40; i++) {
        s.write(ECHO);
        await sleep(50);
      }
      timeouts.should.equal(0);
      await once(s, 'timeout');
      timeouts.should.equal(1);
    });
  });

  describe("net.Socket's Readable state, as NativeSocket hands batches to 'data' listeners (emitFlowing)", function () {
    it('has the fields it reads and sets, with their types', function () {
      const s = new net.Socket();
      const rs = s._readableState;
      for (const [key, type] of [['flowing', 'object'], ['length', 'number'], ['sync', 'boolean'], ['ended', 'boolean'],
        ['destroyed', 'boolean'], ['errored', 'object'], ['decoder', 'object'], ['reading', 'boolean'],
        ['multiAwaitDrain', 'boolean'], ['awaitDrainWriters', 'object'], ['dataEmitted', 'boolean']]) {
        assert.strictEqual(typeof rs[key], type, `_readableState.${key}`);
      }
      assert.ok(Array.isArray(rs.pipes), '_readableState.pipes is an Array');
      s.destroy();
    });

    it('push() of a flowing stream with nothing buffered emits at once and sets what emitFlowing sets', function () {
      // emitFlowing does what Readable#push does in this one case; if push stops doing it, this fails.
      const { Readable } = require('stream');
      const r = new Readable({ read() {} });
      const got = [];
      r.on('data', (c) => got.push(c));
      r.read(0); // as the first _read of a socket: sync is false afterwards
      const rs = r._readableState;
      assert.strictEqual(rs.flowing, true);
      assert.strictEqual(rs.sync, false);
      rs.reading = true;
      r.push(Buffer.from('x'));
      got.should.have.length(1);
      assert.strictEqual(rs.length, 0);
      assert.strictEqual(rs.reading, false);
      assert.strictEqual(rs.dataEmitted, true);
      assert.strictEqual(rs.awaitDrainWriters, null);
    });
  });

  describe('EventEmitter: a Job is a plain one (lib/gearmanode/job.js)', function () {
    // A preset `_events` table (fewer bytes per job) puts Node's EventEmitter in "shape mode", where
    // eventNames() keeps listing removed events: not what 0.9.2's jobs did, so jobs do not preset it.
    it('eventNames(), listenerCount() and listeners() after on/once/off are as on any EventEmitter', function () {
      const client = new Client({ servers: [defaultServer.server] });
      try {
        const job = new Job(client, { name: 'f', payload: 'x' });
        const plain = new EventEmitter();
        const fn = () => {};
        for (const e of [job, plain]) {
          e.on('created', fn);
          e.once('complete', fn);
          e.off('created', fn);
        }
        job.eventNames().should.eql(plain.eventNames()).and.eql(['complete']);
        job.listenerCount('complete').should.equal(1);
        assert.strictEqual(job.listeners('toString').length, 0);
      } finally {
        client.close();
      }
    });
  });

  describe('Buffer#latin1Slice (lib/gearmanode/common.js createUUID)', function () {
    it('exists and reads bytes as Buffer#toString("latin1") does', function () {
      assert.strictEqual(typeof Buffer.prototype.latin1Slice, 'function', 'Buffer#latin1Slice is gone');
      const b = Buffer.from('0123abcd-ef', 'latin1');
      b.latin1Slice(0, b.length).should.equal(b.toString('latin1'));
      b.latin1Slice(2, 5).should.equal('23a');
    });

    it('so createUUID gives v4 UUIDs', function () {
      const seen = new Set();
      for (let i = 0; i < 1000; i++) {
        const u = common.createUUID();
        u.should.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        seen.add(u);
      }
      seen.size.should.equal(1000);
    });
  });
});
