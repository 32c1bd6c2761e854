'use strict';
// mocha configuration of `npm test`: every suite under test/, with the harness that starts real
// gearmand instances on loopback (test/support/hooks.js) and stops them afterwards.
module.exports = {
  spec: ['test/**/*.test.js'],
  require: ['test/support/hooks.js'],
  timeout: 10000,
  exit: true,
  reporter: 'dot',
};
