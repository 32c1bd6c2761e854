'use strict';
// Hostile servers: a fake server on loopback (test/support/fake-server.js) sends garbage, bad magic,
// unknown packet types, stray answers, a 3 GiB length header, 1-byte writes, coalesced packets,
// a split after the header, a reset mid-packet, silence, and a hang-up right after accept. Each case
// (test/support/hostile-cases.js) asserts exactly which events the library emits, that nothing is
// thrown past it (an 'uncaughtException' trap fails the test), that every packet the library wrote
// parses strictly, and that memory stays bounded. The last test runs every case again in a child
// process, which must exit by itself after close().

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const fake = require('../support/fake-server');
const { Recorder } = require('../support/recorder');
const { cases } = require('../support/hostile-cases');
const g = require('../..');

const RUNNER = path.join(__dirname, '..', 'support', 'hostile-run.js');
const FIGURES = path.join(__dirname, '..', '.tmp', 'figures');
/** How long the child may take to exit once its last client or worker is closed. */
const EXIT_WITHIN = 5000;

describe('reliability: hostile server', function () {
  this.timeout(20000);
  const trapped = [];
  const trap = (err) => trapped.push(err);
  let logs = [];
  let previousSink;
  const rows = [];

  before(function () {
    process.on('uncaughtException', trap);
    process.on('unhandledRejection', trap);
    // The library's log lines are part of what is checked (unknown types are logged and skipped).
    previousSink = g.setLogger((level, message) => logs.push(`${level}: ${message}`));
  });

  after(function () {
    process.off('uncaughtException', trap);
    process.off('unhandledRejection', trap);
    g.setLogger(previousSink);
    fs.mkdirSync(FIGURES, { recursive: true });
    fs.writeFileSync(path.join(FIGURES, 'hostile.json'), JSON.stringify({ date: new Date().toISOString(), cases: rows }, null, 2) + '\n');
  });

  beforeEach(function () {
    logs = [];
  });

  for (const c of cases) {
    it(`${c.name}: ${c.expect}`, async function () {
      const server = await fake.start(c.server);
      const row = { case: c.name, expect: c.expect, passed: false };
      rows.push(row);
      try {
        const rec = new Recorder();
        const extra = (await c.run(g, server.port, rec)) || {};
        row.events = rec.events;
        if (extra.rssBefore !== undefined) {
          row.rssGrowthMB = +((extra.rssAfter - extra.rssBefore) / 1048576).toFixed(1);
          if (extra.vsizeBefore !== null) row.vsizeGrowthMB = +((extra.vsizeAfter - extra.vsizeBefore) / 1048576).toFixed(1);
        }
        c.check(rec.events, extra, server);
        if (c.logged) assert.ok(logs.some((l) => c.logged.test(l)), `no log line matches ${c.logged}: ${JSON.stringify(logs)}`);
        assert.deepStrictEqual(server.malformed, [], 'every packet the library wrote parses');
        assert.deepStrictEqual(server.scriptErrors, []);
      } finally {
        await server.close();
      }
      assert.deepStrictEqual(trapped.map(String), [], 'no uncaught exception');
      row.passed = true;
    });
  }

  it('in a child process: every case again, no uncaught exception, and the process exits by itself after close()', async function () {
    this.timeout(60000);
    const servers = {};
    const ports = {};
    for (const c of cases) {
      servers[c.name] = await fake.start(c.server);
      ports[c.name] = servers[c.name].port;
    }
    let result;
    try {
      result = await new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [RUNNER], {
          env: Object.assign({}, process.env, { HOSTILE_PORTS: JSON.stringify(ports), GEARMANODE_LOG: 'error' }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        let doneAt = null;
        let timer = null;
        child.stdout.on('data', (d) => {
          out += d;
          if (doneAt === null && /"done":/.test(out)) {
            doneAt = Date.now();
            timer = setTimeout(() => {
              child.kill('SIGKILL');
              reject(new Error(`the child did not exit within ${EXIT_WITHIN} ms after closing everything; stderr: ${err}`));
            }, EXIT_WITHIN);
          }
        });
        child.stderr.on('data', (d) => { err += d; });
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, out, err, doneAt, exitAt: Date.now() });
        });
      });
    } finally {
      for (const s of Object.values(servers)) await s.close();
    }
    const lines = result.out.trim().split('\n').map((l) => JSON.parse(l));
    rows.push({ case: 'child process: all cases, then exit by itself', exitCode: result.code, signal: result.signal,
      exitMsAfterLastClose: result.doneAt === null ? null : result.exitAt - result.doneAt });
    const uncaught = lines.filter((l) => l.uncaught && typeof l.uncaught === 'string');
    assert.deepStrictEqual(uncaught, [], 'no uncaught exception in the child');
    assert.ok(result.doneAt !== null, `the child did not finish its cases: ${result.out} ${result.err}`);
    assert.strictEqual(result.signal, null);
    assert.strictEqual(result.code, 0, `exit code ${result.code}; stderr: ${result.err}`);
    assert.doesNotMatch(result.err, /panicked|Uncaught|FATAL|Abort/i);
    // The events themselves are checked case by case above, in this process; here each case must
    // have run to its end (its waits did not time out) without a malformed packet.
    const byName = new Map(lines.filter((l) => l.name).map((l) => [l.name, l]));
    for (const c of cases) {
      const r = byName.get(c.name);
      assert.ok(r, `no result for ${c.name}`);
      assert.strictEqual(r.error, null, `${c.name}: ${r.error}`);
      assert.ok(r.events.includes('client:close') || r.events.includes('worker:close'), `${c.name}: ${JSON.stringify(r.events)}`);
      assert.deepStrictEqual(servers[c.name].malformed, [], c.name);
    }
  });
});
