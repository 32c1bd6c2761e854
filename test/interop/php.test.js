'use strict';
// Interoperability with PHP's gearman extension (package php-gearman: pecl gearman 2.1 on
// libgearman 1.1.20), both directions, through a gearmand of our own:
//   our Client → GearmanWorker (peers/php/worker.php, one long-running process for many jobs)
//   GearmanClient (peers/php/client.php, driven line by line, runTasks for batches) → our Worker
// The scenarios are in support/library-suites.js.
//
// What PHP cannot carry, and why (the rest runs in both directions):
// - An EMPTY workload from GearmanClient to our worker: libgearman refuses to submit it
//   (doNormal/doBackground/addTask* fail with GEARMAN_INVALID_ARGUMENT "invalid workload",
//   libgearman/add.cc:194, before anything is sent: the extension always passes a pointer with
//   size 0). An empty payload from our client to GearmanWorker and an empty result back from it
//   are tested; an empty workload to our worker is tested with the Perl and CLI clients.

const { defineLibrarySuites } = require('./support/library-suites');
const { peerScript } = require('./support/interop');

defineLibrarySuites({
  peer: 'php',
  title: 'PHP gearman extension (libgearman)',
  // memory_limit: 16 MiB workloads as hex lines, whatever php.ini says.
  workerArgs: (server, roles) => ['php', ['-d', 'memory_limit=-1', peerScript('php', 'worker.php'), server.host, String(server.port), ...roles]],
  clientArgs: (server) => ['php', ['-d', 'memory_limit=-1', peerScript('php', 'client.php'), server.host, String(server.port)]],
  worker: { uniq: true, emptyResult: true },
  client: {
    emptyPayload: false,
    // libgearman calls the exception callback with the data (warnings before it, in order).
    exceptionEvents: (warning, data) => [['created'], ['warning', warning], ['exception', data]],
  },
});
