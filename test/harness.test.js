'use strict';
// The test harness itself: the default gearmand, the refused port, starting/stopping/restarting
// instances, and the guarantee that no gearmand outlives the process that started it.

const assert = require('assert');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const gearmand = require('./support/gearmand');
const { defaultServer, DEFAULT_PORT, REFUSED_PORT } = require('./support/hooks');

/** Resolves with the error code of a connection attempt, or 'connected'. */
function connectResult(port, host) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    sock.once('connect', () => {
      sock.destroy();
      resolve('connected');
    });
    sock.once('error', (err) => resolve(err.code));
  });
}

function assertPidGone(pid) {
  assert.throws(() => process.kill(pid, 0), (err) => err.code === 'ESRCH', `pid ${pid} still exists`);
}

describe('test harness', function () {
  this.timeout(30000);

  describe('default server', function () {
    it('answers the admin `version` on 127.0.0.1:4730', async function () {
      assert.strictEqual(defaultServer.port, 4730);
      assert.strictEqual(DEFAULT_PORT, 4730);
      const version = await gearmand.adminCommand(4730, 'version', { host: '127.0.0.1' });
      assert.match(version, /^OK \d+\.\d+/);
    });

    it("answers on every address 'localhost' resolves to (the library's default host)", async function () {
      const addrs = await gearmand.lookupAll('localhost');
      assert.ok(addrs.length > 0);
      for (const { address } of addrs) {
        // An address that cannot exist here (::1 without IPv6) is refused, never a wrong server.
        const result = await connectResult(4730, address);
        if (result === 'EADDRNOTAVAIL') continue;
        assert.match(await gearmand.adminCommand(4730, 'version', { host: address }), /^OK /, address);
      }
      assert.match(await gearmand.adminCommand(4730, 'version', { host: 'localhost' }), /^OK /);
    });

    it('is the instance the harness started, unless a foreign gearmand was already there', async function () {
      if (!defaultServer.started) {
        assert.strictEqual(defaultServer.instance, null);
        this.skip(); // a gearmand the harness did not start serves 4730 (the setup printed a line)
      }
      const pid = await defaultServer.instance.admin('getpid');
      assert.strictEqual(pid, `OK ${defaultServer.instance.pid}`);
      assert.ok(defaultServer.instance.isRunning());
    });

    it('port 4731 refuses connections', async function () {
      assert.strictEqual(REFUSED_PORT, 4731);
      assert.strictEqual(await connectResult(4731, '127.0.0.1'), 'ECONNREFUSED');
      assert.ok(['ECONNREFUSED', 'EADDRNOTAVAIL'].includes(await connectResult(4731, 'localhost')));
    });
  });

  describe('start / stop / restart', function () {
    let server;

    afterEach(async function () {
      if (server) await server.stop({ reap: false }); // the reaping itself is checked once, below
      server = null;
    });

    it('starts gearmand on a free port 47xx and answers admin commands', async function () {
      const port = await gearmand.freePort(4740);
      assert.ok(port >= 4740 && port < 4800, `port ${port}`);
      server = await gearmand.start({ port });
      assert.strictEqual(server.port, port);
      assert.strictEqual(server.host, '127.0.0.1');
      assert.deepStrictEqual(server.server, { host: '127.0.0.1', port });
      assert.ok(Number.isInteger(server.pid) && server.pid > 1);
      assert.strictEqual(fs.readFileSync(server.pidFile, 'utf8').trim(), String(server.pid));
      assert.ok(server.pidFile.startsWith(gearmand.TMP_ROOT + path.sep));
      assert.ok(fs.existsSync(server.logFile), 'log file exists');
      assert.ok(server.isRunning());
      assert.strictEqual(await gearmand.isPortFree(port), false);

      assert.match(await gearmand.adminCommand(port, 'version'), /^OK \d+\.\d+/);
      assert.strictEqual(await server.admin('getpid'), `OK ${server.pid}`);
      assert.strictEqual(await server.admin('status'), ''); // multi-line reply, empty list
      await assert.rejects(server.admin('no-such-command'), (err) => err.code === 'EGEARMAN_ADMIN');
    });

    it('stop() ends the process and frees the port', async function () {
      server = await gearmand.start({ port: await gearmand.freePort(4740) });
      const { pid, port } = server;
      await server.stop();
      server = null;
      assert.notStrictEqual(gearmand.pidState(pid), 'running');
      assertPidGone(pid);
      assert.strictEqual(await connectResult(port, '127.0.0.1'), 'ECONNREFUSED');
      assert.strictEqual(await gearmand.isPortFree(port), true);
      assert.ok(!gearmand.running().some((i) => i.pid === pid));
    });

    it('restart() brings it back on the same port with a new process', async function () {
      server = await gearmand.start({ port: await gearmand.freePort(4740), args: ['--round-robin'] });
      const { pid: oldPid, port } = server;
      const same = await server.restart();
      assert.strictEqual(same, server);
      assert.strictEqual(server.port, port);
      assert.notStrictEqual(server.pid, oldPid);
      assert.notStrictEqual(gearmand.pidState(oldPid), 'running');
      assert.strictEqual(await gearmand.adminCommand(port, 'getpid'), `OK ${server.pid}`);
      assert.ok(server.argv.includes('--round-robin'));
    });

    it('restart() after kill(SIGKILL) starts over despite the stale pid file', async function () {
      server = await gearmand.start({ port: await gearmand.freePort(4740) });
      const oldPid = server.pid;
      assert.strictEqual(server.kill('SIGKILL'), true);
      await gearmand.waitPort(server.port, { open: false });
      assert.ok(fs.existsSync(server.pidFile), 'SIGKILL leaves the pid file behind');
      await server.restart();
      assert.notStrictEqual(server.pid, oldPid);
      assert.strictEqual(await server.admin('getpid'), `OK ${server.pid}`);
    });

    it('stop() also ends a gearmand that a test suspended with SIGSTOP', async function () {
      server = await gearmand.start({ port: await gearmand.freePort(4740) });
      const { pid } = server;
      server.kill('SIGSTOP');
      await server.stop({ grace: 1000 });
      server = null;
      assert.notStrictEqual(gearmand.pidState(pid), 'running');
    });

    it('start() refuses a port that is in use, quickly and clearly', async function () {
      const port = await gearmand.freePort(4740);
      const blocker = net.createServer().listen(port, '127.0.0.1');
      await new Promise((resolve) => blocker.once('listening', resolve));
      try {
        const t0 = Date.now();
        await assert.rejects(gearmand.start({ port }), (err) => {
          assert.strictEqual(err.code, 'EADDRINUSE');
          assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}.*already used`));
          return true;
        });
        assert.ok(Date.now() - t0 < 2000, 'fails fast');
      } finally {
        blocker.close();
      }
    });

    it('start() without a port picks a free one >= 4740, avoiding one in use', async function () {
      const taken = await gearmand.freePort(4740);
      const blocker = net.createServer().listen(taken, '127.0.0.1');
      await new Promise((resolve) => blocker.once('listening', resolve));
      try {
        server = await gearmand.start();
        assert.ok(server.port >= 4740 && server.port !== taken);
        assert.match(await server.admin('version'), /^OK /);
      } finally {
        blocker.close();
      }
    });

    it('a gearmand that cannot start reports why (its stderr / log tail)', async function () {
      const port = await gearmand.freePort(4740);
      await assert.rejects(gearmand.start({ port, args: ['--queue-type', 'no-such-queue'] }), (err) => {
        assert.strictEqual(err.code, 'EGEARMAND_START');
        assert.match(err.message, /failed to start/);
        assert.match(err.message, /no-such-queue/);
        return true;
      });
      assert.strictEqual(await gearmand.isPortFree(port), true);
    });

    it('a missing binary gives an error that says what to install', function () {
      const saved = process.env.GEARMAND;
      process.env.GEARMAND = '/nonexistent/gearmand';
      try {
        assert.throws(() => gearmand.findGearmand(), (err) => {
          assert.strictEqual(err.code, 'EGEARMAND_MISSING');
          assert.match(err.message, /apt-get install gearman-job-server/);
          return true;
        });
      } finally {
        if (saved === undefined) delete process.env.GEARMAND;
        else process.env.GEARMAND = saved;
      }
    });

    it('freePort() never hands out the same port twice', async function () {
      const a = await gearmand.freePort(4740);
      const b = await gearmand.freePort(4740);
      assert.notStrictEqual(a, b);
      gearmand.releasePort(a);
      gearmand.releasePort(b);
    });
  });

  describe('nothing outlives the process that started it', function () {
    const child = path.join(__dirname, 'support', 'gearmand.js');

    /** Runs a node child that starts a gearmand, prints its pid, then does `then`. */
    async function orphanScenario(then, signal) {
      const port = await gearmand.freePort(4740);
      const code = `
        const g = require(${JSON.stringify(child)});
        g.start({ port: ${port} }).then((s) => {
          console.log('PID ' + s.pid);
          ${then}
        }, (e) => { console.error(e); process.exit(2); });`;
      const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      proc.stderr.on('data', (d) => {
        stderr += d;
      });
      const pid = await new Promise((resolve, reject) => {
        let out = '';
        proc.stdout.on('data', (d) => {
          out += d;
          const m = /PID (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        proc.once('exit', (c) => reject(new Error(`child exited with ${c} before starting gearmand: ${stderr}`)));
      });
      const exited = new Promise((resolve) => proc.once('exit', (c, s) => resolve(s || c)));
      if (signal) {
        assert.strictEqual(gearmand.pidState(pid), 'running');
        proc.kill(signal);
      }
      const how = await exited;
      // SIGKILL is delivered asynchronously: allow a moment, but not the 20 s a leak would last.
      const deadline = Date.now() + 3000;
      while (gearmand.pidState(pid) === 'running' && Date.now() < deadline) await gearmand.sleep(20);
      assert.notStrictEqual(gearmand.pidState(pid), 'running', `gearmand ${pid} survived its parent (${how})`);
      await gearmand.waitPort(port, { open: false, timeout: 2000 });
      gearmand.releasePort(port);
      return how;
    }

    it('process.exit() without stop()', async function () {
      assert.strictEqual(await orphanScenario('process.exit(0);'), 0);
    });

    it('an uncaught exception', async function () {
      assert.strictEqual(await orphanScenario("throw new Error('boom');"), 1);
    });

    it('SIGINT (Ctrl-C)', async function () {
      assert.strictEqual(await orphanScenario('setInterval(() => {}, 1000);', 'SIGINT'), 'SIGINT');
    });

    it('SIGTERM', async function () {
      assert.strictEqual(await orphanScenario('setInterval(() => {}, 1000);', 'SIGTERM'), 'SIGTERM');
    });
  });
});
