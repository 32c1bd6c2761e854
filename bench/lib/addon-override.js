'use strict';
/**
 * Preloaded (`node -r bench/lib/addon-override.js`) by bench/profile.js when BENCH_ADDON names
 * another build of the native core (e.g. one with symbols, for perf): every load of
 * `gearman-native.*.node` loads that file instead. Nothing in lib/ changes.
 */
const Module = require('module');

const replacement = process.env.BENCH_ADDON;
if (replacement) {
  const load = Module._extensions['.node'];
  Module._extensions['.node'] = function loadNode(module, filename) {
    return load.call(this, module, /gearman-native\.[^/]*\.node$/.test(filename) ? replacement : filename);
  };
}
