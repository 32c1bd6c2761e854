#!/usr/bin/env node
'use strict';
// The package's `prepare` script. npm runs it on `npm install` / `npm ci` in a clone (and for git
// dependencies), and before `npm pack` / `npm publish`.
//   - in a clone: builds the core for this machine (`npm run build`: napi build, release); without
//     the devDependencies (no napi CLI), nothing: the install script built the core with cargo;
//   - before pack/publish: builds nothing. The tarball ships prebuilds/ (made by `npm run pack:dist`,
//     checked by `prepack`), never a core built for the packing machine.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');

const command = process.env.npm_command;
if (command === 'pack' || command === 'publish') {
  console.error(`gearmanode prepare: no host build for \`npm ${command}\` (the tarball carries prebuilds/, see RELEASING.md)`);
  process.exit(0);
}
if (!fs.existsSync(path.join(ROOT, 'node_modules', '@napi-rs', 'cli'))) {
  console.error('gearmanode prepare: no napi CLI (devDependencies omitted): the install script provided the core');
  process.exit(0);
}
const npm = process.env.npm_execpath;
const r = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: ROOT, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(r.status === null ? 1 : r.status);
