#!/usr/bin/env node
'use strict';
// `npm run pack:dist`: the release tarball, in one command (see RELEASING.md).
//   1. tools, under build/tools/ only (nothing cached elsewhere): the pinned Rust toolchain with the
//      targets of package.json's napi.targets (rustup, RUSTUP_HOME and CARGO_HOME there), and zig
//      plus cargo-zigbuild from PyPI in a venv;
//   2. each prebuilt core: `napi build --cross-compile` (cargo zigbuild) for <triple>.2.17, i.e.
//      linked against glibc 2.17, into prebuilds/<platform>/gearman-native.node;
//   3. checks each core with objdump (glibc it needs, CPU), writes prebuilds/manifest.json;
//   4. `npm pack` into build/dist/ (its `prepack` checks the manifest against the sources).
// `node scripts/pack-dist.js --tools` does step 1 only.
// Needs: rustup, python3 (with venv), npm with the devDependencies installed, objdump (binutils).
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const prebuilds = require('./prebuilds');

const ROOT = path.join(__dirname, '..');
const BUILD = path.join(ROOT, 'build');
const TOOLS = path.join(BUILD, 'tools');
const DIST = path.join(BUILD, 'dist');
// Pinned so that a release is reproducible; RELEASING.md says how to move them.
const RUST_TOOLCHAIN = '1.95.0';
const PYPI = ['ziglang==0.17.1', 'cargo-zigbuild==0.24.1'];

const VENV_BIN = path.join(TOOLS, 'venv', 'bin');

function log(msg) {
  console.error(`pack:dist: ${msg}`);
}

function die(msg) {
  console.error(`\npack:dist: ${msg}\n`);
  process.exit(1);
}

/** Runs a command (output shown); dies with `what` when it fails. */
function run(cmd, args, opts, what) {
  const r = spawnSync(cmd, args, Object.assign({ stdio: 'inherit', cwd: ROOT }, opts));
  if (r.error) die(`${what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) die(`${what}: \`${cmd} ${args.join(' ')}\` failed (${r.signal || `exit status ${r.status}`})`);
  return r;
}

function output(cmd, args, opts) {
  const r = spawnSync(cmd, args, Object.assign({ encoding: 'utf8', cwd: ROOT }, opts));
  return r.status === 0 ? r.stdout.trim() : null;
}

