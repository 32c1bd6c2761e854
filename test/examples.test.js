'use strict';
// The programs in examples/ run as a user runs them (`node examples/<file>.js`, in a child process)
// against the default gearmand, end by themselves with exit code 0 and print what they did.
// Each run appends a unique suffix to the examples' function names (GEARMANODE_EXAMPLE_SUFFIX), so
// that other runs on the shared gearmand never serve their jobs.

const assert = require('assert');
const crypto = require('crypto');
const path = require('path');
const { spawn } = require('child_process');
const gearmand = require('./support/gearmand');
const { defaultServer } = require('./support/hooks');

const ROOT = path.resolve(__dirname, '..');
const children = new Set();
/** The function names of the examples, without the suffix. */
const FUNCTIONS = ['reverse', 'count-slowly', 'reverse-bytes', 'describe-text', 'square', 'where', 'nightly-report', 'slow-echo'];
const suffixes = [];

/** Environment of one example run: the default server and a fresh function-name suffix. */
function exampleEnv(extra = {}) {
  const suffix = '-' + crypto.randomUUID();
  suffixes.push(suffix);
  return {
    ...process.env,
    GEARMAN_HOST: defaultServer.host,
    GEARMAN_PORT: String(defaultServer.port),
    GEARMANODE_EXAMPLE_SUFFIX: suffix,
    ...extra,
  };
}

/**
 * Starts `node examples/<file> args...`. Returns the child with `result`: a promise of
 * {code, signal, stdout, stderr} once it exited (killed after `timeout` ms), and `waitForOutput(re)`.
 */
function start(file, args = [], { env = exampleEnv(), timeout = 20000 } = {}) {
  const child = spawn(process.execPath, [path.join(ROOT, 'examples', file), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  const watchers = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const w of watchers.slice()) {
      if (w.re.test(stdout)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(stdout);
      }
    }
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
  child.result = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      for (const w of watchers) w.reject(new Error(`${file} exited before printing ${w.re}; stdout:\n${stdout}\nstderr:\n${stderr}`));
      resolve({ code, signal, stdout, stderr });
    });
  });
  child.waitForOutput = (re) =>
    re.test(stdout) ? Promise.resolve(stdout) : new Promise((resolve, reject) => watchers.push({ re, resolve, reject }));
  return child;
}

/** Runs an example to its end. */
function run(file, args, options) {
  return start(file, args, options).result;
}

