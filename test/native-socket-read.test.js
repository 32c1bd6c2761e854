'use strict';
// NativeSocket's read side and the writes made while it delivers (docs/ARCHITECTURE.md#threads):
// a batch from the core goes straight to the 'data' listeners while the stream is flowing with
// nothing buffered, and through Readable#push in every other case; either way the socket reads as
// a net.Socket does (pause/resume, setEncoding, pipe, 'readable', backpressure). What a 'data'
// listener writes leaves in one write when the listener returns. Against the default gearmand on
// 4730 (ECHO_REQ / ECHO_RES).
require('should');
const sinon = require('sinon');
const { Readable, Writable } = require('stream');
const { until, sleep } = require('./support/trace');
const native = require('../lib/internal/native');
const { echo, connected, echoesIn } = require('./support/echo-socket');

/** The texts of the ECHO_RES packets in `bytes`, in order (whole packets only). */
const echoTexts = (bytes) => echoesIn(bytes).texts;

describe('NativeSocket reads', function () {
  const sockets = [];
  afterEach(function () {
    sinon.restore();
    for (const s of sockets.splice(0)) s.destroy();
  });

  /** A connected socket with a 'data' listener that has had one echo ('warm') already. */
  async function flowing() {
    const s = await connected();
    sockets.push(s);
    const chunks = [];
    s.on('data', (c) => chunks.push(c));
    const texts = () => echoTexts(Buffer.concat(chunks));
    s.write(echo('warm'));
    await until(() => texts().length === 1, 5000, 'the first echo');
    return { s, chunks, texts };
  }

  it('flowing with a listener: each batch is emitted at once, without Readable#push, counted in bytesRead', async function () {
    const s = await connected();
    sockets.push(s);
    const chunks = [];
    s.on('data', (c) => chunks.push(c));
    const push = sinon.spy(Readable.prototype, 'push');
    for (const t of ['a', 'bb', 'ccc']) s.write(echo(t));
    await until(() => echoTexts(Buffer.concat(chunks)).length === 3, 5000, 'three echoes');
    echoTexts(Buffer.concat(chunks)).should.eql(['a', 'bb', 'ccc']);
    push.called.should.be.false();
    for (const c of chunks) Buffer.isBuffer(c).should.be.true();
    s.bytesRead.should.equal(Buffer.concat(chunks).length);
    s._readableState.reading.should.be.false();
    s._readableState.length.should.equal(0);
  });

  it('paused: batches are buffered by push, resume() gives them in order and the stream keeps flowing', async function () {
    const { s, texts } = await flowing();
    s.pause();
    const push = sinon.spy(Readable.prototype, 'push');
    for (const t of ['p1', 'p2', 'p3']) s.write(echo(t));
    await until(() => push.callCount >= 1 && s._readableState.length >= 3 * 14, 5000, 'the echoes buffered');
    texts().should.eql(['warm']);
    s.resume();
    await until(() => texts().length === 4, 5000, 'the buffered echoes');
    sinon.restore();
    s.write(echo('after'));
    await until(() => texts().length === 5, 5000, 'an echo after resuming');
    texts().should.eql(['warm', 'p1', 'p2', 'p3', 'after']);
  });

  it('paused past the high-water mark: the core stops reading, and resume() brings every byte', async function () {
    const { s, texts } = await flowing();
    s.pause();
    const connPause = sinon.spy(native.NativeConnection.prototype, 'pause');
    const connResume = sinon.spy(native.NativeConnection.prototype, 'resume');
    const big = 'x'.repeat(256 * 1024);
    const sent = [];
    for (let i = 0; i < 8; i++) {
      sent.push(`${i}${big}`);
      s.write(echo(sent[i]));
    }
    await until(() => s._readableState.length >= s.readableHighWaterMark, 5000, 'the buffer past its mark');
    await sleep(50);
    connPause.callCount.should.equal(1); // the core is told to stop reading
    connResume.called.should.be.false();
    s.resume();
    await until(() => texts().length === 9, 10000, 'every echo');
    connResume.callCount.should.equal(1);
    texts().should.eql(['warm', ...sent]);
  });

  it('setEncoding: strings, through push', async function () {
    const s = await connected();
    sockets.push(s);
    s.setEncoding('latin1');
    let text = '';
    s.on('data', (c) => {
      (typeof c).should.equal('string');
      text += c;
    });
    s.write(echo('enc'));
    await until(() => echoTexts(Buffer.from(text, 'latin1')).length === 1, 5000, 'the echo');
    echoTexts(Buffer.from(text, 'latin1')).should.eql(['enc']);
  });

  it('piped into a Writable, then unpiped and read by a listener: every byte, in order', async function () {
    const s = await connected();
    sockets.push(s);
    const piped = [];
    const sink = new Writable({
      write(c, enc, cb) {
        piped.push(c);
        cb();
      },
    });
    s.pipe(sink);
    s.write(echo('piped'));
    await until(() => echoTexts(Buffer.concat(piped)).length === 1, 5000, 'the piped echo');
    s.unpipe(sink); // paused now, as any Readable: a new listener does not resume it
    const heard = [];
    s.on('data', (c) => heard.push(c));
    s.resume();
    s.write(echo('heard'));
    await until(() => echoTexts(Buffer.concat(heard)).length === 1, 5000, 'the echo after unpipe');
    echoTexts(Buffer.concat(piped)).should.eql(['piped']);
    echoTexts(Buffer.concat(heard)).should.eql(['heard']);
  });

  it("in paused mode with a 'readable' listener: read() returns the bytes", async function () {
    const s = await connected();
    sockets.push(s);
    const got = [];
    s.on('readable', () => {
      let c;
      while ((c = s.read()) !== null) got.push(c);
    });
    s.write(echo('r1'));
    s.write(echo('r2'));
    await until(() => echoTexts(Buffer.concat(got)).length === 2, 5000, 'both echoes');
    echoTexts(Buffer.concat(got)).should.eql(['r1', 'r2']);
  });

  it('writes made by a data listener leave in one write as it returns, before the ticks it queued', async function () {
    const s = await connected();
    sockets.push(s);
    const order = [];
    const chunks = [];
    let answered = false;
    s.on('data', (c) => {
      chunks.push(c);
      if (answered) return;
      answered = true;
      process.nextTick(() => order.push('tick')); // queued before the writes, runs after them
      s.write(echo('reply1'));
      s.write(echo('reply2'));
    });
    const proto = native.NativeConnection.prototype;
    const write = sinon.spy(proto, 'write');
    const writev = proto.writev;
    sinon.stub(proto, 'writev').callsFake(function (bufs) {
      order.push(`writev ${bufs.length}`);
      return writev.call(this, bufs);
    });
    s.write(echo('ask'));
    await until(() => echoTexts(Buffer.concat(chunks)).length === 3, 5000, 'the three echoes');
    echoTexts(Buffer.concat(chunks)).should.eql(['ask', 'reply1', 'reply2']);
    order.should.eql(['writev 2', 'tick']);
    write.callCount.should.equal(1); // 'ask', from a tick, as before
  });
});
