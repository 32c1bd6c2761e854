'use strict';
// mocha configuration of `npm test`: every suite under test/, with the harness that starts real
// gearmand instances on loopback (test/support/hooks.js) and stops them afterwards.
// Files or directories named on the command line (`npx mocha test/admin.test.js`) replace the
// default spec instead of being added to it.
const named = process.argv.slice(2).some((a) => !a.startsWith('-') && /(^|\/)test(\/|$)|\.(c|m)?js$/.test(a));

module.exports = {
  ...(named ? {} : { spec: ['test/**/*.test.js'] }),
  recursive: true,
  require: ['test/support/hooks.js'],
  timeout: 10000,
  exit: true,
  reporter: 'dot',
};
