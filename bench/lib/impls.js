'use strict';
/**
 * Loads one JavaScript implementation of the gearmanode API inside a bench process:
 *   ours          this package (the repo root)
 *   ours-c4       the same; its worker runs with the option `concurrency: 4` (bench/lib/worker.js)
 *   ours-unplaced the same with GEARMANODE_IO_AFFINITY=off: the core's I/O thread stays where the
 *                 scheduler puts it instead of following the JS thread (docs/ARCHITECTURE.md#placement)
 *   orig          gearmanode 0.9.2 (devDependency `gearmanode-original`), winston quieted
 *   orig-nodelay  the same, with TCP_NODELAY set on every socket it creates (Nagle patched out)
 * BENCH_OURS_ROOT=DIR makes the `ours*` implementations load the package in DIR instead (another checkout
 * with its built addon, e.g. the commit before a change: before/after in the same conditions).
 * Returns { gm, info } where `gm` has the original's surface (client(), worker()) and `info` tells
 * what was done to it (e.g. how many sockets got setNoDelay).
 */
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const ORIGINAL = 'gearmanode-original';
const LOGGER_NAMES = ['Client', 'Worker', 'JobServer', 'Job', 'LBStrategy', 'protocol'];

function load(impl) {
  const info = { impl };
  if (impl.startsWith('ours')) {
    // Read by the core when it loads (src/binding/affinity.rs).
    if (impl === 'ours-unplaced') process.env.GEARMANODE_IO_AFFINITY = 'off';
    const root = process.env.BENCH_OURS_ROOT ? path.resolve(process.env.BENCH_OURS_ROOT) : ROOT;
    if (root !== ROOT) info.root = root;
    return { gm: require(root), info };
  }
  if (impl !== 'orig' && impl !== 'orig-nodelay') throw new Error(`unknown implementation ${impl}`);
  if (impl === 'orig-nodelay') {
    // Before the original is loaded: every net.Socket that connects gets setNoDelay(true). Node keeps
    // the flag when the handle does not exist yet and applies it once connected.
    const net = require('net');
    const connect = net.Socket.prototype.connect;
    info.noDelaySockets = 0;
    net.Socket.prototype.connect = function patchedConnect(...args) {
      const r = connect.apply(this, args);
      this.setNoDelay(true);
      info.noDelaySockets++;
      return r;
    };
  }
  // winston 2 on current Node prints "circular dependency" warnings; they are not ours to show.
  const emitWarning = process.emitWarning;
  process.emitWarning = function (w, ...rest) {
    if (/inside circular dependency/.test(String(w && w.message ? w.message : w))) return undefined;
    return emitWarning.call(this, w, ...rest);
  };
  // The original logs its banner at 'info' level while loading; the bench's stdout is its result
  // channel, so nothing it prints while loading goes there.
  const write = process.stdout.write;
  process.stdout.write = () => true;
  let gm;
  try {
    gm = require(ORIGINAL);
  } finally {
    process.stdout.write = write;
    process.emitWarning = emitWarning;
  }
  const winstonId = require.resolve('winston', { paths: [path.dirname(require.resolve(ORIGINAL + '/package.json'))] });
  const winston = require(winstonId);
  for (const name of LOGGER_NAMES) {
    const logger = winston.loggers.get(name);
    if (logger.transports && logger.transports.console) logger.transports.console.level = 'error';
  }
  info.quieted = LOGGER_NAMES.length;
  return { gm, info };
}

module.exports = { load, ROOT };
