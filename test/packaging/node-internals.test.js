'use strict';
// What the library takes from Node beyond its documented API, checked on every Node line the suite
// runs on (20, 22, 24, 26; see README "Installation"). If a Node release changes one of these, this
// file says which:
//  - lib/internal/native-socket.js relies on net.Socket calling `_getpeername()` / `_getsockname()`
//    for remoteAddress, remotePort, localAddress, localPort and address(), and on
//    `net.Socket.prototype._unrefTimer()` refreshing the timer of socket.setTimeout();
//  - lib/gearmanode/job.js presets `_events` before EventEmitter's constructor, which keeps it.
require('should');
const assert = require('assert');
const net = require('net');
const sinon = require('sinon');
const EventEmitter = require('events');
const { JobServer } = require('../../lib/gearmanode/job-server');
const { Job } = require('../../lib/gearmanode/job');
const { Client } = require('../../lib/gearmanode/client');
const { fakeOwner } = require('../support/fake-owner');
const { defaultServer } = require('../support/hooks');

describe(`Node ${process.version}: the internals the library relies on`, function () {
  let js;

  beforeEach(function (done) {
    js = new JobServer(defaultServer.server);
    js.clientOrWorker = fakeOwner();
    js.connect(done);
  });

  afterEach(function () {
    js.disconnect();
  });

  it('net.Socket reads its addresses through _getpeername() and _getsockname() (native-socket.js)', function () {
    const s = js.socket;
    s.should.be.an.instanceOf(net.Socket);
    ['127.0.0.1', '::1'].should.containEql(s.remoteAddress);
    s.remotePort.should.equal(defaultServer.port);
    s.remoteFamily.should.equal(s.remoteAddress === '::1' ? 'IPv6' : 'IPv4');
    s.localAddress.should.equal(s.remoteAddress);
    s.localPort.should.be.a.Number().and.above(0);
    s.address().should.eql({ address: s.localAddress, family: s.remoteFamily, port: s.localPort });
  });

  it('net.Socket.prototype._unrefTimer() refreshes the socket.setTimeout() timer, on writes and on reads', async function () {
    const s = js.socket;
    net.Socket.prototype._unrefTimer.should.be.a.Function();
    s.setTimeout(60000);
    // The timer Node keeps for setTimeout(): a Timeout in one of the socket's symbol-keyed fields.
    const timer = Object.getOwnPropertySymbols(s).map((k) => s[k]).find((v) => v && v.constructor && v.constructor.name === 'Timeout');
    (timer !== undefined).should.be.true('no Timeout among the socket\'s fields after setTimeout()');
    const refresh = sinon.spy(timer, 'refresh');
    const answered = new Promise((resolve) => js.once('echo', resolve));
    let afterWrite;
    try {
      js.echo('internals');
      afterWrite = refresh.callCount;
      (await answered).toString().should.equal('internals');
      afterWrite.should.be.above(0);
      refresh.callCount.should.be.above(afterWrite);
    } finally {
      refresh.restore();
      s.setTimeout(0);
    }
  });

  it('EventEmitter keeps the `_events` table a Job presets (job.js), and the Job\'s listeners work', function () {
    const client = new Client();
    try {
      const job = new Job(client, { name: 'reverse', payload: 'x' });
      const table = job._events;
      (Object.getPrototypeOf(table) !== null).should.be.true('EventEmitter replaced the preset table by its own');
      (table.toString === undefined).should.be.true();
      const seen = [];
      const f = (v) => seen.push(v);
      job.on('complete', f);
      assert.strictEqual(job._events, table); // no .should: the table's prototype chain has no Object.prototype
      job.listenerCount('complete').should.equal(1);
      job.emit('complete', 1);
      job.removeListener('complete', f);
      job.emit('complete', 2);
      seen.should.eql([1]);
      job.should.be.an.instanceOf(EventEmitter);
    } finally {
      client.close();
    }
  });
});
