'use strict';
// Helpers of the packaging checks (test/packaging/*.check.js): the release tarball and variants of
// it, fresh projects that install it, environments with and without Rust, running a real job.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const fixtures = require('./fixtures');

const ROOT = path.join(__dirname, '..', '..', '..');
const WORK = path.join(fixtures.BASE, 'work');
const VERSION = require('../../../package.json').version;
/** The crate's rust-version: what the messages tell users to install. */
const RUST_VERSION = /^rust-version = "([^"]+)"/m.exec(fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8'))[1];
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** build/dist/gearmanode-<version>.tgz, written by `npm run pack:dist`. */
function distTarball() {
  const file = path.join(ROOT, 'build', 'dist', `gearmanode-${VERSION}.tgz`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run pack:dist\` first`);
  return file;
}

function tar(args) {
  const r = spawnSync('tar', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The file names in a tarball (without the leading package/). */
function listTarball(file) {
  return tar(['-tzf', file]).trim().split('\n').map((f) => f.replace(/^package\//, ''));
}

/** Extracts a tarball into a fresh directory; returns its package/ directory. */
function extract(file, name) {
  const dir = path.join(WORK, `extract-${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  tar(['-xzf', file, '-C', dir]);
  return path.join(dir, 'package');
}

/** A copy of the release tarball with `edit(packageDir)` applied: build/packaging/work/<name>.tgz. */
function variant(name, edit) {
  const pkg = extract(distTarball(), name);
  edit(pkg);
  const out = path.join(WORK, `${name}.tgz`);
  tar(['-czf', out, '-C', path.dirname(pkg), 'package']);
  return out;
}

/** A fresh project directory (under `parent`) with a package.json and the job script. */
function project(name, parent = WORK) {
  const dir = path.join(parent, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  fs.copyFileSync(path.join(__dirname, 'job.js'), path.join(dir, 'job.js'));
  return dir;
}

function hasTool(dir, names) {
  return names.some((n) => fs.existsSync(path.join(dir, n)));
}

/**
 * An environment like a machine without Rust: PATH has node, npm and the system directories, none
 * holding cargo or rustc; HOME is empty (no ~/.cargo/bin to find); no CARGO_HOME or RUSTUP_HOME.
 */
function envWithoutRust() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gearmanode-home-'));
  const dirs = [path.dirname(process.execPath), ...SYSTEM_DIRS].filter((d) => !hasTool(d, ['cargo', 'rustc']));
  const env = Object.assign({}, process.env, { PATH: [...new Set(dirs)].join(path.delimiter), HOME: home });
  for (const k of ['CARGO_HOME', 'RUSTUP_HOME', 'RUSTUP_TOOLCHAIN', 'CARGO', 'RUSTC', 'CARGO_TARGET_DIR', 'GEARMANODE_NATIVE_PATH']) delete env[k];
  return env;
}

/**
 * An environment with this machine's Rust (rustup's cargo, as a user has it), whose crate cache
 * `npm ci` filled for the same Cargo.lock: the build from source needs no network.
 */
function envWithRust() {
  const cargoBin = path.join(process.env.CARGO_HOME || path.join(os.homedir(), '.cargo'), 'bin');
  const env = Object.assign({}, process.env, {
    PATH: [path.dirname(process.execPath), cargoBin, ...SYSTEM_DIRS].join(path.delimiter),
  });
  for (const k of ['CARGO_TARGET_DIR', 'GEARMANODE_NATIVE_PATH']) delete env[k];
  return env;
}

/** Whether `cmd` resolves on env's PATH. */
function onPath(cmd, env) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { env }).status === 0;
}

/** npm in `cwd` with the run's own cache, install scripts' output shown: {status, stdout, stderr, output}. */
function npm(args, cwd, env) {
  const r = spawnSync('npm', [...args, '--cache', fixtures.NPM_CACHE, '--no-audit', '--no-fund', '--foreground-scripts'], {
    cwd, env, encoding: 'utf8', maxBuffer: 64 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}` };
}

/**
 * Runs job.js of project `app` against `server` ({host, port}); resolves its JSON. `command` is the
 * node to run, as an argv prefix: [nodeBin] or ['chroot', root, qemu?, '/opt/node/bin/node'].
 */
function runJob(command, appPath, server, env = process.env) {
  const [cmd, ...args] = command;
  const r = spawnSync(cmd, [...args, path.join(appPath, 'job.js'), server.host, String(server.port)], {
    env, encoding: 'utf8', timeout: 120000,
  });
  if (r.error) throw new Error(`${command.join(' ')} job.js: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${command.join(' ')} job.js: ${r.signal || `exit status ${r.status}`}\n${r.stderr}${r.stdout}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

module.exports = {
  ROOT, WORK, VERSION, RUST_VERSION, distTarball, listTarball, extract, variant, project, envWithoutRust, envWithRust, onPath, npm, runJob,
};
