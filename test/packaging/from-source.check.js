'use strict';
// A tarball without a usable core (the release tarball without prebuilds/, as for a platform with no
// prebuilt core): without Rust the install fails with one clear message; `npm rebuild gearmanode`
// runs the same check; with Rust (this machine's cargo) the install script builds the core from
// source with `cargo build --release --locked` and the library works.
require('should');
const fs = require('fs');
const path = require('path');
const gearmand = require('../support/gearmand');
const pkg = require('./support/pkg');

const CORE = 'gearman-native.linux-x64-gnu.node';

/** The words the install failure must carry, for a package without any prebuilt core. */
function expectInstallMessage(output) {
  for (const words of [
    'gearmanode: cannot install its native core on this machine.',
    `platform linux-x64-gnu, glibc ${process.report.getReport().header.glibcVersionRuntime}, Node ${process.version}`,
    'no prebuilt core for linux-x64-gnu in this package (it has: none)',
    'No Rust toolchain (cargo) found to build it from source.',
    `install Rust ${pkg.RUST_VERSION} or newer (from rustup`,
    'and a C compiler',
    'then run:  npm rebuild gearmanode',
  ]) output.should.containEql(words);
}

describe('packaging: a tarball without a usable core', function () {
  this.timeout(600000);
  let server;
  let tarball;

  before(async function () {
    server = await gearmand.start();
    tarball = pkg.variant('source-only', (d) => fs.rmSync(path.join(d, 'prebuilds'), { recursive: true }));
  });

  after(() => server && server.stop());

  describe('without Rust', function () {
    it('npm install fails with one message: what was seen, why, what to install', function () {
      const app = pkg.project('no-rust');
      const r = pkg.npm(['install', tarball], app, pkg.envWithoutRust());
      r.status.should.not.equal(0);
      console.log(r.stderr.split('\n').filter((l) => !l.startsWith('npm ')).join('\n').trim().replace(/^/gm, '      | '));
      expectInstallMessage(r.output);
    });

    it('installed with --ignore-scripts, the library says what failed and what to do; npm rebuild runs the install check', function () {
      const app = pkg.project('no-rust-ignore-scripts');
      const env = pkg.envWithoutRust();
      pkg.npm(['install', '--ignore-scripts', tarball], app, env).status.should.equal(0);
      let err;
      try {
        pkg.runJob([process.execPath], app, server.server, env);
      } catch (e) {
        err = e;
      }
      err.message.should.containEql(`gearmanode: no native core loads on this machine (linux-x64-gnu, glibc `);
      err.message.should.containEql(`${CORE} (built on this machine): not found`);
      err.message.should.containEql('no prebuilt core for linux-x64-gnu in this package');
      err.message.should.containEql('then run `npm rebuild gearmanode`');
      const rebuild = pkg.npm(['rebuild', 'gearmanode'], app, env);
      rebuild.status.should.not.equal(0);
      expectInstallMessage(rebuild.output);
    });
  });

  describe('with Rust', function () {
    let app;
    let install;

    before(function () {
      app = pkg.project('from-source');
      const started = Date.now();
      install = pkg.npm(['install', tarball], app, pkg.envWithRust());
      console.log(`      npm install with the build from source: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

    it('npm install builds the core from source with cargo and puts it in place', function () {
      install.status.should.equal(0, install.output);
      install.output.should.containEql('building it from source with');
      install.output.should.containEql(`gearmanode: built ${CORE}`);
      const installed = path.join(app, 'node_modules', 'gearmanode');
      fs.existsSync(path.join(installed, CORE)).should.be.true();
      fs.existsSync(path.join(installed, 'target')).should.be.false('cargo\'s target/ is removed after the build');
    });

    it('a client and a worker run a real job on the core built from source (without Rust on PATH now)', function () {
      const out = pkg.runJob([process.execPath], app, server.server, pkg.envWithoutRust());
      out.result.should.equal('46x morf olleh');
      out.core.should.equal(path.join(app, 'node_modules', 'gearmanode', CORE));
    });
  });
});
