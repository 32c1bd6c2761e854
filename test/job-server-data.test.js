'use strict';
// JobServer#_processData and the dispatch of server packets: COMPATIBILITY.md#jobserver
// (_processData steps, the reassembly fields and their invariant, dispatch of every response type)
// and COMPATIBILITY.md#fixed-4 (one copy per byte), #fixed-5 (length-driven reassembly), #fixed-6
// (no stale state), #fixed-9 (UTF-8 function names in JOB_ASSIGN*), #fixed-17 (WORK_FAIL handle cut
// at the first NUL). _processData is called directly with crafted chunks on a server flagged
// connected, owned by a fake owner (test/support/fake-owner.js).
require('should');
const assert = require('assert');
const crypto = require('crypto');
const sinon = require('sinon');
const diff = require('./support/differential');
const { connectedServer, resPacket } = require('./support/fake-owner');
const protocol = require('../lib/gearmanode/protocol');
const { JobServer } = require('../lib/gearmanode/job-server');
const { Job } = require('../lib/gearmanode/job');
const loggers = require('../lib/logger');

const T = protocol.PACKET_TYPES;
const DEF = protocol.DEFINITION;

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A job stand-in for the JOB_CREATED FIFO: getUid() as Job's. */
function fifoJob(js) {
  return {
    jobServerUid: js.getUid(),
    getUid() {
      return this.jobServerUid + '#' + this.handle;
    },
    close() {},
  };
}

/**
 * A server with a fake owner that records, in one list, everything the server does to the outside:
 * owner emits, owner._response, owner._unrecoverableError and the server's own events.
 */
function recordingServer() {
  const { js, owner } = connectedServer();
  const log = [];
  owner.emit = (...a) => {
    log.push(['owner.emit'].concat(a));
    return true;
  };
  owner._response = (server, type, parsed) => {
    assert.strictEqual(server, js);
    log.push(['_response', type, parsed]);
  };
  owner._unrecoverableError = (msg) => log.push(['_unrecoverableError', msg]);
  const realEmit = js.emit;
  js.emit = function (...a) {
    log.push(['js.emit'].concat(a));
    return realEmit.apply(this, a);
  };
  return { js, owner, log };
}

/** The reassembly fields as plain data: which exist, and their bytes. */
function fields(js) {
  return {
    headerfrag: 'headerfrag' in js ? js.headerfrag.toString('hex') : null,
    segmentedPacket: 'segmentedPacket' in js ? js.segmentedPacket.toString('hex') : null,
  };
}

/**
 * The invariant of COMPATIBILITY.md#jobserver after `consumed` bytes of `stream` were fed (packet
 * boundaries in `ends`): nothing pending → neither field; < 12 pending header bytes → headerfrag
 * only (those bytes); a whole header with an incomplete body → segmentedPacket only (those bytes).
 */
function expectedFields(stream, ends, consumed) {
  let start = 0;
  for (const end of ends) {
    if (consumed < end) break;
    start = end;
  }
  const pending = stream.subarray(start, consumed);
  if (pending.length === 0) return { headerfrag: null, segmentedPacket: null };
  if (pending.length < 12) return { headerfrag: pending.toString('hex'), segmentedPacket: null };
  return { headerfrag: null, segmentedPacket: pending.toString('hex') };
}

/** A stream of several packets of different kinds, with their boundaries. */
function sampleStream() {
  const packets = [
    resPacket(T.NOOP),
    resPacket(T.JOB_CREATED, ['H:host:1']),
    resPacket(T.WORK_DATA, ['H:host:1', Buffer.from([0, 0x52, 0x45, 0x53, 0, 0, 0, 6, 0xff, 0])]), // '\0RES' in the data
    resPacket(T.ECHO_RES, ['žluťoučký kůň']),
    resPacket(99, ['unknown']),
    resPacket(T.WORK_STATUS, ['H:host:1', '1', '10']),
    resPacket(T.ERROR, ['SOME_CODE', 'some text']),
    resPacket(T.WORK_COMPLETE, ['H:host:1', Buffer.alloc(40, 7)]),
    resPacket(T.NO_JOB),
    resPacket(T.STATUS_RES, ['H:host:1', '1', '0', '3', '4']),
  ];
  const ends = [];
  let n = 0;
  for (const p of packets) {
    n += p.length;
    ends.push(n);
  }
  return { packets, stream: Buffer.concat(packets), ends };
}