function findOnPath(name, extra = []) {
  for (const dir of [...(process.env.PATH || '').split(path.delimiter), ...extra]) {
    if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** The environment of every tool run: the toolchain, caches and build output under build/. */
function toolEnv() {
  const rustup = findOnPath('rustup', [path.join(require('os').homedir(), '.cargo', 'bin')]);
  if (!rustup) die('rustup is needed (it installs the pinned toolchain and the cross targets): see https://rustup.rs');
  // cargo-zigbuild's wrappers and zig's caches: shared for the setup, each core's build its own.
  return Object.assign({}, process.env, cachesOf(''), {
    PATH: [VENV_BIN, path.dirname(rustup), process.env.PATH].join(path.delimiter),
    RUSTUP_HOME: path.join(TOOLS, 'rustup'),
    RUSTUP_TOOLCHAIN: RUST_TOOLCHAIN,
    CARGO_HOME: path.join(TOOLS, 'cargo'),
    PIP_NO_CACHE_DIR: '1',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
  });
}

function setupTools(env) {
  fs.mkdirSync(TOOLS, { recursive: true });
  const triples = prebuilds.targets().map((t) => t.triple);
  log(`Rust ${RUST_TOOLCHAIN} with ${triples.join(', ')} (rustup, into build/tools/rustup)`);
  run('rustup', ['toolchain', 'install', RUST_TOOLCHAIN, '--profile', 'minimal', '--no-self-update',
    ...triples.flatMap((t) => ['--target', t])], { env }, 'installing the Rust toolchain and targets');
  const stamp = path.join(TOOLS, 'venv', 'pypi.txt');
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== PYPI.join('\n')) {
    log(`${PYPI.join(', ')} (pip, into build/tools/venv)`);
    fs.rmSync(path.join(TOOLS, 'venv'), { recursive: true, force: true });
    run('python3', ['-m', 'venv', path.join(TOOLS, 'venv')], { env }, 'creating a Python venv (Debian: apt-get install python3-venv)');
    run(path.join(VENV_BIN, 'pip'), ['install', '--quiet', ...PYPI], { env }, 'installing zig and cargo-zigbuild from PyPI');
    fs.writeFileSync(stamp, PYPI.join('\n'));
  }
  log(`${output('rustc', ['--version'], { env })}, zig ${output(path.join(VENV_BIN, 'python'), ['-m', 'ziglang', 'version'], { env })}, ` +
    `${output('cargo-zigbuild', ['--version'], { env })}`);
}

/**
 * The caches under build/tools/cache/<tag> (`''`: the shared ones of the setup). Each core's build
 * gets its own, apart from the other's: two cargo-zigbuild runs that start together on
 * shared caches race to set them up (cargo-zigbuild's wrappers, zig's global cache) and one of them
 * fails with "File exists (os error 17)", as a fresh-clone CI run did on 2026-12-03.
 */
function cachesOf(tag) {
  const dir = path.join(TOOLS, 'cache', tag);
  return {
    XDG_CACHE_HOME: dir,
    ZIG_GLOBAL_CACHE_DIR: path.join(dir, 'zig'),
    ZIG_LOCAL_CACHE_DIR: path.join(dir, 'zig-local'),
  };
}

/**
 * Builds one core with napi into build/dist/<platform>/ (its own cargo target dir, so that both
 * builds run at once: each spends most of its time in a one-threaded LTO). Output in <platform>.log.
 */
function buildCore(t, env, napi) {
  const zigTarget = `${t.triple}.${prebuilds.GLIBC_MAX}`;
  const out = path.join(DIST, t.tag);
  const logFile = path.join(DIST, `${t.tag}.log`);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const args = ['build', '--cross-compile', '--release', '--target', zigTarget, '--output-dir', out, '--no-js'];
  log(`building ${t.tag}: napi ${args.join(' ')} (output in ${path.relative(ROOT, logFile)})`);
  const started = Date.now();
  const fd = fs.openSync(logFile, 'w');
  const child = spawn(napi, args, {
    cwd: ROOT, stdio: ['ignore', fd, fd],
    env: Object.assign({}, env, { CARGO_TARGET_DIR: path.join(BUILD, 'target-dist', t.tag) }, cachesOf(t.tag)),
  });
  fs.closeSync(fd);
  return new Promise((resolve) => {
    child.on('error', (err) => resolve(`cannot run napi: ${err.message}`));
    child.on('exit', (code, signal) => {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (code === 0) {
        log(`built ${t.tag} in ${secs} s`);
        resolve(null);
      } else {
        const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
        resolve(`building the ${t.tag} core failed (${signal || `exit status ${code}`}) after ${secs} s; the end of ${logFile}:\n${tail}`);
      }
    });
  });
}

async function buildCores(env) {
  fs.rmSync(path.join(ROOT, 'prebuilds'), { recursive: true, force: true });
  const napi = path.join(ROOT, 'node_modules', '.bin', 'napi');
  if (!fs.existsSync(napi)) die('the napi CLI is missing: run `npm ci` first (it is a devDependency)');
  fs.mkdirSync(DIST, { recursive: true });
  const failures = (await Promise.all(prebuilds.targets().map((t) => buildCore(t, env, napi)))).filter(Boolean);
  if (failures.length) die(failures.join('\n\n'));
  const cores = {};
  for (const t of prebuilds.targets()) {
    const core = prebuilds.coreFile(ROOT, t.tag);
    fs.mkdirSync(path.dirname(core), { recursive: true });
    fs.copyFileSync(path.join(DIST, t.tag, prebuilds.CORE), core);
    const problems = prebuilds.coreProblems(core, t);
    if (problems.length) die(problems.join('\n'));
    const { glibc, arch } = prebuilds.inspectCore(core);
    const bytes = fs.statSync(core).size;
    log(`${path.relative(ROOT, core)}: ${arch}, needs glibc ${glibc}, ${bytes} bytes`);
    cores[t.tag] = { target: `${t.triple}.${prebuilds.GLIBC_MAX}`, glibc, bytes, sha256: prebuilds.sha256(fs.readFileSync(core)) };
  }
  const manifest = {
    version: require('../package.json').version,
    sources: prebuilds.sourcesHash(),
    rust: output('rustc', ['--version'], { env }),
    zig: output(path.join(VENV_BIN, 'python'), ['-m', 'ziglang', 'version'], { env }),
    cores,
  };
  fs.writeFileSync(path.join(ROOT, 'prebuilds', 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

function pack() {
  fs.mkdirSync(DIST, { recursive: true });
  const npm = process.env.npm_execpath;
  const [cmd, pre] = npm ? [process.execPath, [npm]] : ['npm', []];
  const r = spawnSync(cmd, [...pre, 'pack', '--json', '--pack-destination', DIST], {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) die('npm pack failed');
  const [info] = JSON.parse(r.stdout);
  const file = path.join(DIST, info.filename);
  log(`${path.relative(ROOT, file)}: ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${info.entryCount} files`);
  for (const f of info.files.filter((x) => x.path.startsWith('prebuilds/'))) log(`  ${f.path} (${f.size} bytes)`);
  console.log(file);
}

async function main() {
  const env = toolEnv();
  setupTools(env);
  if (process.argv.includes('--tools')) return;
  await buildCores(env);
  pack();
}

main().catch((err) => die(err.stack || String(err)));
