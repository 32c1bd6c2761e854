#!/usr/bin/env node
'use strict';
// The prebuilt cores a release tarball ships: prebuilds/<platform>/gearman-native.node for each
// target of package.json's `napi.targets`, and prebuilds/manifest.json (what they were built from).
//
//   node scripts/prebuilds.js check    (the `prepack` script) fails unless every prebuilt core is
//                                      there and was built from the sources being packed, so that
//                                      `npm pack` / `npm publish` never ship stale or missing cores.
//                                      GEARMANODE_PACK_SOURCE_ONLY=1 packs a source-only tarball.
// Used by scripts/pack-dist.js (writes the manifest) and test/packaging/.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
/** The newest glibc a prebuilt core may need: what `cargo zigbuild` targets with `.2.17`. */
const GLIBC_MAX = '2.17';
const CORE = 'gearman-native.node';
const SOURCES = ['Cargo.toml', 'Cargo.lock', 'build.rs', 'src'];
const ARCH = { x86_64: 'x64', aarch64: 'arm64' };
/** ELF e_machine of each arch (a host objdump may not know foreign CPUs). */
const ELF_MACHINE = { x64: 62, arm64: 183 };

/** [{triple, tag, arch}] for package.json's napi.targets, e.g. aarch64-unknown-linux-gnu -> linux-arm64-gnu. */
function targets(root = ROOT) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return pkg.napi.targets.map((triple) => {
    const m = /^(x86_64|aarch64)-unknown-linux-(gnu)$/.exec(triple);
    if (!m) throw new Error(`scripts/prebuilds.js: no prebuilt naming for target ${triple}`);
    return { triple, arch: ARCH[m[1]], tag: `linux-${ARCH[m[1]]}-${m[2]}` };
  });
}

function coreFile(root, tag) {
  return path.join(root, 'prebuilds', tag, CORE);
}

function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

function listFiles(dir, rel) {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = path.posix.join(rel, e.name);
    return e.isDirectory() ? listFiles(dir, r) : [r];
  });
}

/** sha256 of the Rust sources (name and content of each file), so a manifest names what it was built from. */
function sourcesHash(root = ROOT) {
  const h = crypto.createHash('sha256');
  const files = SOURCES.flatMap((s) => (fs.statSync(path.join(root, s)).isDirectory() ? listFiles(root, s) : [s])).sort();
  for (const f of files) h.update(`${f}\0`).update(fs.readFileSync(path.join(root, f))).update('\0');
  return h.digest('hex');
}

/** 'X.Y' compared numerically. */
function versionLE(a, b) {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) < (y[i] || 0);
  }
  return true;
}

function objdump(args, file) {
  const r = spawnSync('objdump', [...args, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`objdump (binutils) is needed to check the prebuilt cores: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`objdump ${args.join(' ')} ${file} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** {glibc: newest GLIBC_ version the file's dynamic symbols need (objdump -T), arch: from its ELF header}. */
function inspectCore(file) {
  const versions = [...objdump(['-T'], file).matchAll(/GLIBC_(\d+(?:\.\d+)+)/g)].map((m) => m[1]);
  const glibc = versions.reduce((a, b) => (versionLE(a, b) ? b : a), '0');
  const head = fs.readFileSync(file).subarray(0, 20);
  const machine = head.readUInt32BE(0) === 0x7f454c46 ? head.readUInt16LE(18) : -1;
  const arch = Object.keys(ELF_MACHINE).find((a) => ELF_MACHINE[a] === machine) || `ELF machine ${machine}`;
  return { glibc, arch };
}

/** The problems with a core built for `t`: [] when it needs glibc <= GLIBC_MAX and is for t's CPU. */
function coreProblems(file, t) {
  const { glibc, arch } = inspectCore(file);
  const problems = [];
  if (!versionLE(glibc, GLIBC_MAX)) problems.push(`${file} needs glibc ${glibc} (at most ${GLIBC_MAX} allowed)`);
  if (arch !== t.arch) problems.push(`${file} is built for ${arch}, not ${t.arch}`);
  return problems;
}

/** Why the prebuilds in `root` are not fit to ship ([] when they are). */
function manifestProblems(root = ROOT) {
  const file = path.join(root, 'prebuilds', 'manifest.json');
  if (!fs.existsSync(file)) return [`no ${path.relative(root, file)}`];
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  const problems = [];
  if (manifest.sources !== sourcesHash(root)) problems.push('the prebuilt cores were built from other Rust sources than these');
  for (const t of targets(root)) {
    const core = coreFile(root, t.tag);
    const entry = manifest.cores && manifest.cores[t.tag];
    if (!fs.existsSync(core)) problems.push(`no ${path.relative(root, core)}`);
    else if (!entry || entry.sha256 !== sha256(fs.readFileSync(core))) problems.push(`${path.relative(root, core)} is not the file the manifest lists`);
  }
  return problems;
}

function checkCommand() {
  if (process.env.GEARMANODE_PACK_SOURCE_ONLY === '1') {
    if (!fs.existsSync(path.join(ROOT, 'prebuilds'))) return 0;
    console.error('gearmanode prepack: GEARMANODE_PACK_SOURCE_ONLY=1 but prebuilds/ exists: remove it for a source-only tarball');
    return 1;
  }
  const problems = manifestProblems(ROOT);
  if (problems.length === 0) return 0;
  console.error(['', 'gearmanode prepack: this tarball would not carry up-to-date prebuilt cores:',
    ...problems.map((p) => `  - ${p}`),
    'Make the release tarball with `npm run pack:dist` (see RELEASING.md). For a source-only tarball',
    '(every install then builds the core with cargo), set GEARMANODE_PACK_SOURCE_ONLY=1.', ''].join('\n'));
  return 1;
}

if (require.main === module) {
  if (process.argv[2] !== 'check') {
    console.error('usage: node scripts/prebuilds.js check');
    process.exit(2);
  }
  process.exit(checkCommand());
}

module.exports = { GLIBC_MAX, CORE, targets, coreFile, sha256, sourcesHash, inspectCore, coreProblems, manifestProblems };
