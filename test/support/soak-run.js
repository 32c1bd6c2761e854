'use strict';
// Soak run: N jobs through one client (this process) and two workers (child processes), against a
// gearmand of its own, with a fixed number of jobs in flight. It reports, as one JSON object:
// the RSS and the heap (after a full GC) of the client process after warm-up and at the end, at each
// tenth of the run, the time, the workers' RSS, every process 'warning' (MaxListenersExceededWarning
// …), and the sizes of the client's internal maps at the end (client.jobs, jobsWaiting4Created,
// listener counts), which must all be back to zero.
//
//   node --expose-gc test/support/soak-run.js [--jobs N] [--in-flight K] [--payload BYTES] [--out FILE]
// (SOAK_JOBS=N works too). test/reliability/soak.test.js runs it with a small N; the README's figure
// comes from a run with --jobs 1000000 --out test/.tmp/figures/soak.json.

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { fork } = require('child_process');
const gearmand = require('./gearmand');

const g = require(path.join(__dirname, '..', '..'));
const lifecycle = require(path.join(__dirname, '..', '..', 'lib', 'internal', 'lifecycle'));

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 ? process.argv[i + 1] : def;
}

const JOBS = Number(arg('jobs', process.env.SOAK_JOBS || 20000));
const IN_FLIGHT = Number(arg('in-flight', 100));
const PAYLOAD = Number(arg('payload', 100));
const OUT = arg('out', null);
const WARMUP = Math.min(Math.max(5000, Math.floor(JOBS / 10)), Math.floor(JOBS / 2));
const MB = 1024 * 1024;

const warnings = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));

function memory() {
  if (typeof global.gc === 'function') global.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

function mapSizes(client) {
  const count = (e) => e.eventNames().reduce((k, n) => k + e.listenerCount(n), 0);
  return {
    clientJobs: Object.keys(client.jobs).length,
    jobsWaiting4Created: client.jobServers.reduce((n, js) => n + js.jobsWaiting4Created.length, 0),
    jobServerListeners: client.jobServers.reduce((n, js) => n + count(js), 0),
    connectQueue: client.jobServers.reduce((n, js) => n + lifecycle.queuedSends(js), 0),
    clientListeners: count(client),
    socketListeners: client.jobServers.reduce((n, js) => n + (js.socket ? count(js.socket) : 0), 0),
  };
}

function startWorker(server, fn) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'soak-worker.js'), [server.host, String(server.port), fn],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => (m && m.ready ? resolve(child) : reject(new Error('worker not ready'))));
    child.once('error', reject);
  });
}

function stopWorker(child) {
  return new Promise((resolve) => {
    let report = null;
    child.on('message', (m) => { if (m && m.jobs !== undefined) report = m; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(Object.assign({ exitCode: code, signal }, report));
    });
    child.send({ stop: true });
  });
}

async function main() {
  const server = await gearmand.start();
  const fn = 'soak-' + crypto.randomUUID();
  const workers = [await startWorker(server, fn), await startWorker(server, fn)];
  const client = g.client({ host: server.host, port: server.port });
  const clientErrors = [];
  client.on('error', (e) => clientErrors.push(e.message));
  const payload = crypto.randomBytes(PAYLOAD);

  let submitted = 0;
  let completed = 0;
  let failed = 0;
  let wrong = 0;
  const samples = [];
  let warm = null;
  let warmMaps = null;
  let started = null;
  let warmAt = null;

  await new Promise((resolve) => {
    const submit = () => {
      submitted++;
      const job = client.submitJob(fn, payload);
      if (job instanceof Error) throw job;
      const fail = () => { failed++; next(); };
      job.on('complete', () => {
        if (!payload.equals(job.response)) wrong++;
        completed++;
        next();
      });
      job.on('failed', fail);
      job.on('exception', fail);
      job.on('error', fail);
    };
    const next = () => {
      const ended = completed + failed;
      if (ended === WARMUP) {
        warm = memory();
        warmMaps = mapSizes(client);
        warmAt = Date.now();
      }
      if (ended % Math.max(1, Math.floor(JOBS / 10)) === 0) {
        const m = process.memoryUsage();
        samples.push({ jobs: ended, rssMB: +(m.rss / MB).toFixed(1), heapMB: +(m.heapUsed / MB).toFixed(1), s: +((Date.now() - started) / 1000).toFixed(1) });
      }
      if (ended === JOBS) {
        resolve();
        return;
      }
      if (submitted < JOBS) submit();
    };
    started = Date.now();
    for (let i = 0; i < IN_FLIGHT && submitted < JOBS; i++) submit();
  });
  const elapsed = (Date.now() - started) / 1000;
  const end = memory();

  const maps = mapSizes(client);
  client.close();
  const workerReports = [];
  for (const w of workers) workerReports.push(await stopWorker(w));
  await server.stop();

  const result = {
    jobs: JOBS,
    inFlight: IN_FLIGHT,
    payloadBytes: PAYLOAD,
    completed,
    failed,
    wrongResponses: wrong,
    seconds: +elapsed.toFixed(1),
    jobsPerSecond: Math.round(JOBS / elapsed),
    warmupJobs: WARMUP,
    gcExposed: typeof global.gc === 'function',
    client: {
      rssWarmMB: +(warm.rss / MB).toFixed(1),
      rssEndMB: +(end.rss / MB).toFixed(1),
      rssGrowthMB: +((end.rss - warm.rss) / MB).toFixed(1),
      heapWarmMB: +(warm.heapUsed / MB).toFixed(1),
      heapEndMB: +(end.heapUsed / MB).toFixed(1),
      heapGrowthMB: +((end.heapUsed - warm.heapUsed) / MB).toFixed(1),
      externalEndMB: +(end.external / MB).toFixed(1),
      secondsAfterWarmup: +((Date.now() - warmAt) / 1000).toFixed(1),
    },
    samples,
    // At the end (nothing in flight) and after warm-up (IN_FLIGHT jobs in flight): listener counts
    // must not grow with the number of jobs.
    maps,
    mapsAtWarmup: warmMaps,
    workers: workerReports.map((r) => ({
      jobs: r.jobs,
      rssWarmMB: r.rssWarm === null || r.rssWarm === undefined ? null : +(r.rssWarm / MB).toFixed(1),
      rssEndMB: r.rssEnd === undefined ? null : +(r.rssEnd / MB).toFixed(1),
      warnings: r.warnings,
      exitCode: r.exitCode,
      signal: r.signal,
    })),
    warnings,
    clientErrors,
    node: process.version,
    date: new Date().toISOString(),
  };
  const text = JSON.stringify(result, null, 2) + '\n';
  if (OUT) {
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, text);
  }
  process.stdout.write(text);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exitCode = 1;
  gearmand.stopAll().catch(() => {});
});
