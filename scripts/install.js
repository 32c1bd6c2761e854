#!/usr/bin/env node
'use strict';
// The package's `install` script (npm install, npm rebuild gearmanode): makes sure a native core
// loads on this machine.
//   1. A development checkout (the root project, with its devDependencies): nothing here, the
//      `prepare` script builds the core with napi.
//   2. A core loads (a prebuilt one from prebuilds/, or one built here before): nothing to do.
//      Checked in a child process, which loads it the way the library does (lib/internal/native.js).
//   3. Otherwise, with cargo: `cargo build --release --locked`, the library is copied to
//      gearman-native.<platform>.node at the package root and checked again; target/ is removed
//      (under node_modules).
//   4. Otherwise: one message with what was seen and what to install; exit status 1.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
const LOADER = path.join(ROOT, 'lib', 'internal', 'native.js');

// Prints {ok, file} or {ok: false, message, details} as JSON.
const CHECK = `
try {
  require(${JSON.stringify(LOADER)});
  const file = Object.keys(require.cache).find((k) => k.endsWith('.node'));
  console.log(JSON.stringify({ ok: true, file }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, message: err.message, details: err.details || null }));
}`;

/** Loads the core in a child process: {ok, file} or {ok: false, message, details}. */
function check() {
  const env = Object.assign({}, process.env);
  delete env.GEARMANODE_NATIVE_PATH; // the package's own core must load; the variable is for run time
  const r = spawnSync(process.execPath, ['-e', CHECK], { cwd: ROOT, env, encoding: 'utf8' });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    // The child died loading the core (a crash, not an exception).
    const why = `the check process ended with ${r.signal || `exit status ${r.status}`}: ${(r.stderr || '').trim()}`;
    return { ok: false, message: why, details: null };
  }
}

/** Installed as a dependency (under node_modules), not a checkout of the repository. */
function isDependency() {
  return ROOT.split(path.sep).includes('node_modules');
}

function isDevCheckout() {
  return !isDependency() && fs.existsSync(path.join(ROOT, 'node_modules', '@napi-rs', 'cli'));
}

/** The cargo to run: on PATH, else where rustup puts it (often not on a non-login shell's PATH). */
function findCargo() {
  const name = process.platform === 'win32' ? 'cargo.exe' : 'cargo';
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  if (process.env.CARGO_HOME) dirs.push(path.join(process.env.CARGO_HOME, 'bin'));
  dirs.push(path.join(os.homedir(), '.cargo', 'bin'));
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** [major, minor, patch] of 'rustc 1.95.0 (...)' or of '1.88'. */
function parseVersion(text) {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text || '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] || 0)] : null;
}

function older(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** The cdylib cargo writes for this platform. */
function cdylib(targetDir) {
  const file = { win32: 'gearmanode.dll', darwin: 'libgearmanode.dylib' }[process.platform] || 'libgearmanode.so';
  return path.join(targetDir, 'release', file);
}

function fail(lines) {
  console.error(['', ...lines, ''].join('\n'));
  process.exit(1);
}

/** The message when no core loads and none can be built: what was seen, why, what to do. */
function cannotInstall(result, why) {
  const d = result.details || {};
  const rust = d.rustVersion || 'the version in Cargo.toml';
  fail([
    'gearmanode: cannot install its native core on this machine.',
    `  platform ${d.platform || `${process.platform}-${process.arch}`}, ` +
      `glibc ${d.glibc || (process.platform === 'linux' ? 'none (musl?)' : 'n/a')}, Node ${process.version}`,
    '  why no prebuilt core loads:',
    ...(d.tried || []).map((t) => `    ${path.relative(ROOT, t.file)} (${t.what}): ${t.reason}`),
    ...(d.tried ? [] : [`    ${result.message}`]),
    `  ${why}`,
    `To build it from source, install Rust ${rust} or newer (from rustup: https://rustup.rs) and a C compiler`,
    '(gcc or clang, e.g. `apt-get install build-essential`, `apk add build-base`, `xcode-select --install`),',
    'then run:  npm rebuild gearmanode',
  ]);
}

function buildFromSource(result, cargo) {
  const d = result.details || {};
  const need = parseVersion(d.rustVersion);
  const rustc = spawnSync(process.env.RUSTC || path.join(path.dirname(cargo), 'rustc'), ['--version'], { encoding: 'utf8' });
  const have = rustc.status === 0 ? parseVersion(rustc.stdout) : null;
  if (have && need && older(have, need)) {
    cannotInstall(result, `cargo is there, but its ${rustc.stdout.trim()} is older than ${d.rustVersion}.`);
  }
  console.error(`gearmanode: no prebuilt core for ${d.platform}; building it from source with ${cargo} (a minute or two)`);
  // cargo's output (~130 MB) is dropped after an install; a checkout keeps its target/.
  const ownTarget = !process.env.CARGO_TARGET_DIR && isDependency();
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
  const build = spawnSync(cargo, ['build', '--release', '--locked'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) {
    cannotInstall(result, `\`cargo build --release --locked\` failed (${build.signal || `exit status ${build.status}`}): see its output above.`);
  }
  fs.copyFileSync(cdylib(targetDir), d.buildFile);
  if (ownTarget) fs.rmSync(targetDir, { recursive: true, force: true });
  const again = check();
  if (!again.ok) cannotInstall(again, 'The core built from source does not load either.');
  console.error(`gearmanode: built ${path.relative(ROOT, again.file)}`);
}

function main() {
  if (isDevCheckout()) return; // `prepare` builds the core (napi build)
  const started = process.hrtime.bigint();
  const result = check();
  if (result.ok) {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.error(`gearmanode: ${path.relative(ROOT, result.file)} loads (checked in ${ms.toFixed(0)} ms)`);
    return;
  }
  if (!result.details || !result.details.buildFile) cannotInstall(result, 'The check of the prebuilt core failed.');
  const cargo = findCargo();
  if (!cargo) cannotInstall(result, 'No Rust toolchain (cargo) found to build it from source.');
  buildFromSource(result, cargo);
}

if (require.main === module) main();
