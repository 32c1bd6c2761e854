'use strict';
// The release tarball (`npm run pack:dist`): what it carries, what its prebuilt cores need, and that
// a plain `npm pack` refuses to ship missing or stale prebuilt cores instead of a host build.
require('should');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const prebuilds = require('../../scripts/prebuilds');
const pkg = require('./support/pkg');

describe('packaging: the release tarball', function () {
  this.timeout(120000);
  let files;
  let unpacked;

  before(function () {
    files = pkg.listTarball(pkg.distTarball());
    unpacked = pkg.extract(pkg.distTarball(), 'tarball');
  });

  it('carries a prebuilt core for linux-x64-gnu and linux-arm64-gnu, and no other .node file', function () {
    files.filter((f) => f.endsWith('.node')).sort().should.eql([
      'prebuilds/linux-arm64-gnu/gearman-native.node',
      'prebuilds/linux-x64-gnu/gearman-native.node',
    ]);
  });

  it('carries what a build from source needs and the install script, not the development files', function () {
    for (const f of ['package.json', 'scripts/install.js', 'lib/internal/native.js', 'Cargo.toml', 'Cargo.lock', 'build.rs', 'src/lib.rs']) {
      files.should.containEql(f);
    }
    files.filter((f) => /^(build|target|test|node_modules|bench|fuzz|\.ci)\//.test(f)).should.eql([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'package.json'), 'utf8'));
    manifest.scripts.install.should.equal('node scripts/install.js');
    manifest.engines.node.should.equal(require('../../package.json').engines.node);
  });

  for (const t of prebuilds.targets()) {
    it(`the ${t.tag} core needs glibc ${prebuilds.GLIBC_MAX} at most (objdump -T) and is built for ${t.arch}`, function () {
      const core = prebuilds.coreFile(unpacked, t.tag);
      const seen = prebuilds.inspectCore(core);
      console.log(`      ${t.tag}: ${seen.arch}, newest GLIBC_ symbol version ${seen.glibc}, ${fs.statSync(core).size} bytes`);
      prebuilds.coreProblems(core, t).should.eql([]);
    });
  }

  it('its manifest lists these cores and the Rust sources of this checkout', function () {
    prebuilds.manifestProblems(unpacked).should.eql([]);
    const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'prebuilds', 'manifest.json'), 'utf8'));
    manifest.sources.should.equal(prebuilds.sourcesHash(pkg.ROOT));
  });

  describe('plain `npm pack` (its prepack check)', function () {
    /** A copy of the package with the repository's scripts/ (prepack and prepare run from there). */
    function packageCopy(name, edit) {
      const dir = pkg.extract(pkg.distTarball(), name);
      fs.cpSync(path.join(pkg.ROOT, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
      edit(dir);
      return dir;
    }
    const npmPack = (dir, env = {}) => spawnSync('npm', ['pack', '--json', '--cache', require('./support/fixtures').NPM_CACHE], {
      cwd: dir, encoding: 'utf8', env: Object.assign({}, process.env, env),
    });

    it('fails without prebuilt cores, pointing to `npm run pack:dist`', function () {
      const dir = packageCopy('pack-none', (d) => fs.rmSync(path.join(d, 'prebuilds'), { recursive: true }));
      const r = npmPack(dir);
      r.status.should.not.equal(0);
      r.stderr.should.containEql('would not carry up-to-date prebuilt cores');
      r.stderr.should.containEql('no prebuilds/manifest.json');
      r.stderr.should.containEql('npm run pack:dist');
    });

    it('fails when the Rust sources changed since the cores were built', function () {
      const dir = packageCopy('pack-stale', (d) => fs.appendFileSync(path.join(d, 'src', 'lib.rs'), '\n// changed\n'));
      const r = npmPack(dir);
      r.status.should.not.equal(0);
      r.stderr.should.containEql('built from other Rust sources than these');
    });

    it('fails when a core is not the file its manifest lists', function () {
      const dir = packageCopy('pack-swapped', (d) => fs.copyFileSync(
        prebuilds.coreFile(d, 'linux-arm64-gnu'), prebuilds.coreFile(d, 'linux-x64-gnu')));
      const r = npmPack(dir);
      r.status.should.not.equal(0);
      r.stderr.should.containEql('prebuilds/linux-x64-gnu/gearman-native.node is not the file the manifest lists');
    });

    it('with GEARMANODE_PACK_SOURCE_ONLY=1 packs no core at all, not even a host build lying at the root', function () {
      const hostCore = path.join(pkg.ROOT, 'gearman-native.linux-x64-gnu.node');
      fs.existsSync(hostCore).should.be.true('the host build of `npm ci` is missing');
      const dir = packageCopy('pack-source', (d) => {
        fs.rmSync(path.join(d, 'prebuilds'), { recursive: true });
        fs.copyFileSync(hostCore, path.join(d, path.basename(hostCore)));
      });
      const r = npmPack(dir, { GEARMANODE_PACK_SOURCE_ONLY: '1' });
      r.status.should.equal(0, r.stderr);
      const [info] = JSON.parse(r.stdout);
      info.files.map((f) => f.path).filter((f) => f.endsWith('.node')).should.eql([]);
      info.files.map((f) => f.path).should.containEql('scripts/install.js');
    });

    it('with GEARMANODE_PACK_SOURCE_ONLY=1 and prebuilds/ present, fails (no half-source tarball)', function () {
      const dir = packageCopy('pack-source-mixed', () => {});
      const r = npmPack(dir, { GEARMANODE_PACK_SOURCE_ONLY: '1' });
      r.status.should.not.equal(0);
      r.stderr.should.containEql('remove it for a source-only tarball');
    });
  });
});
