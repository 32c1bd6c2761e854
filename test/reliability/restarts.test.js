'use strict';
// Restarts: two gearmands; a client (Sequence, then RoundRobin) keeps jobs in flight while two
// workers work; each gearmand in turn is killed with SIGKILL and restarted. Every submitted job must
// end with exactly one terminal event (complete, failed, exception or error): none is lost, none
// ends twice. The workers come back (they reconnect and register again: the admin `status` of the
// restarted server shows them, and jobs submitted after the restarts complete). The figures go to
// test/.tmp/figures/restarts.json for the README.

const assert = require('assert');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const gearmand = require('../support/gearmand');
const g = require('../..');

const FIGURES = path.join(__dirname, '..', '.tmp', 'figures');
const IN_FLIGHT = 16;
/** Completions to wait for between two faults. */
const STEP = 150;
const AFTER_RESTARTS = 100;
const TERMINAL = ['complete', 'failed', 'exception', 'error'];

/** Waits until `pred()` holds, polling (the state is spread over many objects). */
async function until(pred, what, timeout = 15000) {
  const deadline = Date.now() + timeout;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await gearmand.sleep(10);
  }
}

/** Available workers for `fn` according to the admin `status` of a server. */
async function availableWorkers(server, fn) {
  const status = await server.admin('status');
  const line = status.split('\n').find((l) => l.split('\t')[0] === fn);
  return line ? Number(line.split('\t')[3]) : 0;
}

async function waitWorkers(server, fn, n) {
  const deadline = Date.now() + 15000;
  for (;;) {
    if ((await availableWorkers(server, fn)) >= n) return;
    if (Date.now() > deadline) throw new Error(`${n} workers for ${fn} did not (re)register on ${server.port}`);
    await gearmand.sleep(25);
  }
}

/**
 * Submits jobs and keeps IN_FLIGHT of them running; records per job the terminal events it got.
 */
class Load {
  constructor(client, fn) {
    this.client = client;
    this.fn = fn;
    this.jobs = [];
    this.inFlight = 0;
    this.running = false;
    this.seq = 0;
  }

  submit(tag) {
    const rec = { id: this.seq++, tag, terminal: [], closed: 0, afterTerminal: [] };
    this.jobs.push(rec);
    const job = this.client.submitJob(this.fn, String(rec.id));
    if (job instanceof Error) throw job;
    let counted = false;
    const settle = () => {
      if (counted) return;
      counted = true;
      this.inFlight--;
      if (this.running) setImmediate(() => this.pump());
    };
    this.inFlight++;
    for (const name of TERMINAL) {
      job.on(name, (arg) => {
        rec.terminal.push(name === 'error' ? `error:${arg && arg.code}` : name);
        if (name === 'complete' && job.response.toString() !== 'done ' + rec.id) rec.wrongResponse = job.response.toString();
        settle();
      });
    }
    for (const name of ['created', 'workData', 'warning', 'status']) {
      job.on(name, () => { if (rec.terminal.length > 0) rec.afterTerminal.push(name); });
    }
    job.on('close', () => {
      rec.closed++;
      settle();
    });
    return rec;
  }

  pump() {
    while (this.running && this.inFlight < IN_FLIGHT) this.submit('load');
  }

  start() {
    this.running = true;
    this.pump();
  }

  stop() {
    this.running = false;
  }

  completed() {
    return this.jobs.filter((j) => j.terminal[0] === 'complete').length;
  }

  async completions(n, what) {
    const target = this.completed() + n;
    await until(() => this.completed() >= target, what);
  }

  figures() {
    const count = (pred) => this.jobs.filter(pred).length;
    return {
      submitted: this.jobs.length,
      completed: count((j) => j.terminal.length === 1 && j.terminal[0] === 'complete'),
      failed: count((j) => j.terminal.length === 1 && j.terminal[0] === 'failed'),
      exception: count((j) => j.terminal.length === 1 && j.terminal[0] === 'exception'),
      errored: count((j) => j.terminal.length === 1 && j.terminal[0].startsWith('error')),
      lost: count((j) => j.terminal.length === 0),
      lostButClosed: count((j) => j.terminal.length === 0 && j.closed > 0),
      endedTwice: count((j) => j.terminal.length > 1),
      errorCodes: this.jobs.reduce((acc, j) => {
        for (const t of j.terminal) if (t.startsWith('error')) acc[t.slice(6)] = (acc[t.slice(6)] || 0) + 1;
        return acc;
      }, {}),
    };
  }
}

