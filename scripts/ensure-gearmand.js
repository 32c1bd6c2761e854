#!/usr/bin/env node
'use strict';
// Makes sure a Gearman job server answers on localhost:PORT (default 4730), for `npm run demo`.
//
//   const { ensureGearmand } = require('./scripts/ensure-gearmand');
//   const gm = await ensureGearmand({ port: 4730 });
//   ... run the demo against localhost:4730 ...
//   await gm.stop();            // stops gearmand only if ensureGearmand started it
//
// - A gearmand already answering the admin `version` on localhost:PORT is used as it is and never
//   stopped.
// - Otherwise gearmand is started (daemonized; pid and log files in os.tmpdir()/gearmanode-demo/).
//   If this process dies without calling stop(), the test harness' safety net kills it anyway.
// - If gearmand is not installed: as root on Debian/Ubuntu it is installed with apt-get
//   (gearman-job-server); otherwise the error says exactly what to install.
//
// CLI:
//   node scripts/ensure-gearmand.js [--port N] -- CMD [ARGS...]
//        ensure gearmand, run CMD, stop gearmand afterwards if it was started here; exit with CMD's code
//   node scripts/ensure-gearmand.js [--port N]
//        ensure gearmand and leave it running (prints how to stop it)
//   node scripts/ensure-gearmand.js --stop [--port N]
//        stop a gearmand left running by the previous form (never one started otherwise)
//   Exit status 1 when gearmand is missing and cannot be installed, or the port holds something else.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const gearmand = require('../test/support/gearmand');
const ports = require('../test/support/ports');

const DEMO_DIR = path.join(os.tmpdir(), 'gearmanode-demo');
const PACKAGE = 'gearman-job-server';

/** The exact instructions for a user who cannot (or should not) be helped automatically. */
function installInstructions() {
  const lines = ['gearmand (the Gearman job server) is not installed: it is not on PATH nor at /usr/sbin/gearmand.'];
  if (process.platform === 'darwin') {
    lines.push('Install it with:  brew install gearman');
  } else if (fs.existsSync('/etc/debian_version')) {
    lines.push(`Install it with:  sudo apt-get install ${PACKAGE}`);
  } else {
    lines.push(`Install it with:  sudo apt-get install ${PACKAGE}   (Debian/Ubuntu)`);
    lines.push('             or:  brew install gearman                  (macOS)');
  }
  return lines.join('\n');
}

/** Whether we may install the package ourselves: root on Debian/Ubuntu with apt-get. */
function canAutoInstall() {
  return (
    process.platform === 'linux' &&
    typeof process.getuid === 'function' &&
    process.getuid() === 0 &&
    fs.existsSync('/etc/debian_version') &&
    spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0
  );
}

function hasPackageIndex() {
  try {
    return fs.readdirSync('/var/lib/apt/lists').some((f) => /_Packages(\.\w+)?$/.test(f));
  } catch {
    return false;
  }
}

/**
 * apt-get install -y gearman-job-server, non-interactive, with `apt-get update` first only when the
 * package index is missing, or when the install fails without it. While installing, a policy-rc.d
 * forbids starting services (unless one exists already), so the package does not leave a system
 * gearmand running on 4730 behind our back. `reinstall` is for testing this path.
 */
function installGearmand({ log = console.error, reinstall = false } = {}) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => {
    log(`$ apt-get ${args.join(' ')}`);
    return spawnSync('apt-get', args, { env, stdio: ['ignore', 'inherit', 'inherit'] }).status === 0;
  };
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    let updated = false;
    if (!hasPackageIndex()) {
      if (!apt(['update'])) throw new Error('apt-get update failed');
      updated = true;
    }
    const install = ['install', '-y', '--no-install-recommends', ...(reinstall ? ['--reinstall'] : []), PACKAGE];
    if (!apt(install)) {
      if (updated || !apt(['update']) || !apt(install)) throw new Error(`apt-get install ${PACKAGE} failed`);
    }
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
}

/**
 * Resolves {started: false, stop} when a gearmand already answers on localhost:port, or
 * {started: true, instance, stop} after starting one. Options: port (4730), log (function for
 * progress lines, default console.error), install (default true: install when missing and
 * allowed), persistent (default false; true: the server outlives this process, for the CLI).
 * Rejects with code 'EGEARMAND_MISSING' (message: what to install) or 'EADDRINUSE'.
 */
