'use strict';
// lib/internal/native.js, the one loader of the core: which file it picks, GEARMANODE_NATIVE_PATH,
// and what its error says when nothing loads. Each case in a fresh node process. (Linux: the file
// names and the glibc below are Linux's, as on every machine this suite runs on.)
require('should');
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..', '..');
// A directory of this run's own (made in `before`): runs on several Node lines at once share the
// checkout, and a core file rewritten while another process has it mapped would crash that process.
let TMP;
const TAG = `${process.platform}-${process.arch}-gnu`;
const BUILT_HERE = path.join(ROOT, `gearman-native.${TAG}.node`);
const RUST_VERSION = /^rust-version = "([^"]+)"/m.exec(fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8'))[1];

/** Requires the loader of package `root` in a child: {loaded} (the .node file) or {code, message}. */
function load(root = ROOT, env = {}, cwd = ROOT) {
  const code = `
    try {
      require(${JSON.stringify(path.join(root, 'lib', 'internal', 'native.js'))});
      console.log(JSON.stringify({ loaded: Object.keys(require.cache).find((k) => k.endsWith('.node')) }));
    } catch (err) {
      console.log(JSON.stringify({ code: err.code, message: err.message }));
    }`;
  const childEnv = Object.assign({}, process.env, env);
  if (!('GEARMANODE_NATIVE_PATH' in env)) delete childEnv.GEARMANODE_NATIVE_PATH;
  const r = spawnSync(process.execPath, ['-e', code], { cwd, env: childEnv, encoding: 'utf8' });
  assert.strictEqual(r.status, 0, `the child ended with ${r.signal || `exit status ${r.status}`}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A file in this run's directory with `content`. */
function tmpFile(name, content) {
  const file = path.join(TMP, name);
  fs.writeFileSync(file, content);
  return file;
}

describe('the native core loader (lib/internal/native.js)', function () {
  this.timeout(20000);

  before(function () {
    fs.mkdirSync(path.join(ROOT, 'test', '.tmp'), { recursive: true });
    TMP = fs.mkdtempSync(path.join(ROOT, 'test', '.tmp', 'loader-'));
    fs.existsSync(BUILT_HERE).should.be.true(`${BUILT_HERE} (npm install's build) is missing`);
  });
  after(() => fs.rmSync(TMP, { recursive: true, force: true }));

  it('in a checkout, loads the core built on this machine', function () {
    load().should.eql({ loaded: BUILT_HERE });
  });

  describe('GEARMANODE_NATIVE_PATH', function () {
    it('names the core to load instead (a copy elsewhere is loaded, not the package\'s own)', function () {
      const copy = tmpFile('copy.node', fs.readFileSync(BUILT_HERE));
      load(ROOT, { GEARMANODE_NATIVE_PATH: copy }).should.eql({ loaded: copy });
    });

    it('a relative path is taken from the working directory', function () {
      const copy = tmpFile('relative.node', fs.readFileSync(BUILT_HERE));
      load(ROOT, { GEARMANODE_NATIVE_PATH: 'relative.node' }, TMP).should.eql({ loaded: copy });
    });

    it('a missing file fails, naming the variable and the file; no fallback to the package\'s core', function () {
      const missing = path.join(TMP, 'nowhere.node');
      const r = load(ROOT, { GEARMANODE_NATIVE_PATH: missing });
      r.code.should.equal('GEARMANODE_NATIVE_MISSING');
      r.message.should.containEql(`${missing} (named by GEARMANODE_NATIVE_PATH): not found`);
      r.message.should.containEql(`Point GEARMANODE_NATIVE_PATH at a gearmanode core built for ${TAG}, or unset it`);
      r.message.should.not.containEql(BUILT_HERE);
    });

    it('a file that is no shared library fails with the loader\'s reason', function () {
      const junk = tmpFile('junk.node', 'not an ELF file at all, just some text to be refused by dlopen\n');
      const r = load(ROOT, { GEARMANODE_NATIVE_PATH: junk });
      r.code.should.equal('GEARMANODE_NATIVE_MISSING');
      r.message.should.match(new RegExp(`${junk} \\(named by GEARMANODE_NATIVE_PATH\\): .*(invalid ELF header|file too short)`));
    });

    it('a core built for another CPU fails, saying which CPU it is for', function () {
      const core = Buffer.from(fs.readFileSync(BUILT_HERE));
      const other = process.arch === 'arm64' ? [62, 'x64'] : [183, 'arm64'];
      core.writeUInt16LE(other[0], 18); // e_machine of the ELF header
      const foreign = tmpFile('foreign.node', core);
      const r = load(ROOT, { GEARMANODE_NATIVE_PATH: foreign });
      r.code.should.equal('GEARMANODE_NATIVE_MISSING');
      r.message.should.containEql(`(the file is built for ${other[1]}, this Node is ${process.arch})`);
    });

    it('a module that is not a gearmanode core is refused', function () {
      const other = tmpFile('other.js', 'module.exports = { hello: 1 };\n');
      const r = load(ROOT, { GEARMANODE_NATIVE_PATH: other });
      r.code.should.equal('GEARMANODE_NATIVE_MISSING');
      r.message.should.containEql(`${other} (named by GEARMANODE_NATIVE_PATH): loads, but is not a gearmanode core`);
    });
  });

  describe('a package with no core (the library files and Cargo.toml only)', function () {
    let r;
    before(function () {
      const pkg = path.join(TMP, 'bare');
      fs.rmSync(pkg, { recursive: true, force: true });
      fs.cpSync(path.join(ROOT, 'lib'), path.join(pkg, 'lib'), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'Cargo.toml'), path.join(pkg, 'Cargo.toml'));
      r = load(pkg);
    });

    it('fails with code GEARMANODE_NATIVE_MISSING, naming platform, glibc and Node', function () {
      r.code.should.equal('GEARMANODE_NATIVE_MISSING');
      const glibc = process.report.getReport().header.glibcVersionRuntime;
      r.message.should.startWith(`gearmanode: no native core loads on this machine (${TAG}, glibc ${glibc}, ` +
        `Node ${process.version} (N-API ${process.versions.napi})).`);
    });

    it('says why each file did not load', function () {
      r.message.should.containEql(`gearman-native.${TAG}.node (built on this machine): not found`);
      r.message.should.containEql(`gearman-native.node (prebuilt, shipped in the package): no prebuilt core for ${TAG} in this package (it has: none)`);
    });

    it('says what to install and what to run', function () {
      r.message.should.containEql(`install Rust ${RUST_VERSION} or newer (from rustup`);
      r.message.should.containEql('a C compiler');
      r.message.should.containEql('then run `npm rebuild gearmanode`');
    });
  });
});