/** Asserts exit code 0 and that stdout contains every line (or matches every RegExp) in order. */
function assertOutput(result, expected, name) {
  const context = `${name}: exit ${result.code}${result.signal ? ` (signal ${result.signal})` : ''}\n` +
    `--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
  assert.strictEqual(result.code, 0, context);
  let at = 0;
  for (const e of expected) {
    const rest = result.stdout.slice(at);
    const m = typeof e === 'string' ? { index: rest.indexOf(e), length: e.length } : (() => {
      const r = e.exec(rest);
      return r ? { index: r.index, length: r[0].length } : { index: -1 };
    })();
    assert.ok(m.index >= 0, `missing (in this order): ${e}\n${context}`);
    at += m.index + m.length;
  }
}

describe('examples', function () {
  this.timeout(30000);

  afterEach(function () {
    for (const child of children) child.kill('SIGKILL');
    children.clear();
  });

  // The shared gearmand keeps an entry for every function name it saw (and a job a client gave up
  // on): drop this run's.
  after(async function () {
    for (const suffix of suffixes.splice(0)) {
      for (const name of FUNCTIONS) {
        await gearmand.adminCommand(defaultServer.port, `drop function ${name}${suffix}`).catch(() => {});
      }
    }
  });

  describe('reverse-worker.js and reverse-client.js', function () {
    it('the worker serves --count jobs of the client, then both exit by themselves', async function () {
      const env = exampleEnv();
      const worker = start('reverse-worker.js', ['--count', '2'], { env });
      await worker.waitForOutput(/for 2 job\(s\)\./);
      const client = await run('reverse-client.js', ['abc', 'žluťoučký kůň'], { env });
      assertOutput(client, [
        /Submitted 'abc' to localhost:4730, handle H:\S+/,
        "partial data for 'abc': 'abc'",
        "Result: 'abc' -> 'cba'",
      ], 'reverse-client.js');
      assertOutput(client, [
        "partial data for 'žluťoučký kůň': 'žluťoučký kůň'",
        "Result: 'žluťoučký kůň' -> 'ňůk ýkčuoťulž'",
        'All 2 job(s) answered; closing the client.',
      ], 'reverse-client.js');
      assertOutput(await worker.result, [
        `Worker serving 'reverse${env.GEARMANODE_EXAMPLE_SUFFIX}' on localhost:4730, for 2 job(s).`,
        'Connected to the job server localhost:4730.',
        "-> 'cba'",
        'Done: served 2 job(s); closing the worker.',
      ], 'reverse-worker.js');
    });

    it('a job submitted before any worker runs waits in the queue; a worker started with --once serves it and exits', async function () {
      const env = exampleEnv();
      const client = start('reverse-client.js', [], { env });
      await client.waitForOutput(/Submitted 'hello world!'/);
      const worker = await run('reverse-worker.js', ['--once'], { env });
      assertOutput(worker, [
        "'hello world!' -> '!dlrow olleh'",
        'Done: served 1 job(s); closing the worker.',
      ], 'reverse-worker.js --once');
      assertOutput(await client.result, ["Result: 'hello world!' -> '!dlrow olleh'"], 'reverse-client.js');
    });

    it('the client gives up with exit code 1 when no worker answers', async function () {
      const client = await run('reverse-client.js', [], { env: exampleEnv({ REVERSE_TIMEOUT_MS: '300' }) });
      assert.strictEqual(client.code, 1, client.stdout + client.stderr);
      assert.match(client.stderr, /No answer within 300 ms for 1 job\(s\): is a worker for 'reverse-[0-9a-f-]+' running\?/);
    });

    it('the worker serves until SIGINT (Ctrl-C), then closes and exits 0', async function () {
      const worker = start('reverse-worker.js');
      await worker.waitForOutput(/Connected to the job server localhost:4730\./);
      worker.kill('SIGINT');
      assertOutput(await worker.result, [
        /Worker serving 'reverse-[0-9a-f-]+' on localhost:4730 until Ctrl-C\./,
        'Interrupted: served 0 job(s); closing the worker.',
      ], 'reverse-worker.js');
    });
  });

  it('demo.js uses the running gearmand, shows priorities, partial data and a background job, and leaves the gearmand running', async function () {
    const pidBefore = await gearmand.adminCommand(defaultServer.port, 'getpid');
    const result = await run('demo.js');
    assertOutput(result, [
      `Using the gearmand already running on localhost:${defaultServer.port}`,
      /LOW job queued, handle H:\S+/,
      /HIGH job queued, handle H:\S+/,
      '[client] HIGH job complete',
      '[client] NORMAL job complete',
      '[client] LOW job complete',
      'Completion order: HIGH, NORMAL, LOW',
      "[client] workData: 'xof'",
      "[client] workData: 'eht'",
      "[client] result: 'xof nworb kciuq eht'",
      /background job created, handle H:\S+/,
      /status: known=true/,
      'status: known=false',
      'Client and worker closed.',
      `The gearmand on port ${defaultServer.port} was already running; it keeps running.`,
      'Demo finished.',
    ], 'demo.js');
    // Still the same server, still answering.
    assert.strictEqual(await gearmand.adminCommand(defaultServer.port, 'getpid'), pidBefore);
  });

  it('background-status.js polls a background job with getStatus until the server forgets it', async function () {
    assertOutput(await run('background-status.js'), [
      /\[client\] background job created, handle H:\S+/,
      /\[client\] status: known=true running=(true|false) progress=\d\/\d/,
      '[worker] step 5 of 5',
      '[worker] job complete',
      '[client] status: known=false running=false progress=0/0',
      /the server forgot the job: it is finished \(\d+ status requests\)\./,
    ], 'background-status.js');
  });

  it('scheduled-job.js schedules a job 2 s ahead and follows it by its unique id until it is finished', async function () {
    assertOutput(await run('scheduled-job.js'), [
      /\[client\] scheduled job created, handle H:\S+, unique id (report-[0-9a-f-]+)/,
      /\[client\] it is due at \S+Z/,
      '[client] status: known=true running=false progress=0/0 (waiting for its time)',
      '[worker] the time has come: starting the worker',
      /\[worker\] got 'the numbers of the day' \(unique id report-[0-9a-f-]+\), after its time/,
      /\[client\] status: known=true running=true progress=\d\/\d/,
      '[worker] job complete',
      '[client] status: known=false running=false progress=0/0',
      /the server forgot the job: it is finished \(\d+ status requests\)\./,
    ], 'scheduled-job.js');
  });

  it('graceful-shutdown.js stops on SIGTERM: the jobs in flight finish, then the process exits by itself', async function () {
    const service = start('graceful-shutdown.js');
    await service.waitForOutput(/\[worker\] started job-2/);
    service.kill('SIGTERM');
    const result = await service.result;
    assertOutput(result, [
      '[service] SIGTERM: shutting down (grace 5000 ms)',
      /\[worker\] finished job-2/,
      '[client] job-2 done',
      '[service] client stopped, 0 job(s) timed out',
      '[service] worker stopped, 0 job(s) handed back to gearmand',
    ], 'graceful-shutdown.js');
    // Every job submitted before the signal ran to its end; none was lost or cut short.
    const started = result.stdout.match(/\[worker\] started job-\d+/g).map((l) => l.split(' ').pop());
    const done = result.stdout.match(/\[client\] job-\d+ done/g).map((l) => l.split(' ')[1]);
    assert.deepStrictEqual(done.slice().sort(), started.slice().sort(), result.stdout);
  });

  it('binary-payloads.js sends all 256 byte values both ways and decodes with toStringEncoding', async function () {
    assertOutput(await run('binary-payloads.js'), [
      /\[worker\] reverse-bytes-[0-9a-f-]+: got a Buffer of 256 bytes/,
      '[client] response: a Buffer of 256 bytes, starts with fffefdfc, ends with 03020100',
      '[client] partial data: 00010203 (a Buffer)',
      '[client] all 256 byte values made the round trip unchanged',
      "[client] with toStringEncoding 'hex': string '7f80ff00'",
      "got a string: 'Žluťoučký kůň 🐎'",
      "-> string '15 characters, 24 bytes in UTF-8'",
      '[client] without toStringEncoding: a Buffer of 32 bytes',
      'Done; closing the client and the worker.',
    ], 'binary-payloads.js');
  });

  it('promises.js: an async worker function completes or fails jobs; the client awaits them', async function () {
    assertOutput(await run('promises.js'), [
      "[client] option 'exceptions' set",
      '[client] squares of 1..4: 1, 4, 9, 16',
      /\[client\] progress of square-[0-9a-f-]+\(12\): 1\/2/,
      /\[client\] square-[0-9a-f-]+\(12\) = 144/,
      /\[worker\] GEARMAN_WORKER_FUNCTION_FAILED: worker function square-[0-9a-f-]+ failed: not a number: 'abc'/,
      `[client] rejected with GEARMAN_JOB_EXCEPTION, exception text: "not a number: 'abc'"`,
      'Done; closing the client and the worker.',
    ], 'promises.js');
  });

  it('multi-server-roundrobin.js alternates over three servers, fails over, recovers, and stops its servers', async function () {
    const result = await run('multi-server-roundrobin.js');
    const servers = /Servers: (\S+), (\S+), (\S+)\n/.exec(result.stdout);
    assert.ok(servers, result.stdout + result.stderr);
    const [first, a, b] = servers.slice(1);
    assert.strictEqual(first, `localhost:${defaultServer.port}`);
    const line = (label, uid) => `'${label}' -> submitted to ${uid}, answer: done by the worker connected to ${uid}`;
    assertOutput(result, [
      line('first #1', first), line('first #2', a), line('first #3', b),
      line('first #4', first), line('first #5', a), line('first #6', b),
      `[client] lost ${a}`,
      `${a} was skipped; the jobs went to the two other servers.`,
      `[worker] reconnected to ${a} by itself`,
      `${a} is used again.`,
      'stopped the two extra gearmand processes.',
    ], 'multi-server-roundrobin.js');
    const failover = result.stdout.match(/'failover #\d' -> submitted to (\S+),/g);
    assert.strictEqual(failover.length, 4);
    assert.ok(failover.every((l) => !l.includes(a)), failover.join('\n'));
    // The servers it started are gone.
    for (const uid of [a, b]) {
      const port = Number(uid.split(':')[1]);
      assert.strictEqual(await gearmand.probe(port, '127.0.0.1'), 'refused', `${uid} still answers`);
    }
  });
});