async function ensureGearmand({ port = 4730, log = console.error, install = true, persistent = false, findBinary } = {}) {
  const find = findBinary || gearmand.findGearmand;

  const state = await ports.probe(port, '127.0.0.1');
  const localhost = await ports.localhostAddresses();
  if (state !== 'refused' || !(await allFree(port, localhost.bindable))) {
    try {
      const version = await gearmand.adminCommand(port, 'version', { host: 'localhost', timeout: 2000 });
      log(`Using the gearmand already running on localhost:${port} (${version.replace(/^OK /, 'version ')}).`);
      return { started: false, port, host: 'localhost', stop: async () => {} };
    } catch (err) {
      const e = new Error(
        `Port ${port} is in use by something that does not answer as gearmand (${err.message}). ` +
          `Free the port or run gearmand on it.`,
      );
      e.code = 'EADDRINUSE';
      throw e;
    }
  }

  try {
    find();
  } catch (err) {
    if (err.code !== 'EGEARMAND_MISSING') throw err;
    if (!install || !canAutoInstall()) {
      const e = new Error(installInstructions());
      e.code = 'EGEARMAND_MISSING';
      throw e;
    }
    log(`gearmand is not installed; installing ${PACKAGE} with apt-get (running as root on Debian/Ubuntu).`);
    installGearmand({ log });
    find(); // throws if the install did not provide it
  }

  const dir = path.join(DEMO_DIR, `port-${port}`);
  fs.mkdirSync(dir, { recursive: true });
  const instance = await gearmand.start({ port, host: localhost.listen, dir, track: !persistent, verbose: 'WARNING' });
  log(`Started gearmand on localhost:${port} (pid ${instance.pid}, log ${instance.logFile}).`);
  return { started: true, port, host: 'localhost', instance, stop: () => instance.stop() };
}

async function allFree(port, hosts) {
  for (const host of hosts) if (!(await ports.isPortFree(port, host))) return false;
  return true;
}

/** Stops the gearmand the CLI left running on `port` (identified by its pid file in DEMO_DIR). */
async function stopLeftRunning(port, log = console.error) {
  const dir = path.join(DEMO_DIR, `port-${port}`);
  const instance = new gearmand.GearmandInstance({ port, host: null, args: [], dir, timeout: 10000, verbose: 'WARNING' });
  const pid = Number((fs.existsSync(instance.pidFile) && fs.readFileSync(instance.pidFile, 'utf8').trim()) || NaN);
  if (!Number.isInteger(pid)) {
    log(`No gearmand started by this script is running on port ${port} (no ${instance.pidFile}).`);
    return false;
  }
  instance.pid = pid;
  if (!instance.isRunning()) {
    log(`gearmand pid ${pid} from ${instance.pidFile} is not running any more.`);
    fs.rmSync(instance.pidFile, { force: true });
    return false;
  }
  await instance.stop();
  log(`Stopped gearmand pid ${pid} on port ${port}.`);
  return true;
}

async function main(argv) {
  let port = 4730;
  let stop = false;
  let command = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') {
      command = argv.slice(i + 1);
      break;
    } else if (argv[i] === '--port') port = Number(argv[++i]);
    else if (argv[i].startsWith('--port=')) port = Number(argv[i].slice(7));
    else if (argv[i] === '--stop') stop = true;
    else if (argv[i] === '-h' || argv[i] === '--help') {
      console.log('usage: ensure-gearmand.js [--port N] [-- CMD ARGS... | --stop]');
      return 0;
    } else {
      console.error(`ensure-gearmand: unknown argument ${argv[i]}`);
      return 2;
    }
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error('ensure-gearmand: --port wants a port number');
    return 2;
  }
  if (stop) {
    await stopLeftRunning(port);
    return 0;
  }
  let gm;
  try {
    gm = await ensureGearmand({ port, persistent: !command || command.length === 0 });
  } catch (err) {
    console.error(err.code === 'EGEARMAND_MISSING' || err.code === 'EADDRINUSE' ? err.message : err.stack);
    return 1;
  }
  if (!command || command.length === 0) {
    if (gm.started) console.error(`It keeps running; stop it with: node ${path.relative(process.cwd(), __filename)} --stop --port ${port}`);
    return 0;
  }
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise((resolve) => {
    child.once('error', (err) => {
      console.error(`ensure-gearmand: cannot run ${command[0]}: ${err.message}`);
      resolve(127);
    });
    child.once('exit', (c, sig) => resolve(c == null ? 128 + (os.constants.signals[sig] || 0) : c));
  });
  await gm.stop();
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err.stack || err);
      process.exit(1);
    },
  );
}

module.exports = { ensureGearmand, installGearmand, installInstructions, canAutoInstall, stopLeftRunning, DEMO_DIR };
