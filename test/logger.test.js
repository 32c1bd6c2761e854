'use strict';
// lib/logger.js and src/binding/logging.rs: docs/COMPATIBILITY.md#logging (no winston, the same
// logger surface, one shared level, default `warn`, GEARMANODE_LOG, a replaceable sink, the Rust
// core's tracing output following the same level into the same sink, a name that is no level
// turning logging off as with winston 2) and COMPATIBILITY.md#fixed-13.
const should = require('should');
const assert = require('assert');
const util = require('util');
const sinon = require('sinon');
const diff = require('./support/differential');
const loggers = require('../lib/logger');
const native = require('../lib/internal/native');

const MODULE = 'lib/logger';
const NAMES = ['error', 'warn', 'info', 'verbose', 'debug', 'silly'];

/** Collects the lines given to a function sink. */
function collector() {
  const lines = [];
  const sink = (level, message, meta) => lines.push([level, message, meta]);
  return { lines, sink };
}

/**
 * Waits until the core's queued log lines have reached JS: an `error` line emitted last arrives last.
 * `emitTestLog` is a test hook: test/support/hooks.js sets GEARMANODE_TEST_HOOKS=1 before the addon loads.
 */
async function flushCore(lines) {
  native.emitTestLog(0, 'barrier');
  for (let i = 0; i < 200; i++) {
    if (lines.some(([, message]) => message === 'barrier')) {
      return lines.filter(([, message]) => message !== 'barrier');
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the core\'s barrier line never arrived');
}

describe('logger', function () {
  let savedLevel;

  before(function () {
    savedLevel = loggers.getLevel(); // GEARMANODE_LOG may have set it for the whole run
  });

  beforeEach(function () {
    should(loggers.setLevel('warn')).be.undefined();
  });

  afterEach(function () {
    loggers.setLogger(null);
  });

  after(function () {
    loggers.setLevel(savedLevel);
  });

  describe('module surface', function () {
    it('exports get, setLevel, getLevel, setLogger and LEVELS (npm levels, most important first)', function () {
      Object.keys(loggers).should.eql(['get', 'setLevel', 'getLevel', 'setLogger', 'LEVELS']);
      loggers.LEVELS.should.eql({ error: 0, warn: 1, info: 2, verbose: 3, debug: 4, silly: 5 });
      Object.keys(loggers.LEVELS).should.eql(NAMES);
      Object.isFrozen(loggers.LEVELS).should.be.true();
    });

    it('get(name) gives one logger per name, for the six names and any other', function () {
      for (const name of diff.LOGGER_NAMES.concat(['anything'])) {
        const l = loggers.get(name);
        l.should.equal(loggers.get(name));
        l.name.should.equal(name);
        for (const m of ['log', 'isLevelEnabled'].concat(NAMES)) {
          l[m].should.be.a.Function();
        }
      }
      loggers.get('Client').should.not.equal(loggers.get('Worker'));
    });
  });

  describe('levels', function () {
    it('defaults to warn (in a fresh process without GEARMANODE_LOG)', function () {
      const r = diff.child(`const l = require('./${MODULE}');
        process.stdout.write(JSON.stringify([l.getLevel(), l.get('Client').transports.console.level]));`,
      { env: { GEARMANODE_LOG: undefined } });
      assert.strictEqual(r.status, 0, r.stderr);
      JSON.parse(r.stdout).should.eql(['warn', 'warn']);
      r.stderr.should.equal('');
    });

    it('GEARMANODE_LOG=<level> sets the level at load (case and blanks ignored)', function () {
      for (const [value, want] of [['debug', 'debug'], [' ERROR ', 'error'], ['Silly', 'silly']]) {
        const r = diff.child(`process.stdout.write(require('./${MODULE}').getLevel());`, { env: { GEARMANODE_LOG: value } });
        assert.strictEqual(r.status, 0, r.stderr);
        r.stdout.should.equal(want);
        r.stderr.should.equal('');
      }
    });

    it('ignores an invalid GEARMANODE_LOG with exactly one warning line', function () {
      const r = diff.child(`process.stdout.write(require('./${MODULE}').getLevel());`, { env: { GEARMANODE_LOG: 'loud' } });
      assert.strictEqual(r.status, 0, r.stderr);
      r.stdout.should.equal('warn');
      r.stderr.split('\n').filter(Boolean).should.have.length(1);
      r.stderr.should.match(/^warn: \[logger\] GEARMANODE_LOG ignored: invalid log level: loud/);
    });

    it('setLevel takes a level name or number, returns (not throws) an Error for anything else', function () {
      should(loggers.setLevel('debug')).be.undefined();
      loggers.getLevel().should.equal('debug');
      should(loggers.setLevel(0)).be.undefined();
      loggers.getLevel().should.equal('error');
      for (const bad of ['DEBUG', 'trace', 'constructor', 6, -1, 1.5, null, undefined, {}]) {
        const err = loggers.setLevel(bad);
        err.should.be.an.Error();
        err.message.should.startWith('invalid log level: ');
        loggers.getLevel().should.equal('error');
      }
    });

    it('transports.console.level is one setting shared by every logger (the documented knob)', function () {
      const client = loggers.get('Client');
      client.transports.console.should.equal(loggers.get('Worker').transports.console);
      client.transports.console.level = 'error';
      loggers.getLevel().should.equal('error');
      for (const name of diff.LOGGER_NAMES) {
        const l = loggers.get(name);
        l.transports.console.level.should.equal('error');
        l.isLevelEnabled('error').should.be.true();
        l.isLevelEnabled('warn').should.be.false();
      }
      loggers.setLevel('silly');
      loggers.get('protocol').transports.console.level.should.equal('silly');
    });

    it('a name that is no level turns logging off without a warning, and reads back as that name', function () {
      const { lines, sink } = collector();
      loggers.setLogger(sink);
      const format = sinon.spy(util, 'format');
      try {
        for (const name of ['none', 'off', 'NONE', 'silent', 'constructor', '']) {
          loggers.setLevel('silly');
          loggers.get('Job').transports.console.level = name;
          loggers.getLevel().should.equal(name);
          for (const loggerName of diff.LOGGER_NAMES) {
            const l = loggers.get(loggerName);
            l.transports.console.level.should.equal(name);
            NAMES.map((lvl) => l.isLevelEnabled(lvl)).should.eql(NAMES.map(() => false), name);
            l.log('error', 'nothing %s', 'here');
            l.error('nothing %s', 'here');
            l.silly('nothing %s', 'here');
          }
        }
        format.callCount.should.equal(0);
      } finally {
        format.restore();
      }
      lines.should.eql([]);
      // A level name turns it on again.
      loggers.get('Client').transports.console.level = 'warn';
      loggers.getLevel().should.equal('warn');
      loggers.get('Worker').transports.console.level.should.equal('warn');
      loggers.get('Client').warn('back');
      lines.should.eql([['warn', 'back', { logger: 'Client' }]]);
    });

    it('any other invalid transports.console.level is ignored with a warning', function () {
      const { lines, sink } = collector();
      loggers.setLogger(sink);
      for (const bad of [6, -1, 1.5, null, {}]) {
        loggers.get('Job').transports.console.level = bad;
        loggers.getLevel().should.equal('warn');
      }
      lines.should.have.length(5);
      for (const [level, message] of lines) {
        level.should.equal('warn');
        message.should.match(/^ignored: invalid log level: /);
      }
    });

    it('the core\'s lines are dropped while logging is off (in a fresh process, default sink)', function () {
      // The hidden line is queued before the shown one, so it would be written too if it reached
      // JS after logging was on again.
      const r = diff.child(`const l = require('./${MODULE}');
        const native = require('./lib/internal/native');
        l.get('Client').transports.console.level = 'none';
        native.emitTestLog(0, 'hidden error');
        setTimeout(() => {
          l.get('Client').transports.console.level = 'error';
          native.emitTestLog(0, 'shown error');
          setTimeout(() => {}, 200);
        }, 200);`, { env: { GEARMANODE_LOG: undefined } });
      assert.strictEqual(r.status, 0, r.stderr);
      r.stderr.should.equal('error: [gearmanode::test] shown error\n');
    });

    it('silences the library as 0.9.2 (winston 2) did with transports.console.level = \'none\' (differential, fresh processes)', function () {
      const probe = (pkg, level) => `
        const g = require(${JSON.stringify(pkg)});
        const js = require(${JSON.stringify(pkg + '/lib/gearmanode/job-server')}).JobServer;
        g.Client.logger.transports.console.level = ${JSON.stringify(level)};
        for (const l of [g.Client.logger, g.Worker.logger, js.logger]) {
          for (const lvl of ${JSON.stringify(NAMES)}) l.log(lvl, 'marker-' + lvl);
        }
        process.stdout.write('read back: ' + g.Worker.logger.transports.console.level + '\\n');`;
      const markers = (r) => (r.stdout + r.stderr).split('\n').filter((line) => /marker-/.test(line));
      const env = { GEARMANODE_LOG: undefined };
      const orig = diff.child(probe('gearmanode-original', 'none'), { env });
      const ours = diff.child(probe('.', 'none'), { env });
      assert.strictEqual(orig.status, 0, orig.stderr);
      assert.strictEqual(ours.status, 0, ours.stderr);
      markers(orig).should.eql([]);
      markers(ours).should.eql([]);
      orig.stdout.should.match(/^read back: none$/m);
      ours.stdout.should.equal('read back: none\n');
      ours.stderr.should.equal(''); // no warning
      // The probe does see lines when a level lets them through.
      markers(diff.child(probe('gearmanode-original', 'error'), { env })).should.have.length(3);
      markers(diff.child(probe('.', 'error'), { env })).should.have.length(3);
    });

    it('isLevelEnabled(level) is true when level is at least as important as the current one', function () {
      const l = loggers.get('Client');
      for (const [ci, current] of NAMES.entries()) {
        loggers.setLevel(current);
        NAMES.map((lvl) => l.isLevelEnabled(lvl)).should.eql(NAMES.map((lvl, i) => i <= ci), current);
      }
      l.isLevelEnabled('nonsense').should.be.false();
      l.isLevelEnabled('constructor').should.be.false();
    });

    it('differs on purpose from the original, whose isLevelEnabled was inverted (COMPATIBILITY.md#fixed-13)', function () {
      diff.orig(''); // the original's main module adds isLevelEnabled to its loggers
      const o = diff.orig('lib/gearmanode/load-balancing').Sequence.super_.logger;
      const console0 = o.transports.console;
      const saved = console0.level;
      try {
        console0.level = 'silly';
        o.isLevelEnabled('debug').should.be.false(); // the defect: debug lines hidden at silly
        o.isLevelEnabled('silly').should.be.true();
        console0.level = 'error';
        o.isLevelEnabled('debug').should.be.true(); // and shown at error
      } finally {
        console0.level = saved;
      }
      loggers.setLevel('silly');
      loggers.get('LBStrategy').isLevelEnabled('debug').should.be.true();
      loggers.setLevel('error');
      loggers.get('LBStrategy').isLevelEnabled('debug').should.be.false();
    });
  });

  describe('writing lines', function () {
    it('log(level, format, ...args) formats util.format style when the level is on', function () {
      const { lines, sink } = collector();
      loggers.setLogger(sink);
      loggers.setLevel('debug');
      const l = loggers.get('Client');
      l.log('debug', 'job %s sent %d bytes %j', 'H:1', 28, { a: 1 }).should.equal(l);
      l.log('info', 'no format args');
      l.log('error', 'extra', 1, 'x');
      lines.should.eql([
        ['debug', 'job H:1 sent 28 bytes {"a":1}', { logger: 'Client' }],
        ['info', 'no format args', { logger: 'Client' }],
        ['error', 'extra 1 x', { logger: 'Client' }],
      ]);
    });

    it('writes nothing and formats nothing when the level is off (or unknown)', function () {
      const { lines, sink } = collector();
      loggers.setLogger(sink);
      loggers.setLevel('info');
      const format = sinon.spy(util, 'format');
      let touched = 0;
      const costly = { toString() { touched++; return 'x'; }, [util.inspect.custom]() { touched++; return 'x'; } };
      try {
        const l = loggers.get('Worker');
        l.log('debug', 'a %s', costly);
        l.log('verbose', 'a %s', costly);
        l.log('bogus', 'a %s', costly);
        l.debug('a %s', costly);
        l.silly('a %s', costly);
        l.verbose('a %s', costly);
        format.callCount.should.equal(0);
        touched.should.equal(0);
        lines.should.eql([]);
        l.info('a %s', costly);
        format.callCount.should.equal(1);
        lines.should.eql([['info', 'a x', { logger: 'Worker' }]]);
      } finally {
        format.restore();
      }
    });

    it('has the six shortcuts, each at its own level', function () {
      const { lines, sink } = collector();
      loggers.setLogger(sink);
      loggers.setLevel('silly');
      const l = loggers.get('JobServer');
      for (const name of NAMES) {
        l[name]('%s line', name).should.equal(l);
      }
      lines.map(([level, message]) => [level, message]).should.eql(NAMES.map((n) => [n, n + ' line']));
      lines.length = 0;
      loggers.setLevel('warn');
      for (const name of NAMES) {
        l[name]('%s line', name);
      }
      lines.map(([level]) => level).should.eql(['error', 'warn']);
    });

    it('the default sink writes "<level>: [<name>] <message>" lines to stderr', function () {
      loggers.setLevel('info');
      const r = diff.capture(() => {
        loggers.get('Client').info('hello %d', 1);
        loggers.get('protocol').error('bad');
        loggers.get('protocol').debug('hidden');
      });
      r.stderr.should.equal('info: [Client] hello 1\nerror: [protocol] bad\n');
      r.stdout.should.equal('');
    });
  });

  describe('setLogger', function () {
    it('takes a function (level, message, meta) and returns the previous sink', function () {
      const a = collector();
      const b = collector();
      should(loggers.setLogger(a.sink)).be.null();
      loggers.setLogger(b.sink).should.equal(a.sink);
      loggers.get('Job').warn('w');
      a.lines.should.eql([]);
      b.lines.should.eql([['warn', 'w', { logger: 'Job' }]]);
      loggers.setLogger(null).should.equal(b.sink);
    });

    it('takes a winston-like object: sink.log(level, message, meta)', function () {
      const winstonLike = { log: sinon.spy(), error: sinon.spy() };
      loggers.setLogger(winstonLike);
      loggers.get('Client').error('boom %d', 7);
      winstonLike.log.calledOnceWithExactly('error', 'boom 7', { logger: 'Client' }).should.be.true();
      winstonLike.error.called.should.be.false();
    });

    it('takes a pino-like object (level methods, no log): sink[level](message), with fallbacks', function () {
      const pinoLike = { error: sinon.spy(), warn: sinon.spy(), info: sinon.spy(), debug: sinon.spy(), trace: sinon.spy() };
      loggers.setLogger(pinoLike);
      loggers.setLevel('silly');
      const l = loggers.get('Worker');
      l.error('e');
      l.info('i');
      l.verbose('v'); // pino has no verbose: debug
      l.silly('s'); // nor silly: trace
      pinoLike.error.calledOnceWithExactly('e').should.be.true();
      pinoLike.info.calledOnceWithExactly('i').should.be.true();
      pinoLike.debug.calledOnceWithExactly('v').should.be.true();
      pinoLike.trace.calledOnceWithExactly('s').should.be.true();
      pinoLike.warn.called.should.be.false();
    });

    it('null (or undefined) restores the default sink', function () {
      const { lines, sink } = collector();
      loggers.setLogger(sink);
      loggers.setLogger(undefined).should.equal(sink);
      const r = diff.capture(() => loggers.get('Client').warn('back'));
      r.stderr.should.equal('warn: [Client] back\n');
      lines.should.eql([]);
    });

    it('throws TypeError for something that cannot take a line, and keeps the sink', function () {
      const { sink } = collector();
      loggers.setLogger(sink);
      for (const bad of [5, 'stderr', {}, { write() {} }, true]) {
        (() => loggers.setLogger(bad)).should.throw(TypeError);
      }
      loggers.setLogger(null).should.equal(sink);
    });

    it('a throwing sink never throws out of the library; the failure goes to stderr', function () {
      loggers.setLogger(() => { throw new Error('sink down'); });
      const r = diff.capture(() => loggers.get('Client').error('lost line'));
      should(r.threw).be.undefined();
      r.stderr.should.match(/^error: \[logger\] log sink failed: Error: sink down/);
      r.stderr.should.match(/line was: lost line\n$/);
    });
  });

  describe('the Rust core\'s lines (tracing → the same level and sink)', function () {
    it('a core line reaches a sink installed with setLogger at debug', async function () {
      const { lines, sink } = collector();
      loggers.setLogger(sink);
      loggers.setLevel('debug');
      native.emitTestLog(4, 'core says hi');
      native.emitTestLog(2, 'core info');
      (await flushCore(lines)).should.eql([
        ['debug', 'core says hi', { logger: 'gearmanode::test' }],
        ['info', 'core info', { logger: 'gearmanode::test' }],
      ]);
    });

    it('does not reach it at warn (nor at verbose: tracing DEBUG is debug)', async function () {
      const { lines, sink } = collector();
      loggers.setLogger(sink);
      loggers.setLevel('warn');
      native.emitTestLog(4, 'hidden debug');
      native.emitTestLog(2, 'hidden info');
      native.emitTestLog(1, 'shown warn');
      (await flushCore(lines)).should.eql([['warn', 'shown warn', { logger: 'gearmanode::test' }]]);
      lines.length = 0;
      loggers.get('Client').transports.console.level = 'verbose';
      native.emitTestLog(4, 'hidden debug');
      native.emitTestLog(2, 'shown info');
      (await flushCore(lines)).map(([level, message]) => [level, message]).should.eql([['info', 'shown info']]);
    });

    it('maps TRACE to silly, and follows a level change at once', async function () {
      const { lines, sink } = collector();
      loggers.setLogger(sink);
      loggers.setLevel('debug');
      native.emitTestLog(5, 'trace off');
      loggers.setLevel('silly');
      native.emitTestLog(5, 'trace on');
      (await flushCore(lines)).map(([level, message]) => [level, message]).should.eql([['silly', 'trace on']]);
    });

    it('goes to the default sink (stderr) too', function () {
      const r = diff.child(`require('./${MODULE}');
        require('./lib/internal/native').emitTestLog(4, 'from a core thread');
        setTimeout(() => {}, 200);`, { env: { GEARMANODE_LOG: 'debug', GEARMANODE_TEST_HOOKS: '1' } });
      assert.strictEqual(r.status, 0, r.stderr);
      r.stderr.should.equal('debug: [gearmanode::test] from a core thread\n');
    });

    it('never keeps the process alive (the sink is a weak threadsafe function)', function () {
      const started = Date.now();
      const r = diff.child(`require('./${MODULE}');
        const native = require('./lib/internal/native');
        for (let i = 0; i < 100; i++) native.emitTestLog(1, 'line ' + i);`, { env: { GEARMANODE_LOG: 'silly', GEARMANODE_TEST_HOOKS: '1' } });
      assert.strictEqual(r.status, 0, r.stderr); // spawnSync gives status null after its timeout
      (Date.now() - started).should.be.below(10000);
    });
  });

  describe('standalone loading (COMPATIBILITY.md#fixed-1, #fixed-14, #fixed-15)', function () {
    it('loads alone in a fresh process, adds no globals, prints no deprecation warning', function () {
      const r = diff.standalone(MODULE, `const l = m.get('Client'); l.transports.console.level = 'error';
        return [m.getLevel(), m.get('Worker').isLevelEnabled('warn'), typeof l.debug];`);
      assert.strictEqual(r.status, 0, r.stderr);
      r.addedGlobals.should.eql([]);
      r.result.should.eql(['error', false, 'function']);
      r.stderr.should.equal('');
    });
  });
});
