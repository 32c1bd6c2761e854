'use strict';
// Persistent queue: background jobs submitted to a gearmand with the sqlite queue
// (`-q libsqlite3 --libsqlite3-db FILE`, present in Debian's gearmand 1.1.20) survive a restart of
// gearmand, a clean one (SIGTERM) and a crash (SIGKILL): a worker that registers afterwards does
// every one of them, when each job has a unique id. If the gearmand on this machine has no sqlite
// queue the test fails and says so.
//
// Without a unique id gearmanode sends an empty one (as 0.9.2 did), and gearmand's sqlite table has
// PRIMARY KEY (unique_key, function_name): every such job of one function is stored under the same
// key, each replacing the previous one, so only the last survives a restart (libgearman clients
// generate a UUID instead). The last test pins this down so that it is documented, not discovered.

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const gearmand = require('../support/gearmand');
const g = require('../..');

const JOBS = 50;
const TMP = path.join(__dirname, '..', '.tmp');

function hasSqliteQueue() {
  let help = '';
  try {
    help = execFileSync(gearmand.findGearmand(), ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    help = String(err.stdout || '') + String(err.stderr || '');
  }
  return /--libsqlite3-db/.test(help);
}

async function until(pred, what, timeout = 15000) {
  const deadline = Date.now() + timeout;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await gearmand.sleep(10);
  }
}

/**
 * Submits `n` background jobs (with unique ids unless `withUnique` is false) and resolves once
 * gearmand has created (and so stored) them all.
 */
async function submitBackground(server, fn, n, withUnique = true) {
  const client = g.client({ host: server.host, port: server.port });
  const errors = [];
  client.on('error', (e) => errors.push(e.message));
  const payloads = [];
  let created = 0;
  for (let i = 0; i < n; i++) {
    const payload = `job-${i}-${crypto.randomUUID()}`;
    payloads.push(payload);
    const options = { background: true };
    if (withUnique) options.unique = payload;
    const job = client.submitJob(fn, payload, options);
    if (job instanceof Error) throw job;
    job.on('error', (e) => errors.push(e.message));
    job.on('created', () => { created++; });
  }
  try {
    await until(() => created === n || errors.length > 0, 'JOB_CREATED for every background job');
  } finally {
    client.close();
  }
  assert.deepStrictEqual(errors, []);
  return payloads;
}

/** Registers a worker and resolves with the payloads it did once `n` jobs are done. */
async function drain(server, fn, n, quiet = 200) {
  const worker = g.worker({ host: server.host, port: server.port });
  const done = [];
  worker.addFunction(fn, (job) => {
    done.push(job.payload.toString());
    job.workComplete('ok');
  });
  try {
    await until(() => done.length >= n, `${n} jobs done after the restart`);
    // Nothing more than what was queued comes (no job is done twice).
    await gearmand.sleep(quiet);
  } finally {
    worker.close();
  }
  return done;
}

describe('reliability: persistent queue (sqlite) across gearmand restarts', function () {
  this.timeout(60000);
  let dir;
  let server;

  before(function () {
    assert.ok(hasSqliteQueue(),
      "this gearmand has no sqlite queue (`gearmand --help` does not list --libsqlite3-db): background jobs do not survive a restart here");
    fs.mkdirSync(TMP, { recursive: true });
    dir = fs.mkdtempSync(path.join(TMP, 'sqlite-queue-'));
  });

  afterEach(async function () {
    if (server) await server.stop();
    server = null;
  });

  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const how of ['SIGTERM', 'SIGKILL']) {
    it(`${JOBS} background jobs (with unique ids) submitted before a restart (${how}) are done by a worker after it, each once`, async function () {
      const db = path.join(dir, `queue-${how}.sqlite3`);
      server = await gearmand.start({ args: ['-q', 'libsqlite3', '--libsqlite3-db', db] });
      const fn = 'persist-' + crypto.randomUUID();
      const payloads = await submitBackground(server, fn, JOBS);
      const status = await server.admin('status');
      assert.match(status, new RegExp(`^${fn}\\t${JOBS}\\t0\\t0$`, 'm'), 'queued on the server before the restart');

      if (how === 'SIGKILL') assert.strictEqual(server.kill('SIGKILL'), true);
      const oldPid = server.pid;
      await server.restart();
      assert.notStrictEqual(server.pid, oldPid);
      assert.match(await server.admin('status'), new RegExp(`^${fn}\\t${JOBS}\\t`, 'm'), 'queued again after the restart');

      const done = await drain(server, fn, JOBS);
      assert.deepStrictEqual(done.slice().sort(), payloads.slice().sort());
      assert.strictEqual(done.length, JOBS, 'no job done twice');
    });
  }

  it(`without unique ids, only the last of ${JOBS} background jobs survives a restart (gearmand stores them all under the empty unique)`, async function () {
    const db = path.join(dir, 'queue-no-unique.sqlite3');
    server = await gearmand.start({ args: ['-q', 'libsqlite3', '--libsqlite3-db', db] });
    const fn = 'persist-' + crypto.randomUUID();
    const payloads = await submitBackground(server, fn, JOBS, false);
    // In memory gearmand holds all of them...
    assert.match(await server.admin('status'), new RegExp(`^${fn}\\t${JOBS}\\t0\\t0$`, 'm'));
    await server.restart();
    // ...but only one was kept in the queue table.
    assert.match(await server.admin('status'), new RegExp(`^${fn}\\t1\\t`, 'm'));
    const done = await drain(server, fn, 1, 300);
    assert.deepStrictEqual(done, [payloads[payloads.length - 1]]);
  });
});
