'use strict';
// lib/gearmanode/version.js: COMPATIBILITY.md#module-layout (version part), plus this package's own
// first entry (COMPATIBILITY.md#decision-version).
require('should');
const assert = require('assert');
const diff = require('./support/differential');
const version = require('../lib/gearmanode/version');

const MODULE = 'lib/gearmanode/version';

describe('version', function () {
  it('exports VERSION_HISTORY then VERSION', function () {
    Object.keys(version).should.eql(['VERSION_HISTORY', 'VERSION']);
  });

  it('starts the history with 1.0.0, the Rust core', function () {
    version.VERSION_HISTORY[0].should.eql(['1.0.0', '2026-11-28', 'Rust core (napi-rs): drop-in successor of 0.9.2']);
    version.VERSION_HISTORY.should.have.length(16);
  });

  it('VERSION is the first entry\'s version, 1.0.0 (the original said 0.9.2)', function () {
    version.VERSION.should.equal('1.0.0');
    version.VERSION.should.equal(version.VERSION_HISTORY[0][0]);
    diff.orig(MODULE).VERSION.should.equal('0.9.2');
  });

  it('keeps the original 15 triples after it, newest first, dates as stored (swapped ones too)', function () {
    const old = version.VERSION_HISTORY.slice(1);
    old.should.have.length(15);
    old[0].should.eql(['0.9.2', '2015-12-21', 'PR #41']);
    old[5].should.eql(['0.2.0', '2015-23-03', 'Added support for binary data, Enh #2']);
    old[9].should.eql(['0.1.5', '2014-20-03', 'added SET_CLIENT_ID; integration with Travis CI; BF #9']);
    old[14].should.eql(['0.1.0', '2013-11-10', 'Initial version on Node.js v0.10.8 and gearmand v1.1.7']);
    old.map((e) => e[0]).should.eql(['0.9.2', '0.9.1', '0.9.0', '0.2.2', '0.2.1', '0.2.0', '0.1.8', '0.1.7',
      '0.1.6', '0.1.5', '0.1.4', '0.1.3', '0.1.2', '0.1.1', '0.1.0']);
    for (const entry of version.VERSION_HISTORY) {
      entry.should.have.length(3);
      entry.forEach((s) => s.should.be.a.String());
    }
  });

  it('deep-equals the original\'s whole history from index 1 on (differential)', function () {
    const r = diff.both(MODULE, (m) => m.VERSION_HISTORY);
    assert.deepStrictEqual(r.ours.value.slice(1), r.orig.value);
  });

  it('matches the package.json version', function () {
    version.VERSION.should.equal(require('../package.json').version);
  });

  it('loads alone in a fresh process, adds no globals, prints no deprecation warning', function () {
    const r = diff.standalone(MODULE, 'return [m.VERSION, m.VERSION_HISTORY.length];');
    assert.strictEqual(r.status, 0, r.stderr);
    r.addedGlobals.should.eql([]);
    r.result.should.eql(['1.0.0', 16]);
    r.stderr.should.equal('');
  });
});
