'use strict';
// Child process of test/reliability/bad-input.test.js: runs every case of bad-input-cases.js on the
// original gearmanode 0.9.2 (a black box: required and called) against a recording fake server of its
// own, and prints one JSON object: the outcome of each case ({kind: 'threw'|'error'|'value', message})
// and the malformed packets the original wrote. The original throws from socket callbacks in some of
// these cases; such throws are counted, not fatal, and the process exits once done.

const fake = require('./fake-server');
const diff = require('./differential');
const { cases, classify, makeContext } = require('./bad-input-cases');

let asyncThrows = 0;
process.on('uncaughtException', () => { asyncThrows++; });

(async () => {
  const server = await fake.start();
  const g = diff.orig('');
  const ctx = makeContext(g, (name) => diff.orig(`lib/gearmanode/${name}`), server.port);
  const outcomes = {};
  for (const c of cases) {
    if (c.oursOnly) continue;
    outcomes[c.id] = classify(() => c.run(ctx));
  }
  await fake.sleep(300);
  const result = { outcomes, malformed: server.malformed, asyncThrows };
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
})();
