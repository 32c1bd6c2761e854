'use strict';
// Mocha root hooks (loaded with `--require test/support/hooks.js`, see .mocharc.js).
//
// Global setup: the default-config tests need a gearmand on port 4730 reachable at 'localhost' (the
// library's default host) and nothing on 4731 (tests expect connections there to be refused).
//  - 4731 taken                          -> fail with a clear message
//  - 4730 free                           -> start a fresh gearmand there (stopped in the teardown)
//  - 4730 served by a foreign gearmand   -> use it, say so in one line, never stop it
//  - 4730 taken by something else        -> fail with a clear message
// Global teardown: stop every gearmand this process started.
//
// Suites:  const { defaultServer } = require('./support/hooks');
//          new Client({ servers: [defaultServer.server] })      // {host: 'localhost', port: 4730}
// Suites that need more servers start their own on 4740 and up:
//          const gearmand = require('./support/gearmand');
//          const s = await gearmand.start({ port: await gearmand.freePort(4740) });

// The addon's test hooks (`emitTestLog`, the NativeSocket option `panicForTest`) work only when
// GEARMANODE_TEST_HOOKS=1 is set when the addon loads; mocha loads it once, after this file, and the
// children the suites spawn inherit the variable. test/seam.test.js checks the refusal without it.
process.env.GEARMANODE_TEST_HOOKS = '1';

const fs = require('fs');
const gearmand = require('./gearmand');
const ports = require('./ports');

const DEFAULT_PORT = 4730;
const REFUSED_PORT = 4731;

/**
 * The default server, filled in by the global setup: host/port the library uses by default,
 * `started` (true when the harness started it), `instance` (a GearmandInstance when started, null
 * when a foreign gearmand is used), `version` ('OK 1.1.20+ds').
 */
const defaultServer = {
  host: 'localhost',
  port: DEFAULT_PORT,
  refusedPort: REFUSED_PORT,
  started: false,
  instance: null,
  version: null,
  get server() {
    return { host: this.host, port: this.port };
  },
};

let ensuring = null;

/** Makes sure the default server is up (idempotent); the global setup calls it. */
function ensureDefaultServer() {
  if (!ensuring) {
    ensuring = setupDefaultServer().catch((err) => {
      ensuring = null;
      throw err;
    });
  }
  return ensuring;
}

async function setupDefaultServer() {
  const localhost = await ports.localhostAddresses();

  // 4731 must refuse connections on every address 'localhost' may resolve to.
  for (const host of localhost.all) {
    const state = await ports.probe(REFUSED_PORT, host);
    if (state !== 'refused') {
      throw new Error(
        `test harness: port ${REFUSED_PORT} must be free (the tests expect connections to ${host}:${REFUSED_PORT} ` +
          `to be refused), but the probe says "${state}". Stop whatever listens there ` +
          `(\`ss -ltnp 'sport = :${REFUSED_PORT}'\` shows it).`,
      );
    }
  }

  const state = await ports.probe(DEFAULT_PORT, '127.0.0.1');
  if (state === 'refused' && (await allFree(DEFAULT_PORT, localhost.bindable))) {
    const instance = await gearmand.start({ port: DEFAULT_PORT, host: localhost.listen });
    Object.assign(defaultServer, { started: true, instance, version: await instance.admin('version') });
    return defaultServer;
  }

  let version;
  try {
    version = await gearmand.adminCommand(DEFAULT_PORT, 'version', { host: '127.0.0.1', timeout: 2000 });
  } catch (err) {
    throw new Error(
      `test harness: port ${DEFAULT_PORT} is taken by something that is not a gearmand (admin "version" ` +
        `on 127.0.0.1:${DEFAULT_PORT}: ${err.message}). The tests need a gearmand there; free the port ` +
        `(\`ss -ltnp 'sport = :${DEFAULT_PORT}'\` shows who holds it).`,
    );
  }
  let pid = '?';
  try {
    pid = (await gearmand.adminCommand(DEFAULT_PORT, 'getpid', { host: '127.0.0.1', timeout: 2000 })).replace(/^OK /, '');
  } catch {
    // older gearmand without getpid
  }
  const notes = [];
  for (const host of localhost.bindable) {
    if (host !== '127.0.0.1' && (await ports.probe(DEFAULT_PORT, host)) !== 'open') {
      notes.push(`it does not listen on ${host}, which 'localhost' also resolves to`);
    }
  }
  const leftover = leftoverNote(pid);
  if (leftover) notes.push(leftover);
  console.log(
    `[harness] using the gearmand already running on port ${DEFAULT_PORT} (pid ${pid}, ${version}); ` +
      `the harness did not start it and will not stop it${notes.length ? `; note: ${notes.join('; ')}` : ''}`,
  );
  Object.assign(defaultServer, { started: false, instance: null, version });
  return defaultServer;
}

async function allFree(port, hosts) {
  for (const host of hosts) if (!(await ports.isPortFree(port, host))) return false;
  return true;
}

/** A gearmand left over by an earlier, killed harness run lives in test/.tmp; say how to remove it. */
function leftoverNote(pid) {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes(gearmand.TMP_ROOT)) {
      return (
        `it was started by a test harness (its files are in test/.tmp): another test run is using it, ` +
        `or a killed run left it behind (then \`kill ${pid}\` removes it)`
      );
    }
  } catch {
    // not visible to us
  }
  return null;
}

async function mochaGlobalSetup() {
  await ensureDefaultServer();
}

async function mochaGlobalTeardown() {
  await gearmand.stopAll();
  ensuring = null;
  Object.assign(defaultServer, { started: false, instance: null });
}

module.exports = {
  mochaGlobalSetup,
  mochaGlobalTeardown,
  defaultServer,
  ensureDefaultServer,
  DEFAULT_PORT,
  REFUSED_PORT,
};
