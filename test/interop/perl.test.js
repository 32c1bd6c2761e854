'use strict';
// Interoperability with Perl's Gearman::Client and Gearman::Worker (package
// libgearman-client-perl 2.004.015), both directions, through a gearmand of our own:
//   our Client → Gearman::Worker (peers/perl/worker.pl, one long-running process for many jobs)
//   Gearman::Client (peers/perl/client.pl, driven line by line; a Gearman::Taskset for batches) → our Worker
// The scenarios are in support/library-suites.js.
//
// What Perl cannot carry, and why (the rest runs in both directions):
// - An EMPTY RESULT from Gearman::Worker: for an empty (or "0") result it sends WORK_COMPLETE with
//   the handle only, without the NUL separator (Gearman::Worker::_job_request:
//   `$v ? _join0($job->handle, $v) : $job->handle`). gearmand 1.1.20 does not take that packet as
//   the end of the job (no answer, the job stays assigned); the worker's next GRAB_JOB times out
//   after 0.5 s, it reconnects, and gearmand hands it the same job again, forever. So the empty
//   payload goes to the worker's `digest` function (it answers length and sha256 of what it got),
//   and the empty round trip is tested with the PHP and CLI workers.
// - The UNIQUE ID at Gearman::Worker: it grabs jobs with GRAB_JOB (never GRAB_JOB_UNIQ), and
//   Gearman::Job has no unique accessor. The unique our client sets is checked with the PHP worker;
//   the Perl client's unique reaching our worker is tested here.

const { defineLibrarySuites } = require('./support/library-suites');
const { peerScript } = require('./support/interop');

defineLibrarySuites({
  peer: 'perl',
  title: 'Perl Gearman::Client / Gearman::Worker',
  workerArgs: (server, roles) => ['perl', [peerScript('perl', 'worker.pl'), server.host, String(server.port), ...roles]],
  clientArgs: (server) => ['perl', [peerScript('perl', 'client.pl'), server.host, String(server.port)]],
  worker: { uniq: false, emptyResult: false },
  client: {
    emptyPayload: true,
    // Gearman::Taskset hands the exception's data to on_exception (warnings before it, in order).
    exceptionEvents: (warning, data) => [['created'], ['warning', warning], ['exception', data]],
  },
});
