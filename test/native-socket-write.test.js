'use strict';
// NativeSocket#write: a Buffer written without a callback while nothing is buffered, corked, ending
// or destroyed goes to the native connection at once (how a JobServer writes every packet);
// everything else takes net.Socket's path. Either way the bytes leave in order and the socket
// behaves as a net.Socket. Against the default gearmand on 4730 (ECHO_REQ / ECHO_RES).
const should = require('should');
const sinon = require('sinon');
const { Duplex } = require('stream');
const { until } = require('./support/trace');
const { NativeSocket } = require('../lib/internal/native-socket');
const { echo, connected, echoesIn } = require('./support/echo-socket');

/** A connected NativeSocket and the texts of the ECHO_RES packets it receives, in order. */
async function echoSocket() {
  const s = await connected();
  const texts = [];
  let pending = Buffer.alloc(0);
  s.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    const got = echoesIn(pending);
    texts.push(...got.texts);
    pending = pending.subarray(got.used);
  });
  return { s, texts };
}

describe('NativeSocket#write', function () {
  const sockets = [];
  afterEach(function () {
    sinon.restore();
    for (const s of sockets.splice(0)) s.destroy();
  });

  it('the Writable state it reads exists as on any net.Socket (a Node release that changes it fails here)', function () {
    const s = new NativeSocket();
    const ws = s._writableState;
    should(ws).be.an.Object();
    for (const [key, type] of [['length', 'number'], ['corked', 'number'], ['ending', 'boolean'], ['destroyed', 'boolean'],
      ['writing', 'boolean'], ['constructed', 'boolean']]) {
      (typeof ws[key]).should.equal(type, key);
    }
    should(ws.errored).be.null();
  });

  it('plain writes: returned true, in order, counted in bytesWritten, nothing left in the Writable state', async function () {
    const { s, texts } = await echoSocket();
    sockets.push(s);
    const packets = ['a', 'bb', 'ccc', 'dddd'].map(echo);
    const writableWrite = sinon.spy(Duplex.prototype, 'write');
    for (const p of packets) s.write(p).should.be.true();
    writableWrite.called.should.be.false(); // straight to the connection
    sinon.restore();
    s._writableState.length.should.equal(0);
    s.bytesWritten.should.equal(packets.reduce((n, p) => n + p.length, 0));
    await until(() => texts.length === 4, 5000, 'four echoes');
    texts.should.eql(['a', 'bb', 'ccc', 'dddd']);
  });

  it('with a callback, corked, or a string: net.Socket\'s path, the bytes still in order', async function () {
    const { s, texts } = await echoSocket();
    sockets.push(s);
    const calls = [];
    const writableWrite = sinon.spy(Duplex.prototype, 'write');
    s.write(echo('1'), () => calls.push('cb1'));
    calls.should.eql([]); // called back later, as by net.Socket
    s.cork();
    s.write(echo('2'));
    s._writableState.length.should.be.above(0); // held by the cork
    s.write(echo('3'));
    s.uncork();
    s.write(echo('4').toString('latin1'), 'latin1');
    s.write(echo('5'));
    writableWrite.callCount.should.equal(4); // all but the last, which finds the stream idle again
    await until(() => texts.length === 5 && calls.length === 1, 5000, 'five echoes and the callback');
    texts.should.eql(['1', '2', '3', '4', '5']);
  });

  it('after end(): the write fails as on a net.Socket (ERR_STREAM_WRITE_AFTER_END)', async function () {
    const { s } = await echoSocket();
    sockets.push(s);
    s.end();
    const errors = [];
    s.on('error', (e) => errors.push(e.code));
    s.write(echo('late'));
    await until(() => errors.length === 1, 5000, 'the error');
    errors.should.eql(['ERR_STREAM_WRITE_AFTER_END']);
  });
});
