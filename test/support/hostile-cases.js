'use strict';
// The hostile-server cases of test/reliability/hostile.test.js. Each case has three parts:
//   server(conn)          the fake server's script for each accepted connection (runs in mocha)
//   run(g, port, rec)     the library side: a client or worker of `g` (the gearmanode module) against
//                         127.0.0.1:port, its events recorded by `rec` (a Recorder); it closes what it
//                         created and resolves with extra figures (RSS, ...)
//   check(events, extra, server)   the assertions
// `run` must work the same in the mocha process and in a child process (hostile-run.js) that proves
// the process exits by itself once everything is closed.

const assert = require('assert');
const fake = require('./fake-server');

const { res, header, sleep } = fake;
const MB = 1024 * 1024;
/** How much RSS a case may add; a header claim that allocated would add hundreds of MB. */
const RSS_BOUND = 64 * MB;
/** Pause used only to show that nothing (more) happens. */
const GRACE = 300;

function client(g, port, rec, extra = {}) {
  const c = g.client(Object.assign({ host: '127.0.0.1', port }, extra));
  if (c instanceof Error) throw c;
  return rec.owner(c, 'client');
}

function worker(g, port, rec, extra = {}) {
  const w = g.worker(Object.assign({ host: '127.0.0.1', port }, extra));
  if (w instanceof Error) throw w;
  return rec.owner(w, 'worker');
}

async function closeClient(c, rec) {
  c.close();
  await rec.wait('client:close', 2000);
}

function rss() {
  return process.memoryUsage().rss;
}

/**
 * Virtual size of the process (VmSize, Linux), or null elsewhere. An allocation that a header merely
 * claims may stay untouched, so invisible in RSS; it still shows here.
 */
