'use strict';
// The repository explains itself (docs/): every file under src/ and lib/ is named in
// docs/ARCHITECTURE.md's file table, every citation of a docs/ anchor in the code, the tests and the
// README points at an anchor that exists, and nothing cites documents outside the repository.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const read = (f) => fs.readFileSync(path.join(ROOT, f), 'utf8');

/** Files under `dir` (relative to the root), recursively. */
function files(dir) {
  const out = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(rel));
    else out.push(rel);
  }
  return out;
}

const DOCS = ['ARCHITECTURE.md', 'COMPATIBILITY.md', 'PROTOCOL.md'];
const anchors = {};
for (const d of DOCS) {
  const text = read(`docs/${d}`);
  anchors[d] = new Set([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
}

const SOURCES = [...files('src'), ...files('lib'), ...files('test'), 'README.md', 'index.d.ts']
  .filter((f) => /\.(rs|js|ts|md)$/.test(f) && !f.startsWith('test/.tmp'));

describe('docs/', function () {
  it('ARCHITECTURE.md names every file under src/ and lib/ in its file table', function () {
    const table = read('docs/ARCHITECTURE.md');
    const missing = [...files('src'), ...files('lib')].filter((f) => !table.includes('`' + f + '`'));
    assert.deepStrictEqual(missing, []);
  });

  it('every cited anchor of the three docs exists', function () {
    const broken = [];
    for (const f of SOURCES) {
      const text = read(f);
      // `COMPATIBILITY.md#fixed-6`, `docs/PROTOCOL.md#limits`, and `#a, #b` lists after one of them.
      for (const m of text.matchAll(/\b(ARCHITECTURE|COMPATIBILITY|PROTOCOL)\.md#([a-z0-9-]+)((?:, #[a-z0-9-]+)*)/g)) {
        const doc = `${m[1]}.md`;
        const ids = [m[2], ...[...m[3].matchAll(/#([a-z0-9-]+)/g)].map((x) => x[1])];
        for (const id of ids) if (!anchors[doc].has(id)) broken.push(`${f}: ${doc}#${id}`);
      }
    }
    assert.deepStrictEqual(broken, []);
  });

  it('nothing under src/, lib/ or test/ cites documents outside the repository', function () {
    // The briefs the project started from lived in ../shared/ and were cited by section sign
    // ("§11.1 #6"); the repository's own docs are cited by anchor instead.
    const hits = [];
    for (const f of SOURCES.filter((x) => /^(src|lib|test)\//.test(x) && x !== 'test/docs.test.js')) {
      read(f).split('\n').forEach((line, i) => {
        if (/\.\.\/shared\/|§/.test(line.replace('ECMA-262 §', ''))) hits.push(`${f}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepStrictEqual(hits, []);
  });
});
