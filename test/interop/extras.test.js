'use strict';
// Interoperability of what gearmanode adds beyond gearmanode 0.9.2, with PHP's gearman extension
// (libgearman 1.1.20), through a gearmand of our own:
// - status by unique id: our getStatusUnique and GearmanClient::jobStatusByUniqueKey (both
//   GET_STATUS_UNIQUE) see each other's jobs (after jobStatusByUniqueKey, libgearman's runTasks
//   hangs on that client: it gets a client of its own);
// - reduce jobs: libgearman's worker asks with GRAB_JOB_ALL. Given a reduce job, it runs the
//   function as the *mapper*, submits the mapper's result as a job to the reducer function, and
//   completes the original job with what its aggregator makes of the reducers' results; PHP cannot
//   define an aggregator, so the client gets an empty result. PHP's client has no way to submit a
//   reduce job, nor does the `gearman` tool.

const assert = require('assert');
const ix = require('./support/interop');
const { closeAfterEach } = require('../support/close-after-each');

describe('interop: status by unique id and reduce jobs (PHP gearman extension)', function () {
  this.timeout(60000);
  let server;
  const echoFn = ix.fnName('php-x-echo');
  let peerWorker;
  let peerClient;
  let statusPeer = null;
  const keep = closeAfterEach();

  before(async function () {
    ix.requirePeer(this, 'php');
    server = await ix.startServer();
    peerWorker = new ix.PeerProcess('php', [ix.peerScript('php', 'worker.php'), server.host, String(server.port),
      `echo=${echoFn}`], { label: 'php worker' });
    peerClient = new ix.PeerProcess('php', [ix.peerScript('php', 'client.php'), server.host, String(server.port)],
      { label: 'php client' });
    await peerWorker.waitLine((l) => l.startsWith('started'));
    await peerClient.waitLine((l) => l.startsWith('started'));
    await ix.waitWorkers(server, echoFn);
  });

  after(async function () {
    await ix.killAll();
    if (server) await server.stop();
  });

  /**
   * jobStatusByUniqueKey in a PHP client of its own: {known, running, num, den}. Its own, because
   * after jobStatusByUniqueKey libgearman 1.1.20's runTasks never returns on that client.
   */
  async function phpStatusUnique(unique) {
    if (statusPeer === null) {
      statusPeer = new ix.PeerProcess('php', [ix.peerScript('php', 'client.php'), server.host, String(server.port)],
        { label: 'php client (status by unique id)' });
      await statusPeer.waitLine((l) => l.startsWith('started'));
    }
    const h = ix.hex(Buffer.from(unique, 'utf8'));
    const from = statusPeer.lines.length;
    statusPeer.send('ustatus', h);
    const { line } = await statusPeer.waitLine((l) => l.startsWith(`ustatus\t${h}\t`), { from });
    const f = line.split('\t');
    return { known: f[2] === '1', running: f[3] === '1', num: Number(f[4]), den: Number(f[5]) };
  }

  it('PHP jobStatusByUniqueKey knows our background job by its unique id, and does not know others', async function () {
    const client = keep(ix.ourClient(server));
    const fn = ix.fnName('php-x-st');
    const unique = 'ours-žluť-1';
    await ix.submit(client, fn, 'x', { background: true, unique });
    assert.deepStrictEqual(await phpStatusUnique(unique), { known: true, running: false, num: 0, den: 0 });
    assert.deepStrictEqual(await phpStatusUnique('nobody-has-this'), { known: false, running: false, num: 0, den: 0 });
  });

  it('our getStatusUnique knows a background job PHP submitted with a unique id', async function () {
    const fn = ix.fnName('php-x-st2');
    const unique = 'theirs-kůň-1';
    const ev = await ix.runPeerClient(peerClient, [{ id: 'j1', fn, mode: 'bg', unique, payload: Buffer.from('p') }]);
    assert.strictEqual(ev.j1[0].type, 'created');
    const st = await keep(ix.ourClient(server)).getStatusUnique(unique);
    assert.deepStrictEqual([st.unique, st.known, st.running, st.waiting], [unique, true, false, 0]);
  });

  it('our reduce job to a PHP worker: the mapper\'s result goes to our reducer, the client gets libgearman\'s empty aggregate', async function () {
    const reducerFn = ix.fnName('php-x-reducer');
    const worker = keep(ix.ourWorker(server));
    const reduced = new Promise((resolve) => {
      worker.addFunction(reducerFn, (job) => {
        resolve({ payload: String(job.payload), reducer: job.reducer });
        job.workComplete('reduced');
      });
    });
    const client = keep(ix.ourClient(server));
    const { job, events } = await ix.submit(client, echoFn, 'map me', { reducer: reducerFn, unique: 'red-1' });
    // The PHP worker got it as a job of its function (it logs the unique id)...
    const seen = await ix.waitJobsSeen(peerWorker, echoFn, 1);
    assert.strictEqual(seen[0].unique, 'red-1');
    // ...and libgearman sent the function's result on to the reducer function, ours.
    assert.deepStrictEqual(await reduced, { payload: 'map me', reducer: undefined });
    assert.deepStrictEqual(events.map((e) => e[0]), ['created', 'complete']);
    assert.strictEqual(job.response.length, 0);
  });
});
