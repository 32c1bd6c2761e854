'use strict';
/**
 * gearmanode: Node.js client and worker for the Gearman job server, with a Rust core.
 * A drop-in successor of gearmanode 0.9.2 (same module, objects, fields and events).
 */
const Client = require('./gearmanode/client').Client;
const Worker = require('./gearmanode/worker').Worker;
const Job = require('./gearmanode/job').Job;
const version = require('./gearmanode/version');
const loggers = require('./logger');
const errors = require('./errors');
const admin = require('./admin');
const native = require('./internal/native');

loggers.get('Client').log('info', 'GearmaNode %s, running on Node.js %s [%s %s], with pid %d',
  version.VERSION, process.version, process.platform, process.arch, process.pid);

/** @returns {Client|Error} a new client (see Client for the options) */
function client(options) {
  return new Client(options);
}

/** @returns {Worker|Error} a new worker (see Worker for the options) */
function worker(options) {
  return new Worker(options);
}

module.exports = { client, worker, Client, Worker, Job };

// Beyond gearmanode 0.9.2; not enumerable, so the module's keys stay the original five.
const extras = {
  VERSION: version.VERSION,
  errors,
  admin: admin.admin,
  Admin: admin.Admin,
  setLogger: loggers.setLogger,
  setLogLevel: loggers.setLevel,
  getLogLevel: loggers.getLevel,
  // Where the core's I/O thread runs (docs/ARCHITECTURE.md#placement).
  ioThreadPlacement: native.ioThreadPlacement,
};
for (const k of Object.keys(extras)) {
  Object.defineProperty(module.exports, k, { value: extras[k], enumerable: false });
}
