'use strict';
// The package entry: gearmanode's main module.
module.exports = require('./lib/gearmanode');
