'use strict';
/**
 * The one place that loads the native addon (the Rust core built by `npm install`).
 * Everything else requires this module instead of the `.node` file.
 */
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const FILE = `gearman-native.${process.platform}-${process.arch}${process.platform === 'linux' ? '-gnu' : ''}.node`;

function load() {
  const file = path.join(ROOT, FILE);
  try {
    return require(file);
  } catch (err) {
    const e = new Error(
      `gearmanode: cannot load the native core ${file} (${err.message}). ` +
      'Build it with `npm run build` (needs Rust and cargo), or reinstall the package.');
    e.code = 'GEARMANODE_NATIVE_MISSING';
    e.cause = err;
    throw e;
  }
}

module.exports = load();