function vsize() {
  try {
    const m = /^VmSize:\s+(\d+) kB$/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function assertBounded(extra, what) {
  const grew = extra.rssAfter - extra.rssBefore;
  assert.ok(grew < RSS_BOUND, `RSS grew by ${(grew / MB).toFixed(1)} MB ${what}`);
  if (extra.vsizeBefore !== null && extra.vsizeAfter !== null) {
    const v = extra.vsizeAfter - extra.vsizeBefore;
    assert.ok(v < RSS_BOUND, `virtual size grew by ${(v / MB).toFixed(1)} MB ${what}`);
  }
}

/** The terminal events (complete, failed, exception, error) of the job recorded as `label`. */
function terminals(events, label = 'job') {
  return events.filter((e) => /^(complete|failed|exception|error)(:|$)/.test(e.slice(label.length + 1)) && e.startsWith(label + ':'));
}

/** Server prelude: wait for the SUBMIT, answer JOB_CREATED H:1. */
async function created(conn) {
  await conn.next('SUBMIT_JOB');
  conn.write(res('JOB_CREATED', ['H:1']));
  // Let the client see the JOB_CREATED in a read of its own before the fault.
  await sleep(20);
}

/** Client side of the common cases: submit one job, wait until it is closed, close the client. */
async function submitAndWaitClose(g, port, rec) {
  const c = client(g, port, rec);
  rec.job(c.submitJob('f', 'p'));
  await rec.wait('job:close');
  await closeClient(c, rec);
}

const LOST_CREATED_JOB = (code) => [
  'client:socketConnect',
  'job:submited',
  'job:created',
  `client:socketError:${code}`,
  `client:socketDisconnect:${code}`,
  'job:error:GEARMAN_CONNECTION_LOST',
  'job:close',
  'client:socketDisconnect:undefined',
  'client:close',
];

const cases = [
  {
    name: 'garbage bytes (an HTTP reply) after JOB_CREATED',
    expect: 'socketError GEARMAN_BAD_MAGIC, socketDisconnect, job error GEARMAN_CONNECTION_LOST + close',
    async server(conn) {
      await created(conn);
      conn.write(Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    },
    run: submitAndWaitClose,
    check(events) {
      assert.deepStrictEqual(events, LOST_CREATED_JOB('GEARMAN_BAD_MAGIC'));
    },
  },
  {
    name: 'bad magic: a whole packet with \\0REQ instead of \\0RES',
    expect: 'socketError GEARMAN_BAD_MAGIC, socketDisconnect, job error + close',
    async server(conn) {
      await created(conn);
      conn.write(fake.req('WORK_COMPLETE', ['H:1', 'done']));
    },
    run: submitAndWaitClose,
    check(events) {
      assert.deepStrictEqual(events, LOST_CREATED_JOB('GEARMAN_BAD_MAGIC'));
    },
  },
  {
    name: 'bad magic behind a valid packet in the same write',
    expect: 'the valid WORK_DATA is delivered first, then GEARMAN_BAD_MAGIC',
    async server(conn) {
      await created(conn);
      conn.write(Buffer.concat([res('WORK_DATA', ['H:1', 'partial']), header('XRES', 13, 4), Buffer.from('done')]));
    },
    run: submitAndWaitClose,
    check(events) {
      const expected = LOST_CREATED_JOB('GEARMAN_BAD_MAGIC');
      expected.splice(3, 0, 'job:workData:partial');
      assert.deepStrictEqual(events, expected);
    },
  },
  {
    name: 'unknown packet type 99 with a valid \\0RES header',
    expect: 'skipped (logged); the job and a second job complete on the same connection',
    logged: /^warn: unexpected packet from server, type=99/,
    async server(conn) {
      await conn.next('SUBMIT_JOB');
      conn.write(Buffer.concat([res('JOB_CREATED', ['H:1']), res(99, ['abc', 'def'])]));
      await sleep(20);
      conn.write(Buffer.concat([res(99, []), res('WORK_COMPLETE', ['H:1', 'done'])]));
      await conn.next('SUBMIT_JOB');
      conn.write(Buffer.concat([res(99, ['x']), res('JOB_CREATED', ['H:2']), res('WORK_COMPLETE', ['H:2', 'two'])]));
    },
    async run(g, port, rec) {
      const c = client(g, port, rec);
      rec.job(c.submitJob('f', 'p'));
      await rec.wait('job:complete:done');
      rec.job(c.submitJob('f', 'q'), 'job2');
      await rec.wait('job2:complete:two');
      await closeClient(c, rec);
    },
    check(events) {
      assert.deepStrictEqual(events, [
        'client:socketConnect', 'job:submited', 'job:created', 'job:complete:done',
        'job2:submited', 'job2:created', 'job2:complete:two',
        'client:socketDisconnect:undefined', 'client:close',
      ]);
    },
  },
  {
    name: 'JOB_CREATED nobody waits for',
    expect: "client error 'empty stack of job waiting 4 packet JOB_CREATED'; the connection stays usable",
    async server(conn) {
      const echo = await conn.next('ECHO_REQ');
      conn.write(Buffer.concat([res('ECHO_RES', [echo.args[0]]), res('JOB_CREATED', ['H:stray'])]));
      await conn.next('SUBMIT_JOB');
      conn.write(Buffer.concat([res('JOB_CREATED', ['H:1']), res('WORK_COMPLETE', ['H:1', 'done'])]));
    },
    async run(g, port, rec) {
      const c = client(g, port, rec);
      c.jobServers[0].once('echo', (t) => rec.push(`jobServer:echo:${t}`));
      assert.strictEqual(c.jobServers[0].echo('ping'), undefined);
      await rec.wait((ev) => ev.some((e) => e.startsWith('client:error')));
      rec.job(c.submitJob('f', 'p'));
      await rec.wait('job:complete:done');
      await closeClient(c, rec);
    },
    check(events) {
      assert.deepStrictEqual(events, [
        'client:socketConnect', 'jobServer:echo:ping',
        'client:error:empty stack of job waiting 4 packet JOB_CREATED',
        'job:submited', 'job:created', 'job:complete:done',
        'client:socketDisconnect:undefined', 'client:close',
      ]);
    },
  },
  {
    name: 'WORK_COMPLETE for a handle nobody knows',
    expect: "client error 'unknown job, uid=…#H:nobody'; the real job completes",
    async server(conn) {
      await conn.next('SUBMIT_JOB');
      conn.write(Buffer.concat([res('JOB_CREATED', ['H:1']), res('WORK_COMPLETE', ['H:nobody', 'x'])]));
      await sleep(20);
      conn.write(res('WORK_COMPLETE', ['H:1', 'done']));
    },
    async run(g, port, rec) {
      const c = client(g, port, rec);
      rec.job(c.submitJob('f', 'p'));
      await rec.wait('job:complete:done');
      await closeClient(c, rec);
    },
    check(events) {
      assert.strictEqual(events.length, 7, JSON.stringify(events));
      assert.deepStrictEqual(events.slice(0, 3), ['client:socketConnect', 'job:submited', 'job:created']);
      assert.match(events[3], /^client:error:unknown job, uid=127\.0\.0\.1:\d+#H:nobody$/);
      assert.deepStrictEqual(events.slice(4), ['job:complete:done', 'client:socketDisconnect:undefined', 'client:close']);
    },
  },
  {
    name: 'a header claiming a 3 GiB packet',
    expect: 'socketError GEARMAN_PACKET_TOO_LARGE, job error + close; nothing allocated for the claim',
    async server(conn) {
      await created(conn);
      conn.write(Buffer.concat([header(fake.RES, 'WORK_COMPLETE', 3 * 1024 * MB), Buffer.alloc(64 * 1024, 1)]));
    },
    async run(g, port, rec) {
      const before = { rssBefore: rss(), vsizeBefore: vsize() };
      await submitAndWaitClose(g, port, rec);
      return Object.assign(before, { rssAfter: rss(), vsizeAfter: vsize() });
    },
    check(events, extra) {
      assert.deepStrictEqual(events, LOST_CREATED_JOB('GEARMAN_PACKET_TOO_LARGE'));
      assertBounded(extra, 'for a 3 GiB claim');
    },
  },
  {
    name: 'a header claiming 200 MiB (under the 256 MiB limit), 64 KiB sent, then silence',
    expect: 'nothing emitted while waiting; memory follows the bytes received, not the claim; close() ends it',
    async server(conn) {
      await created(conn);
      conn.write(Buffer.concat([header(fake.RES, 'WORK_COMPLETE', 200 * MB), Buffer.from('H:1\0'), Buffer.alloc(64 * 1024, 2)]));
    },
    async run(g, port, rec) {
      const before = { rssBefore: rss(), vsizeBefore: vsize() };
      const c = client(g, port, rec);
      rec.job(c.submitJob('f', 'p'));
      await rec.wait('job:created');
      await sleep(GRACE);
      const during = { rssAfter: rss(), vsizeAfter: vsize() };
      const quiet = rec.events.slice();
      await closeClient(c, rec);
      return Object.assign(before, during, { quiet });
    },
    check(events, extra) {
      assert.deepStrictEqual(extra.quiet, ['client:socketConnect', 'job:submited', 'job:created']);
      assert.deepStrictEqual(events.slice(3), ['client:socketDisconnect:undefined', 'job:close', 'client:close']);
      assertBounded(extra, 'while 64 KiB of a claimed 200 MiB packet are pending');
    },
  },
  {
    name: 'every packet in 1-byte writes',
    expect: 'correct delivery: created, workData, complete with the exact bytes',
    async server(conn) {
      await conn.next('SUBMIT_JOB');
      await conn.writeBytewise(Buffer.concat([
        res('JOB_CREATED', ['H:1']),
        res('WORK_DATA', ['H:1', 'part']),
        res('WORK_COMPLETE', ['H:1', 'dône']),
      ]));
    },
    async run(g, port, rec) {
      const c = client(g, port, rec);
      rec.job(c.submitJob('f', 'p'));
      await rec.wait('job:complete:dône');
      await closeClient(c, rec);
    },
    check(events) {
      assert.deepStrictEqual(events, [
        'client:socketConnect', 'job:submited', 'job:created', 'job:workData:part', 'job:complete:dône',
        'client:socketDisconnect:undefined', 'client:close',
      ]);
    },
  },
  {
    name: 'two packets in one write',
    expect: 'correct delivery: created then complete',
    async server(conn) {
      await conn.next('SUBMIT_JOB');
      conn.write(Buffer.concat([res('JOB_CREATED', ['H:1']), res('WORK_COMPLETE', ['H:1', 'done'])]));
    },
    async run(g, port, rec) {
      const c = client(g, port, rec);
      rec.job(c.submitJob('f', 'p'));
      await rec.wait('job:complete:done');
      await closeClient(c, rec);
    },
    check(events) {
      assert.deepStrictEqual(events, [
        'client:socketConnect', 'job:submited', 'job:created', 'job:complete:done',
        'client:socketDisconnect:undefined', 'client:close',
      ]);
    },
  },
  {
    name: 'a packet split exactly after its 12-byte header',
    expect: 'correct delivery of the binary body',
    async server(conn) {
      await created(conn);
      const body = Buffer.concat([Buffer.from('H:1\0'), Buffer.from([0, 0xff, 0x52, 0x45, 0x53, 0, 1])]);
      const p = Buffer.concat([header(fake.RES, 'WORK_COMPLETE', body.length), body]);
      await conn.writePieces([p.subarray(0, 12), p.subarray(12)], 50);
    },
    async run(g, port, rec) {
      const c = client(g, port, rec);
      const job = rec.job(c.submitJob('f', 'p'));
      let response;
      job.on('complete', () => { response = job.response.toString('hex'); });
      await rec.wait((ev) => ev.some((e) => e.startsWith('job:complete')));
      await closeClient(c, rec);
      return { response };
    },
    check(events, extra) {
      assert.strictEqual(extra.response, '00ff5245530001');
      assert.deepStrictEqual(events.filter((e) => !e.startsWith('job:complete')), [
        'client:socketConnect', 'job:submited', 'job:created', 'client:socketDisconnect:undefined', 'client:close',
      ]);
      assert.strictEqual(events[3].startsWith('job:complete'), true);
    },
  },
  {
    name: 'a reset (RST) in the middle of a packet',
    expect: 'socketError ECONNRESET, socketDisconnect, job error GEARMAN_CONNECTION_LOST + close',
    async server(conn) {
      await created(conn);
      conn.write(res('WORK_COMPLETE', ['H:1', 'done']).subarray(0, 15));
      await sleep(30);
      conn.reset();
    },
    run: submitAndWaitClose,
    check(events) {
      assert.deepStrictEqual(events, LOST_CREATED_JOB('ECONNRESET'));
    },
  },
  {
    name: 'silence after accept (client, connectTimeout 100 ms)',
    expect: 'the job waits (connectTimeout is for connecting only); close() ends everything',
    async server() {
      // accepts and never answers
    },
    async run(g, port, rec) {
      const c = client(g, port, rec, { connectTimeout: 100 });
      rec.job(c.submitJob('f', 'p'));
      await rec.wait('job:submited');
      await sleep(GRACE + 100);
      const quiet = rec.events.slice();
      await closeClient(c, rec);
      return { quiet };
    },
    check(events, extra, server) {
      assert.deepStrictEqual(extra.quiet, ['client:socketConnect', 'job:submited']);
      assert.deepStrictEqual(events.slice(2), ['job:close', 'client:socketDisconnect:undefined', 'client:close']);
      if (server) assert.ok(server.received.some((p) => p.name === 'SUBMIT_JOB'));
    },
  },
  {
    name: 'silence after accept (worker)',
    expect: 'registration just waits (no event); close() ends everything',
    async server() {
      // accepts and never answers
    },
    async run(g, port, rec) {
      const w = worker(g, port, rec);
      assert.strictEqual(w.addFunction('f', (job) => job.workComplete('x')), undefined);
      await rec.wait('worker:socketConnect');
      await sleep(GRACE);
      const quiet = rec.events.slice();
      w.close();
      await rec.wait('worker:close', 2000);
      return { quiet };
    },
    check(events, extra, server) {
      assert.deepStrictEqual(extra.quiet, ['worker:socketConnect']);
      assert.deepStrictEqual(events, ['worker:socketConnect', 'worker:socketDisconnect:undefined', 'worker:close']);
      if (server) {
        const names = server.received.map((p) => p.name);
        assert.deepStrictEqual(names.slice(0, 2), ['CAN_DO', 'PRE_SLEEP']);
      }
    },
  },
  {
    name: 'close (FIN) right after accept (client)',
    expect: 'socketDisconnect (no socketError); the submitted job ends with one terminal event and close',
    async server(conn) {
      conn.end();
    },
    async run(g, port, rec) {
      const c = client(g, port, rec);
      rec.job(c.submitJob('f', 'p'));
      await rec.wait('job:close');
      await sleep(50);
      await closeClient(c, rec);
    },
    check(events) {
      assert.ok(events.includes('client:socketDisconnect:undefined'), JSON.stringify(events));
      assert.ok(!events.some((e) => e.startsWith('client:socketError')), JSON.stringify(events));
      assert.strictEqual(events.filter((e) => e === 'job:close').length, 1);
      // A submitted foreground job ends with exactly one terminal event (ARCHITECTURE.md#rules).
      assert.deepStrictEqual(terminals(events), ['job:error:GEARMAN_CONNECTION_LOST'],
        `job events: ${JSON.stringify(events.filter((e) => e.startsWith('job:')))}`);
    },
  },
  {
    name: 'reset before JOB_CREATED (the job is written, not yet created)',
    expect: 'socketError ECONNRESET; the job ends with one terminal event (error) and close',
    async server(conn) {
      await conn.next('SUBMIT_JOB');
      conn.reset();
    },
    async run(g, port, rec) {
      const c = client(g, port, rec);
      rec.job(c.submitJob('f', 'p'));
      await rec.wait('job:close');
      await sleep(50);
      await closeClient(c, rec);
    },
    check(events) {
      assert.deepStrictEqual(events.slice(0, 3), ['client:socketConnect', 'job:submited', 'client:socketError:ECONNRESET']);
      assert.strictEqual(events.filter((e) => e === 'job:close').length, 1);
      assert.deepStrictEqual(terminals(events), ['job:error:GEARMAN_CONNECTION_LOST'],
        `job events: ${JSON.stringify(events.filter((e) => e.startsWith('job:')))}`);
    },
  },
  {
    name: 'close (FIN) right after accept, every time (worker, recoverTime 50 ms)',
    expect: 'socketDisconnect per connection, reconnects and registers again each time; close() stops it',
    async server(conn) {
      // Let the worker's registration arrive, then hang up.
      await conn.next('PRE_SLEEP');
      conn.end();
    },
    async run(g, port, rec) {
      const w = worker(g, port, rec, { recoverTime: 50, recoverLimit: 2 });
      w.addFunction('f', (job) => job.workComplete('x'));
      await rec.wait((ev) => ev.filter((e) => e === 'worker:socketDisconnect:undefined').length >= 3, 5000, '3 disconnects');
      w.close();
      await rec.wait('worker:close', 2000);
      const n = rec.events.length;
      await sleep(GRACE);
      return { eventsAfterClose: rec.events.length - n };
    },
    check(events, extra, server) {
      assert.strictEqual(extra.eventsAfterClose, 0);
      assert.ok(!events.some((e) => e.startsWith('worker:socketError') || e.startsWith('worker:error')), JSON.stringify(events));
      assert.strictEqual(events[events.length - 1], 'worker:close');
      assert.ok(events.filter((e) => e === 'worker:socketConnect').length >= 3);
      if (server) {
        // Each connection got the registration again.
        const withCanDo = server.connections.filter((c) => c.packets.some((p) => p.name === 'CAN_DO'));
        assert.ok(withCanDo.length >= 3, `${withCanDo.length} of ${server.connections.length} connections registered`);
      }
    },
  },
  {
    name: 'garbage to a worker, then a sane server after its reconnect',
    expect: 'worker socketError GEARMAN_BAD_MAGIC, socketDisconnect; reconnects, registers again and does the next job',
    async server(conn, server) {
      await conn.next('PRE_SLEEP');
      if (server.connections.indexOf(conn) === 0) {
        conn.write(Buffer.from('\x00\x00garbage that is not gearman'));
        return;
      }
      conn.write(res('NOOP'));
      await conn.next('GRAB_JOB');
      conn.write(res('JOB_ASSIGN', ['H:7', 'f', 'payload']));
      const done = await conn.next('WORK_COMPLETE');
      conn.write(res('ECHO_RES', [Buffer.concat([Buffer.from('result='), done.args[1]])]));
    },
    async run(g, port, rec) {
      const w = worker(g, port, rec, { recoverTime: 50 });
      w.addFunction('f', (job) => job.workComplete('did ' + job.payload.toString()));
      await rec.wait((ev) => ev.filter((e) => e === 'worker:socketConnect').length === 2, 5000, 'the reconnect');
      // The job is done when the server has the WORK_COMPLETE (it answers with an ECHO_RES).
      await new Promise((resolve) => w.jobServers[0].once('echo', (t) => { rec.push(`jobServer:echo:${t}`); resolve(); }));
      w.close();
      await rec.wait('worker:close', 2000);
    },
    check(events, extra, server) {
      assert.deepStrictEqual(events, [
        'worker:socketConnect', 'worker:socketError:GEARMAN_BAD_MAGIC', 'worker:socketDisconnect:GEARMAN_BAD_MAGIC',
        'worker:socketConnect', 'jobServer:echo:result=did payload', 'worker:socketDisconnect:undefined', 'worker:close',
      ]);
      if (server) {
        assert.deepStrictEqual(server.connections[1].packets.map((p) => p.name).slice(0, 4),
          ['CAN_DO', 'PRE_SLEEP', 'GRAB_JOB', 'WORK_COMPLETE']);
      }
    },
  },
  {
    name: 'JOB_ASSIGN for a function the worker never registered',
    expect: "worker error 'function not found in locale register, name=nosuch'; the job is failed (WORK_FAIL), no crash",
    async server(conn) {
      await conn.next('PRE_SLEEP');
      conn.write(res('NOOP'));
      await conn.next('GRAB_JOB');
      conn.write(res('JOB_ASSIGN', ['H:9', 'nosuch', 'x']));
      const fail = await conn.next('WORK_FAIL');
      conn.write(res('ECHO_RES', ['failed ' + fail.args[0].toString()]));
    },
    async run(g, port, rec) {
      const w = worker(g, port, rec);
      w.addFunction('f', (job) => job.workComplete('x'));
      await new Promise((resolve) => w.jobServers[0].once('echo', (t) => { rec.push(`jobServer:echo:${t}`); resolve(); }));
      w.close();
      await rec.wait('worker:close', 2000);
    },
    check(events) {
      assert.deepStrictEqual(events, [
        'worker:socketConnect', 'worker:error:function not found in locale register, name=nosuch',
        'jobServer:echo:failed H:9', 'worker:socketDisconnect:undefined', 'worker:close',
      ]);
    },
  },
];

module.exports = { cases, terminals, RSS_BOUND, GRACE };
