'use strict';
/**
 * The one place that loads the native addon (the Rust core). Everything else requires this module
 * instead of a `.node` file.
 *
 * Which file, the first that loads:
 * - `GEARMANODE_NATIVE_PATH`, when set: that file and no other (a core built elsewhere);
 * - `gearman-native.<platform>.node` at the package root: the core built on this machine (by
 *   `npm install` in a clone, or by the install script's build from source);
 * - `prebuilds/<platform>/gearman-native.node`: the core shipped in the package (linux-x64-gnu and
 *   linux-arm64-gnu, built for glibc 2.17 and newer).
 * When none loads, the error (code GEARMANODE_NATIVE_MISSING) says what was tried, why each file
 * failed and what to do; `err.details` carries the same facts for scripts/install.js.
 */
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const ENV = 'GEARMANODE_NATIVE_PATH';
const NAME = 'gearman-native';
const PREBUILT = 'prebuilt, shipped in the package';

/** The glibc version the process runs with ('2.31'), or null (musl, or not Linux). */
function glibcVersion() {
  if (process.platform !== 'linux') return null;
  return process.report.getReport().header.glibcVersionRuntime || null;
}

/** 'gnu' or 'musl'. /usr/bin/ldd is a script naming musl on musl systems: cheaper than a report. */
function linuxLibc() {
  try {
    if (fs.readFileSync('/usr/bin/ldd', 'latin1').includes('musl')) return 'musl';
  } catch {
    return glibcVersion() ? 'gnu' : 'musl';
  }
  return 'gnu';
}

/** napi's platform names: linux-x64-gnu, linux-arm64-musl, darwin-arm64, win32-x64-msvc, ... */
function platformTag() {
  const { platform, arch } = process;
  if (platform === 'linux') return `${platform}-${arch}-${linuxLibc()}`;
  if (platform === 'win32') return `${platform}-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** The files to try, in order: [{file, what}]. */
function candidates(tag) {
  const chosen = process.env[ENV];
  if (chosen) return [{ file: path.resolve(chosen), what: `named by ${ENV}` }];
  return [
    { file: path.join(ROOT, `${NAME}.${tag}.node`), what: 'built on this machine' },
    { file: path.join(ROOT, 'prebuilds', tag, `${NAME}.node`), what: PREBUILT },
  ];
}

/** Why a candidate that does not exist is missing. */
function absent(c, tag) {
  if (c.what !== PREBUILT) return 'not found';
  let shipped = [];
  try {
    shipped = fs.readdirSync(path.join(ROOT, 'prebuilds')).filter((d) => fs.existsSync(path.join(ROOT, 'prebuilds', d, `${NAME}.node`)));
  } catch {
    // no prebuilds/ at all: a git clone, or a source-only tarball
  }
  return `no prebuilt core for ${tag} in this package (it has: ${shipped.join(', ') || 'none'})`;
}

// ELF e_machine values of the CPUs Node runs on, by process.arch.
const ELF_MACHINES = { x64: 62, arm64: 183, ia32: 3, arm: 40, ppc64: 21, s390x: 22, riscv64: 243, loong64: 258 };

/**
 * Why dlopen refused `file`, in the loader's words, with the file's CPU when it is not this one
 * (glibc then only says "cannot open shared object file").
 */
function loadError(file, err) {
  const said = String(err.message).split('\n')[0];
  let head = Buffer.alloc(0);
  try {
    const fd = fs.openSync(file, 'r');
    head = Buffer.alloc(20);
    fs.readSync(fd, head, 0, 20, 0);
    fs.closeSync(fd);
  } catch {
    return said;
  }
  if (head.readUInt32BE(0) !== 0x7f454c46 || process.platform === 'darwin' || process.platform === 'win32') return said;
  const machine = head.readUInt16LE(18);
  if (machine === ELF_MACHINES[process.arch]) return said;
  const arch = Object.keys(ELF_MACHINES).find((a) => ELF_MACHINES[a] === machine) || `ELF machine ${machine}`;
  return `${said} (the file is built for ${arch}, this Node is ${process.arch})`;
}

function rustVersion() {
  try {
    const m = /^\s*rust-version\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8'));
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

function failure(tag, tried) {
  const glibc = glibcVersion();
  const details = {
    platform: tag,
    glibc,
    node: process.version,
    napi: process.versions.napi,
    rustVersion: rustVersion(),
    tried,
    buildFile: path.join(ROOT, `${NAME}.${tag}.node`),
  };
  const seen = `${tag}${process.platform === 'linux' ? `, glibc ${glibc || 'none (musl?)'}` : ''}, ` +
    `Node ${details.node} (N-API ${details.napi})`;
  const lines = [`gearmanode: no native core loads on this machine (${seen}).`];
  for (const t of tried) lines.push(`  ${t.file} (${t.what}): ${t.reason}`);
  if (process.env[ENV]) {
    lines.push(`Point ${ENV} at a gearmanode core built for ${tag}, or unset it to use the package's own.`);
  } else {
    lines.push(
      `Build the core for this machine: install Rust ${details.rustVersion || ''} or newer (from rustup, ` +
        'https://rustup.rs) and a C compiler (gcc or clang), then run `npm rebuild gearmanode`.');
  }
  const err = new Error(lines.join('\n'));
  err.code = 'GEARMANODE_NATIVE_MISSING';
  err.details = details;
  return err;
}

function load() {
  const tag = platformTag();
  const tried = [];
  for (const c of candidates(tag)) {
    if (!fs.existsSync(c.file)) {
      tried.push(Object.assign(c, { reason: absent(c, tag) }));
      continue;
    }
    let addon;
    try {
      addon = require(c.file);
    } catch (err) {
      // The loader's own words: e.g. "version `GLIBC_2.32' not found".
      tried.push(Object.assign(c, { reason: loadError(c.file, err) }));
      continue;
    }
    if (addon && typeof addon.coreVersion === 'function') return addon;
    tried.push(Object.assign(c, { reason: 'loads, but is not a gearmanode core (no coreVersion())' }));
  }
  throw failure(tag, tried);
}

module.exports = load();