/** Plain data of a log (Buffers as hex, key order kept). */
const plain = (log) => log.map((entry) => diff.comparable(entry));

/** Feeds `chunks` one by one (a tick after each), checking the invariant; returns the log. */
async function feed(chunks, stream, ends) {
  const { js, log } = recordingServer();
  js.jobsWaiting4Created.push(fifoJob(js));
  js.on('echo', () => {});
  js.on('jobServerError', () => {});
  let consumed = 0;
  for (const chunk of chunks) {
    js._processData(chunk);
    consumed += chunk.length;
    await tick();
    assert.deepStrictEqual(fields(js), expectedFields(stream, ends, consumed), 'after ' + consumed + ' bytes');
  }
  return { js, log };
}

describe('JobServer#_processData', function () {
  afterEach(function () {
    sinon.restore();
  });

  describe('reassembly', function () {
    let reference;
    let savedLevel;
    before(function () {
      savedLevel = loggers.getLevel();
      loggers.setLevel('error'); // the sample stream has an unknown packet: one warn line per run
    });
    after(function () {
      loggers.setLevel(savedLevel);
    });
    before(async function () {
      const { stream, ends } = sampleStream();
      reference = plain((await feed([stream], stream, ends)).log);
    });

    it('the sample stream in one chunk dispatches every packet once, in order', function () {
      reference.map((e) => e[0] + ':' + (e[0] === '_response' ? e[1] : e[1])).should.eql([
        '_response:6', '_response:8', '_response:28', 'js.emit:echo', '_response:12',
        'owner.emit:jobServerError', 'js.emit:jobServerError', '_response:13', '_response:10', '_response:20',
      ]);
    });

    it('split in two at every byte offset: the same dispatches, the invariant after each chunk', async function () {
      const { stream, ends } = sampleStream();
      for (let k = 0; k <= stream.length; k++) {
        const { log } = await feed([stream.subarray(0, k), stream.subarray(k)], stream, ends);
        assert.deepStrictEqual(plain(log), reference, 'split at ' + k);
      }
    });

    it('split in three at many offset pairs: the same dispatches', async function () {
      const { stream, ends } = sampleStream();
      for (let a = 1; a < stream.length; a += 7) {
        for (let b = a + 1; b < stream.length; b += 11) {
          const { log } = await feed([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)], stream, ends);
          assert.deepStrictEqual(plain(log), reference, 'split at ' + a + ', ' + b);
        }
      }
    });

    it('1-byte chunks: the same dispatches, the invariant after every byte', async function () {
      const { stream, ends } = sampleStream();
      const chunks = [];
      for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1));
      const { log } = await feed(chunks, stream, ends);
      assert.deepStrictEqual(plain(log), reference);
    });

    for (const spare of [3, 6]) {
      it(`a 3-byte header start, then the rest of a NOOP plus ${spare} spare bytes: NOOP synchronously, a ${spare}-byte headerfrag`, function () {
        const { js, log } = recordingServer();
        const noop = resPacket(T.NOOP);
        const next = resPacket(T.WORK_DATA, ['H:1', 'xyz']);
        js._processData(noop.subarray(0, 3));
        fields(js).should.eql({ headerfrag: noop.subarray(0, 3).toString('hex'), segmentedPacket: null });
        log.should.eql([]);
        const second = Buffer.concat([noop.subarray(3), next.subarray(0, spare)]);
        second.length.should.equal(9 + spare);
        js._processData(second);
        // synchronously: the NOOP is out, the spare bytes wait as headerfrag
        plain(log).should.eql(plain([['_response', T.NOOP, [12]]]));
        fields(js).should.eql({ headerfrag: next.subarray(0, spare).toString('hex'), segmentedPacket: null });
        js._processData(next.subarray(spare));
        plain(log).should.eql(plain([['_response', T.NOOP, [12]],
          ['_response', T.WORK_DATA, [next.length, 'H:1', Buffer.from('xyz')]]]));
        fields(js).should.eql({ headerfrag: null, segmentedPacket: null });
      });
    }

    it('a chunk with a rest under 12 bytes keeps the rest as headerfrag at once (synchronously)', function () {
      const { js, log } = recordingServer();
      js._processData(Buffer.concat([resPacket(T.NOOP), resPacket(T.NO_JOB).subarray(0, 5)]));
      log.should.have.length(1);
      js.headerfrag.should.eql(resPacket(T.NO_JOB).subarray(0, 5));
      ('segmentedPacket' in js).should.be.false();
    });

    it('COMPATIBILITY.md#fixed-5: a continuation under 12 bytes while segmentedPacket is pending joins the packet', function () {
      const { js, log } = recordingServer();
      const body = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
      const p = resPacket(T.WORK_DATA, ['H:1', body]);
      js._processData(p.subarray(0, 20));
      js.segmentedPacket.should.eql(p.subarray(0, 20));
      js._processData(p.subarray(20, 25)); // 5 bytes: a continuation, not a header fragment
      fields(js).should.eql({ headerfrag: null, segmentedPacket: p.subarray(0, 25).toString('hex') });
      js._processData(p.subarray(25, 30));
      js.segmentedPacket.should.eql(p.subarray(0, 30));
      log.should.eql([]);
      js._processData(p.subarray(30));
      plain(log).should.eql(plain([['_response', T.WORK_DATA, [p.length, 'H:1', body]]]));
      fields(js).should.eql({ headerfrag: null, segmentedPacket: null });
    });

    it('COMPATIBILITY.md#fixed-5: a continuation that starts with \\0RES is data, not a new packet', function () {
      const { js, log } = recordingServer();
      const fake = resPacket(T.NOOP); // 12 bytes that look like a packet
      const body = Buffer.concat([Buffer.from('head'), fake, resPacket(T.ERROR, ['X', 'y']), Buffer.from('tail')]);
      const p = resPacket(T.WORK_COMPLETE, ['H:1', body]);
      const cut = 12 + 'H:1\0head'.length;
      p.subarray(cut, cut + 4).toString('latin1').should.equal('\0RES');
      js._processData(p.subarray(0, cut));
      js._processData(p.subarray(cut, cut + 12)); // exactly the look-alike NOOP
      js._processData(p.subarray(cut + 12));
      plain(log).should.eql(plain([['_response', T.WORK_COMPLETE, [p.length, 'H:1', body]]]));
      fields(js).should.eql({ headerfrag: null, segmentedPacket: null });
    });

    it('COMPATIBILITY.md#fixed-4: a 4 MiB packet in 64 KiB chunks is delivered exactly once with identical bytes', function () {
      const { js, log } = recordingServer();
      const data = crypto.randomBytes(4 * 1024 * 1024);
      const p = resPacket(T.WORK_DATA, ['H:big', data]);
      const size = 64 * 1024;
      for (let at = 0; at < p.length; at += size) {
        js._processData(p.subarray(at, at + size));
        if (at + size < p.length) {
          log.should.have.length(0);
          ('headerfrag' in js).should.be.false();
          js.segmentedPacket.length.should.equal(at + size);
        }
      }
      log.should.have.length(1);
      log[0][0].should.equal('_response');
      log[0][1].should.equal(T.WORK_DATA);
      log[0][2][0].should.equal(p.length);
      log[0][2][1].should.equal('H:big');
      Buffer.isBuffer(log[0][2][2]).should.be.true();
      log[0][2][2].equals(data).should.be.true();
      fields(js).should.eql({ headerfrag: null, segmentedPacket: null });
    });

    it('takes the pending bytes from the fields when user code replaced them', function () {
      const { js, log } = recordingServer();
      const p = resPacket(T.ECHO_RES, ['hello world']);
      js._processData(p.subarray(0, 5));
      js.headerfrag = p.subarray(0, 14); // user code swaps the pending bytes
      js._processData(p.subarray(14));
      plain(log).should.eql(plain([['js.emit', 'echo', 'hello world']]));
    });
  });

  describe('steps and errors', function () {
    it('step 1: not connected → warn log and drop (no field set, nothing dispatched)', function () {
      const { js, log } = recordingServer();
      js.connected = false;
      const warn = sinon.stub(JobServer.logger, 'log');
      js._processData(resPacket(T.NOOP));
      js._processData(Buffer.from([0, 0x52]));
      log.should.eql([]);
      fields(js).should.eql({ headerfrag: null, segmentedPacket: null });
      warn.args.filter((a) => a[0] === 'warn').should.have.length(2);
    });

    it('bad magic with nothing pending → owner._unrecoverableError(\'out of sync with server\')', function () {
      const { js, log } = recordingServer();
      const bad = resPacket(T.NOOP);
      bad.write('XRES', 0, 'latin1');
      js._processData(bad);
      log.should.eql([['_unrecoverableError', 'out of sync with server']]);
      const req = protocol.encodePacket(T.ECHO_REQ, ['x']); // \0REQ is no server packet either
      js._processData(req);
      log.should.eql([['_unrecoverableError', 'out of sync with server'], ['_unrecoverableError', 'out of sync with server']]);
    });

    it('bad magic in a later packet of a chunk: the good packets before it are dispatched first', async function () {
      const { js, log } = recordingServer();
      const bad = resPacket(T.NOOP);
      bad.writeUInt32BE(0x12345678, 0);
      js._processData(Buffer.concat([resPacket(T.NOOP), resPacket(T.NO_JOB), bad]));
      await tick();
      plain(log).should.eql(plain([['_response', T.NOOP, [12]], ['_response', T.NO_JOB, [12]],
        ['_unrecoverableError', 'out of sync with server']]));
    });

    it('does not judge the magic of an incomplete header early: 00 00 00 waits as headerfrag', function () {
      const { js, log } = recordingServer();
      js._processData(Buffer.concat([resPacket(T.NOOP), Buffer.from([0, 0, 0])]));
      plain(log).should.eql(plain([['_response', T.NOOP, [12]]]));
      fields(js).should.eql({ headerfrag: '000000', segmentedPacket: null });
      js._processData(Buffer.alloc(9)); // now a whole header: its magic is wrong
      log[log.length - 1].should.eql(['_unrecoverableError', 'out of sync with server']);
    });

    it('unknown and request-only types: warn log only, and the stream goes on', async function () {
      for (const type of [0, 1, 7, 9, 16, 24, 26, 99, 0xffff]) {
        const { js, log } = recordingServer();
        const warn = sinon.stub(JobServer.logger, 'log');
        js._processData(Buffer.concat([resPacket(type, ['a', 'b']), resPacket(T.NOOP)]));
        await tick();
        plain(log).should.eql(plain([['_response', T.NOOP, [12]]]), 'type ' + type);
        warn.args.filter((a) => a[0] === 'warn').should.have.length(1);
        sinon.restore();
      }
    });

    it('COMPATIBILITY.md#fixed-6: no segmentedPacket survives a split packet of an unknown or request-only type', function () {
      for (const type of [1, 99]) {
        const { js, log } = recordingServer();
        sinon.stub(JobServer.logger, 'log');
        const p = resPacket(type, ['some body bytes']);
        js._processData(p.subarray(0, 15));
        ('segmentedPacket' in js).should.be.true();
        js._processData(p.subarray(15));
        fields(js).should.eql({ headerfrag: null, segmentedPacket: null });
        js._processData(resPacket(T.ECHO_RES, ['after']));
        plain(log).should.eql(plain([['js.emit', 'echo', 'after']]));
        sinon.restore();
      }
    });

    it('COMPATIBILITY.md#fixed-6: disconnect clears pending bytes; after a reconnect no old bytes are prepended', function () {
      for (const cut of [5, 20]) {
        const { js, log } = recordingServer();
        const p = resPacket(T.WORK_DATA, ['H:1', 'old old old old']);
        js._processData(p.subarray(0, cut));
        ('headerfrag' in js || 'segmentedPacket' in js).should.be.true();
        const emits = log.length;
        js.disconnect();
        fields(js).should.eql({ headerfrag: null, segmentedPacket: null });
        log.slice(emits).map((e) => e[1]).should.eql(['socketDisconnect']); // no emit added by the clearing
        js.connected = true; // "reconnected"
        const fresh = resPacket(T.WORK_DATA, ['H:2', 'new']);
        js._processData(fresh);
        plain(log.slice(emits + 1)).should.eql(plain([['_response', T.WORK_DATA, [fresh.length, 'H:2', Buffer.from('new')]]]));
      }
    });

    it('a packet whose dispatch disconnects the server: the rest of the chunk is not dispatched', async function () {
      const { js, owner } = connectedServer();
      let calls = 0;
      owner._response = () => {
        calls++;
        js.disconnect();
      };
      js._processData(Buffer.concat([resPacket(T.NOOP), resPacket(T.NOOP), resPacket(T.NOOP)]));
      await tick();
      calls.should.equal(1);
      fields(js).should.eql({ headerfrag: null, segmentedPacket: null });
    });
  });

  describe('dispatch', function () {
    before(function () {
      diff.orig(''); // the original's parsePacket needs its main module (COMPATIBILITY.md#fixed-14)
    });

    it('ERROR: owner.emit(\'jobServerError\', uid, code, text), then this.emit(\'jobServerError\', code, text)', function () {
      const { js, log } = recordingServer();
      js.on('jobServerError', () => {});
      js._processData(resPacket(T.ERROR, ['UNKNOWN_OPTION', 'žluť text\0with NUL']));
      log.should.eql([
        ['owner.emit', 'jobServerError', js.getUid(), 'UNKNOWN_OPTION', 'žluť text\0with NUL'],
        ['js.emit', 'jobServerError', 'UNKNOWN_OPTION', 'žluť text\0with NUL'],
      ]);
    });

    it('ECHO_RES → this.emit(\'echo\', text); OPTION_RES → this.emit(\'option\', text); nothing on the owner', function () {
      const { js, log } = recordingServer();
      js._processData(Buffer.concat([resPacket(T.ECHO_RES, ['kůň 🐎']), resPacket(T.OPTION_RES, ['exceptions'])]));
      log.should.eql([['js.emit', 'echo', 'kůň 🐎'], ['js.emit', 'option', 'exceptions']]);
    });

    it('JOB_CREATED with an empty FIFO → owner._unrecoverableError(\'empty stack of job waiting 4 packet JOB_CREATED\')', function () {
      const { js, log } = recordingServer();
      js._processData(resPacket(T.JOB_CREATED, ['H:1']));
      log.should.eql([['_unrecoverableError', 'empty stack of job waiting 4 packet JOB_CREATED']]);
    });

    it('JOB_CREATED: shift the job, set handle, owner.jobs[job.getUid()] = job, then owner._response', function () {
      const { js, owner } = connectedServer({ type: 'Client' });
      const j1 = new Job(owner, { name: 'f', payload: 'p' });
      const j2 = new Job(owner, { name: 'g', payload: 'q' });
      j1.jobServerUid = js.getUid();
      j2.jobServerUid = js.getUid();
      js.jobsWaiting4Created.push(j1, j2);
      let seen;
      owner._response = (server, type, parsed) => {
        seen = { type, parsed, fifo: js.jobsWaiting4Created.slice(), handle: j1.handle, stored: owner.jobs[js.getUid() + '#H:1'] };
      };
      js._processData(resPacket(T.JOB_CREATED, ['H:1']));
      seen.type.should.equal(T.JOB_CREATED);
      seen.parsed.should.eql([15, 'H:1']);
      seen.fifo.should.eql([j2]);
      seen.handle.should.equal('H:1');
      seen.stored.should.equal(j1);
      Object.keys(owner.jobs).should.eql([js.getUid() + '#H:1']);
    });

    it('goes through the owner\'s current _response and _unrecoverableError', function () {
      const { js, owner } = connectedServer();
      const r = sinon.spy();
      const u = sinon.spy();
      owner._response = r;
      owner._unrecoverableError = u;
      js._processData(Buffer.concat([resPacket(T.NOOP), resPacket(T.JOB_CREATED, ['H:1'])]));
      r.calledOnceWithExactly(js, T.NOOP, [12]).should.be.true();
      u.calledOnceWithExactly('empty stack of job waiting 4 packet JOB_CREATED').should.be.true();
    });

    // Every type that goes to owner._response, with bodies that exercise its format.
    const cases = [
      ['WORK_COMPLETE', ['H:host:7', Buffer.from([0xff, 0, 0xfe, 0x80])]],
      ['WORK_DATA', ['H:host:7', 'žluť data']],
      ['WORK_WARNING', ['H:host:7', Buffer.alloc(0)]],
      ['WORK_STATUS', ['H:host:7', '3', '10']],
      ['WORK_FAIL', ['H:host:7']],
      ['WORK_EXCEPTION', ['H:host:7', 'exception\0text']],
      ['STATUS_RES', ['H:host:7', '1', '0', '25', '100']],
      ['NOOP', []],
      ['NO_JOB', []],
      ['JOB_ASSIGN', ['H:host:7', 'fn-ascii', Buffer.from([1, 2, 3, 0, 4])]],
      ['JOB_ASSIGN_UNIQ', ['H:host:7', 'fn-ascii', 'uniq-1', 'payload']],
      ['JOB_CREATED', ['H:host:7']],
    ];
    for (const [name, body] of cases) {
      it(`${name}: owner._response(js, ${DEF[name][0]}, parsed) with parsePacket's array for '${DEF[name][2]}' (ours and the original's)`, function () {
        const { js, owner } = connectedServer();
        if (name === 'JOB_CREATED') js.jobsWaiting4Created.push(fifoJob(js));
        const spy = sinon.spy();
        owner._response = spy;
        const p = resPacket(DEF[name][0], body);
        js._processData(p);
        spy.calledOnce.should.be.true();
        spy.firstCall.args[0].should.equal(js);
        spy.firstCall.args[1].should.equal(DEF[name][0]);
        const parsed = spy.firstCall.args[2];
        assert.deepStrictEqual(diff.comparable(parsed), diff.comparable(protocol.parsePacket(p, DEF[name][2])));
        const orig = diff.orig('lib/gearmanode/protocol').parsePacket(p, DEF[name][2]);
        assert.deepStrictEqual(diff.comparable(parsed), diff.comparable(orig));
      });
    }

    it('with several packets in one chunk, each gets exactly its own fields (b stops at its packet)', function () {
      const { js, owner } = connectedServer();
      const spy = sinon.spy();
      owner._response = spy;
      const a = resPacket(T.WORK_DATA, ['H:1', 'first']);
      const b = resPacket(T.WORK_COMPLETE, ['H:1', 'second']);
      js._processData(Buffer.concat([a, b]));
      spy.callCount.should.equal(2);
      assert.deepStrictEqual(diff.comparable(spy.firstCall.args[2]), diff.comparable(protocol.parsePacket(a, 'nb')));
      assert.deepStrictEqual(diff.comparable(spy.secondCall.args[2]), diff.comparable(protocol.parsePacket(b, 'nb')));
      spy.firstCall.args[2][2].toString().should.equal('first');
    });

    it('COMPATIBILITY.md#fixed-9: JOB_ASSIGN(_UNIQ) names and unique ids are UTF-8 (the original\'s \'n\' gave ASCII); handles stay ASCII', function () {
      const { js, owner } = connectedServer();
      const spy = sinon.spy();
      owner._response = spy;
      const a = resPacket(T.JOB_ASSIGN, ['H:ž', 'fn-žluť', 'payload']);
      const u = resPacket(T.JOB_ASSIGN_UNIQ, ['H:ž', 'fn-žluť', 'uniq-kůň', 'payload']);
      js._processData(Buffer.concat([a, u]));
      const pa = spy.firstCall.args[2];
      const pu = spy.secondCall.args[2];
      assert.deepStrictEqual(diff.comparable(pa), diff.comparable(protocol.parsePacket(a, 'nNb')));
      assert.deepStrictEqual(diff.comparable(pu), diff.comparable(protocol.parsePacket(u, 'nNNb')));
      pa[2].should.equal('fn-žluť');
      pu[2].should.equal('fn-žluť');
      pu[3].should.equal('uniq-kůň');
      pa[1].should.equal(protocol.parsePacket(a, 'nnb')[1]); // handle: ASCII as before
      protocol.parsePacket(a, DEF.JOB_ASSIGN[2])[2].should.not.equal('fn-žluť'); // what the original format gives
    });

    it('COMPATIBILITY.md#fixed-17: WORK_FAIL takes the handle up to the first NUL (gearmand\'s exception-as-fail)', function () {
      const { js, owner } = connectedServer();
      const spy = sinon.spy();
      owner._response = spy;
      const p = resPacket(T.WORK_FAIL, ['H:host:9', '']); // handle plus one NUL
      js._processData(p);
      spy.firstCall.args[2].should.eql([p.length, 'H:host:9']);
      protocol.parsePacket(p, 'L').should.eql([p.length, 'H:host:9\0']); // the original kept the NUL
    });
  });
});