describe('reliability: gearmand killed (SIGKILL) and restarted under load', function () {
  this.timeout(60000);
  const servers = [];
  const figures = {};
  const trapped = [];
  const trap = (err) => trapped.push(err);
  let previousSink;

  before(async function () {
    process.on('uncaughtException', trap);
    // Failover and reconnect warnings are expected here by the hundred; keep only errors visible.
    const logs = [];
    previousSink = g.setLogger((level, message) => { if (level === 'error') logs.push(message); });
    servers.push(await gearmand.start());
    servers.push(await gearmand.start());
  });

  after(async function () {
    process.off('uncaughtException', trap);
    g.setLogger(previousSink);
    for (const s of servers) await s.stop();
    fs.mkdirSync(FIGURES, { recursive: true });
    fs.writeFileSync(path.join(FIGURES, 'restarts.json'), JSON.stringify({
      what: 'jobs kept 16 in flight through one client and two workers over two gearmands; each gearmand '
        + 'SIGKILLed and restarted in turn, then more jobs submitted after the restarts',
      date: new Date().toISOString(),
      strategies: figures,
    }, null, 2) + '\n');
  });

  const scenarios = [
    { strategy: 'Sequence', hang: false },
    { strategy: 'RoundRobin', hang: false },
    // A hung gearmand (SIGSTOP) killed by a supervisor: jobs written to it wait for JOB_CREATED when
    // it dies, which a plain SIGKILL rarely catches.
    { strategy: 'Sequence', hang: true },
  ];
  for (const { strategy, hang } of scenarios) {
    const label = hang ? `${strategy}, each gearmand hung (SIGSTOP 200 ms) then SIGKILLed` : strategy;
    it(`${label}: every job ends exactly once (lost = 0), workers come back, jobs after the restarts complete`, async function () {
      const [s1, s2] = servers;
      const fn = 'restart-' + crypto.randomUUID();
      const serverList = servers.map((s) => ({ host: s.host, port: s.port }));
      const workers = [];
      const workerErrors = [];
      for (let i = 0; i < 2; i++) {
        const w = g.worker({ servers: serverList.map((s) => Object.assign({}, s)), recoverTime: 100, recoverLimit: 150 });
        w.on('error', (e) => workerErrors.push(e));
        w.addFunction(fn, (job) => {
          const id = job.payload.toString();
          setTimeout(() => job.workComplete('done ' + id), 1);
        });
        workers.push(w);
      }
      const client = g.client({ servers: serverList.map((s) => Object.assign({}, s)), loadBalancing: strategy, recoverTime: 300 });
      const clientErrors = [];
      client.on('error', (e) => clientErrors.push(e.message));
      const load = new Load(client, fn);
      const timeline = [];
      try {
        await waitWorkers(s1, fn, 2);
        await waitWorkers(s2, fn, 2);
        load.start();
        await load.completions(STEP, 'the first completions');

        for (const [victim, other] of [[s1, s2], [s2, s1]]) {
          if (hang) {
            assert.strictEqual(victim.kill('SIGSTOP'), true);
            // The application keeps submitting meanwhile (its in-flight jobs are all stuck).
            for (let i = 0; i < 8; i++) load.submit('during-hang');
            await gearmand.sleep(200);
          }
          assert.strictEqual(victim.kill('SIGKILL'), true);
          timeline.push(`kill ${victim.port} at ${load.jobs.length} submitted`);
          await load.completions(STEP, `completions while ${victim.port} is down`);
          await victim.restart();
          timeline.push(`restarted ${victim.port} at ${load.jobs.length} submitted`);
          await waitWorkers(victim, fn, 2); // the workers came back
          await waitWorkers(other, fn, 2);
          await load.completions(STEP, `completions after ${victim.port} restarted`);
        }
        load.stop();
        await until(() => load.inFlight === 0, 'the jobs in flight to end', 20000).catch(() => {});

        // After the restarts: more jobs, all must complete. Let the client's bad marks expire so
        // that RoundRobin uses both servers again.
        await gearmand.sleep(350);
        const after = [];
        for (let i = 0; i < AFTER_RESTARTS; i++) after.push(load.submit('after'));
        await until(() => after.every((j) => j.terminal.length > 0), 'the jobs submitted after the restarts', 20000).catch(() => {});
        const f = load.figures();
        f.afterRestartsSubmitted = after.length;
        f.afterRestartsCompleted = after.filter((j) => j.terminal.length === 1 && j.terminal[0] === 'complete').length;
        f.eventsAfterTerminal = load.jobs.filter((j) => j.afterTerminal.length > 0).length;
        f.wrongResponses = load.jobs.filter((j) => j.wrongResponse !== undefined).length;
        f.clientErrorEvents = clientErrors.length;
        f.workerErrorEvents = workerErrors.length;
        f.timeline = timeline;
        figures[label] = f;

        const lostIds = load.jobs.filter((j) => j.terminal.length === 0).slice(0, 5).map((j) => `#${j.id}(${j.tag}, close×${j.closed})`);
        assert.strictEqual(f.lost, 0, `${f.lost} job(s) ended without a terminal event, e.g. ${lostIds.join(' ')}; ${JSON.stringify(f)}`);
        assert.strictEqual(f.endedTwice, 0, JSON.stringify(f));
        assert.strictEqual(f.eventsAfterTerminal, 0);
        assert.strictEqual(f.wrongResponses, 0);
        assert.strictEqual(f.completed + f.failed + f.exception + f.errored, f.submitted);
        assert.ok(f.errored > 0, 'killing a server with jobs in flight errors some of them (or the test did not kill anything)');
        assert.strictEqual(f.afterRestartsCompleted, AFTER_RESTARTS, JSON.stringify(f));
        assert.deepStrictEqual(workerErrors.map(String), [], 'no worker gave up reconnecting');
        assert.deepStrictEqual(trapped.map(String), []);
      } finally {
        load.stop();
        client.close();
        for (const w of workers) w.close();
      }
    });
  }
});
