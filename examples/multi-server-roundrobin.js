'use strict';
// Several job servers with the RoundRobin load balancer, and what happens when one goes down.
//
// The example uses the job server on localhost:4730 and starts two more gearmand processes on free
// ports (with the test harness' helper, so it runs from a clone of the repository). One worker
// registers its function on all three servers; one client spreads its jobs over them in turn.
//   1. six jobs go to the three servers in turn;
//   2. one extra server is stopped: the client notices, marks it bad, and the jobs go to the two
//      others (failover);
//   3. that server is started again: the worker reconnects and registers again by itself, and once
//      the client's recoverTime has passed the client uses the server again.
// Every server this example started is stopped at the end.
//
//   node examples/multi-server-roundrobin.js
//
// Environment: GEARMAN_HOST / GEARMAN_PORT (the first server, default localhost:4730),
// GEARMANODE_EXAMPLE_SUFFIX (appended to the function name, so that concurrent runs do not serve
// each other's jobs), GEARMAND=/path/to/gearmand (if it is not on PATH).

const gearmanode = require('..');
const gearmand = require('../test/support/gearmand');

const host = process.env.GEARMAN_HOST || 'localhost';
const port = Number(process.env.GEARMAN_PORT || 4730);
const fn = 'where' + (process.env.GEARMANODE_EXAMPLE_SUFFIX || '');
const CLIENT_RECOVER_MS = 2000; // how long the client avoids a server after a failure
const WORKER_RECOVER_MS = 200; // how long the worker waits before reconnecting to a lost server

/** Resolves with the arguments of the first `event` for which `test(...args)` is true. */
function waitFor(emitter, event, test = () => true) {
  return new Promise((resolve) => {
    const listener = (...args) => {
      if (!test(...args)) return;
      emitter.removeListener(event, listener);
      resolve(args);
    };
    emitter.on(event, listener);
  });
}

/** Submits `count` jobs at once; prints which server took each; resolves with the servers used. */
function round(client, label, count) {
  const jobs = [];
  for (let i = 1; i <= count; i++) {
    const payload = `${label} #${i}`;
    jobs.push(new Promise((resolve, reject) => {
      const job = client.submitJob(fn, payload, { toStringEncoding: 'utf8' });
      job.on('complete', () => resolve(job));
      job.on('failed', () => reject(new Error(`job '${payload}' failed`)));
      job.on('error', reject);
    }));
  }
  return Promise.all(jobs).then((done) => {
    for (const job of done) console.log(`  '${job.payload}' -> submitted to ${job.jobServerUid}, answer: ${job.response}`);
    return done.map((job) => job.jobServerUid);
  });
}

async function main() {
  console.log('Starting two more gearmand processes...');
  const extra = [await gearmand.start(), await gearmand.start()];
  let client;
  let worker;
  try {
    const servers = [{ host, port }, ...extra.map((s) => s.server)];
    const uids = servers.map((s) => `${s.host}:${s.port}`);
    console.log(`Servers: ${uids.join(', ')}`);

    worker = gearmanode.worker({ servers, recoverTime: WORKER_RECOVER_MS, recoverLimit: 50 });
    worker.addFunction(fn, (job) => job.workComplete(`done by the worker connected to ${job.jobServerUid}`));

    client = gearmanode.client({ servers, loadBalancing: 'RoundRobin', recoverTime: CLIENT_RECOVER_MS });
    client.on('error', (err) => console.log(`  [client] error: ${err.message}`));

    console.log('\n1. Six jobs, RoundRobin over three servers:');
    await round(client, 'first', 6);

    const down = extra[0];
    const downUid = `${down.host}:${down.port}`;
    console.log(`\n2. Stopping the gearmand on ${downUid}...`);
    const clientLost = waitFor(client, 'socketDisconnect', (uid) => uid === downUid);
    const workerLost = waitFor(worker, 'socketDisconnect', (uid) => uid === downUid);
    const stopped = down.stop({ reap: false });
    await Promise.all([clientLost, workerLost]);
    const lostAt = Date.now();
    console.log(`  [client] lost ${downUid}: it is marked bad and skipped for ${CLIENT_RECOVER_MS} ms (recoverTime)`);
    console.log(`  [worker] lost ${downUid}: it tries to reconnect every ${WORKER_RECOVER_MS} ms (recoverTime)`);
    const used = await round(client, 'failover', 4);
    console.log(`  ${downUid} was ${used.includes(downUid) ? 'USED (unexpected)' : 'skipped'}; the jobs went to the two other servers.`);
    await stopped;

    console.log(`\n3. Starting the gearmand on ${downUid} again...`);
    const workerBack = waitFor(worker, 'socketConnect', (uid) => uid === downUid);
    await down.restart({ reap: false });
    await workerBack;
    console.log(`  [worker] reconnected to ${downUid} by itself and registered '${fn}' again`);
    const wait = lostAt + CLIENT_RECOVER_MS + 50 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    console.log(`  The client's recoverTime has passed: ${downUid} gets jobs again (the balancer clears an`);
    console.log('  expired mark when its turn comes, and sends to the server from its next turn on).');
    const again = await round(client, 'recovered', 6);
    console.log(`  ${downUid} is ${again.includes(downUid) ? 'used again' : 'NOT used (unexpected)'}.`);
  } finally {
    if (client && !(client instanceof Error)) client.close();
    if (worker && !(worker instanceof Error)) worker.close();
    for (const s of extra) await s.stop({ reap: false });
    console.log('\nClosed the client and the worker; stopped the two extra gearmand processes.');
  }
}

const watchdog = setTimeout(() => {
  console.error('Not finished within 30 s; giving up.');
  process.exit(1); // the gearmand processes started here are killed on exit
}, 30000);

main().then(
  () => clearTimeout(watchdog),
  (err) => {
    console.error(`Failed: ${err.message}`);
    process.exit(1);
  },
);
