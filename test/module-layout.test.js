'use strict';
// COMPATIBILITY.md#module-layout (paths, exports in order, own prototype methods, static loggers,
// factories, EventEmitter subclasses, the main module's info line) and COMPATIBILITY.md#fixed-1 (no
// implicit globals), #fixed-14 (every module works standalone) and #fixed-15 (no DEP0005), each in a
// fresh process.
require('should');
const assert = require('assert');
const crypto = require('crypto');
const EventEmitter = require('events');
const diff = require('./support/differential');
const { defaultServer } = require('./support/hooks');

const LAYOUT = {
  '': ['client', 'worker', 'Client', 'Worker', 'Job'],
  'lib/gearmanode': ['client', 'worker', 'Client', 'Worker', 'Job'],
  'lib/gearmanode/client': ['Client'],
  'lib/gearmanode/worker': ['Worker'],
  'lib/gearmanode/job': ['Job'],
  'lib/gearmanode/job-server': ['CONSTANTS', 'JobServer'],
  'lib/gearmanode/load-balancing': ['Sequence', 'RoundRobin'],
  'lib/gearmanode/protocol': ['CONSTANTS', 'DEFINITION', 'PACKET_TYPES', 'PACKET_CODES', 'PACKET_RESP_FORMAT',
    'parsePacket', 'encodePacket'],
  'lib/gearmanode/server-manager': ['ServerManager'],
  'lib/gearmanode/common': ['verifyOptions', 'verifyAndSanitizeOptions', 'isString', 'isNumber', 'clone', 'mixin',
    'bufferAsHex', 'nullFunction', 'abstractMethod', 'createUUID'],
  'lib/gearmanode/version': ['VERSION_HISTORY', 'VERSION'],
};

const SM = ['initServers', 'closeServers', '_getJobServerIndexByUid', '_getJobServerByUid', '_response',
  '_unrecoverableError'];
const JOB_EXTRAS = ['getStatus', 'workComplete', 'sendWorkData', 'reportStatus', 'reportError', 'reportException',
  'reportWarning', '_sendAndClose'];

const main = diff.ours('');
const { Client, Worker, Job } = main;
const { JobServer } = diff.ours('lib/gearmanode/job-server');
const { ServerManager } = diff.ours('lib/gearmanode/server-manager');
const LBStrategy = diff.ours('lib/gearmanode/load-balancing').Sequence.super_;

const PROTOTYPES = {
  ServerManager: [ServerManager, SM],
  Client: [Client, SM.concat(['close', 'submitJob', 'toString', '_getJobServer'])],
  Worker: [Worker, SM.concat(['addFunction', 'removeFunction', 'resetAbilities', 'setWorkerId', 'close', 'toString',
    '_getFunction', '_preSleep'])],
  Job: [Job, ['close', 'getPacketType', 'toString', 'getUid'].concat(JOB_EXTRAS)],
  JobServer: [JobServer, ['connect', 'disconnect', 'echo', 'setOption', 'send', '_processData', 'getUid', 'toString']],
  LBStrategy: [LBStrategy, ['nextIndex', 'goodOne', 'badOne', '_searchNextGood']],
};

const sorted = (a) => a.slice().sort();

/** The own enumerable prototype keys whose values are functions. */
function ownMethods(Ctor) {
  return Object.keys(Ctor.prototype).filter((k) => typeof Ctor.prototype[k] === 'function');
}

describe('module layout (COMPATIBILITY.md#module-layout)', function () {
  describe('paths and exports', function () {
    for (const [path, keys] of Object.entries(LAYOUT)) {
      it(`${path || 'the package root'} exports ${keys.join(', ')}, in order (as the original)`, function () {
        Object.keys(diff.ours(path)).should.eql(keys);
        Object.keys(diff.orig(path)).should.eql(keys);
      });
    }

    it('index.js (the package entry) is the main module', function () {
      diff.ours('index.js').should.equal(diff.ours('lib/gearmanode'));
    });

    it('the extras of the main module (VERSION, errors, setLogger, setLogLevel) are not enumerable', function () {
      for (const k of ['VERSION', 'errors', 'setLogger', 'setLogLevel']) {
        assert.ok(k in main, k);
        Object.getOwnPropertyDescriptor(main, k).enumerable.should.be.false();
      }
    });
  });

  describe('classes', function () {
    for (const [name, [Ctor, methods]] of Object.entries(PROTOTYPES)) {
      it(`${name}.prototype has exactly 0.9.2's own (enumerable) methods`, function () {
        sorted(ownMethods(Ctor)).should.eql(sorted(methods));
        for (const m of methods) Object.prototype.hasOwnProperty.call(Ctor.prototype, m).should.be.true();
      });
    }

    it('the prototypes have the original\'s method sets (differential)', function () {
      const o = diff.orig('');
      const oj = diff.orig('lib/gearmanode/job-server').JobServer;
      const ol = diff.orig('lib/gearmanode/load-balancing').Sequence.super_;
      const os = diff.orig('lib/gearmanode/server-manager').ServerManager;
      const pairs = [[Client, o.Client], [Worker, o.Worker], [Job, o.Job], [JobServer, oj], [LBStrategy, ol],
        [ServerManager, os]];
      for (const [ours, orig] of pairs) sorted(ownMethods(ours)).should.eql(sorted(ownMethods(orig)));
    });

    it('Client and Worker get the six ServerManager methods copied onto their prototypes', function () {
      for (const C of [Client, Worker]) {
        for (const m of SM.slice(0, 4)) C.prototype[m].should.equal(ServerManager.prototype[m]);
      }
    });

    it('Sequence and RoundRobin override nextIndex; LBStrategy\'s throws', function () {
      const lb = diff.ours('lib/gearmanode/load-balancing');
      for (const S of [lb.Sequence, lb.RoundRobin]) {
        S.super_.should.equal(LBStrategy);
        Object.prototype.hasOwnProperty.call(S.prototype, 'nextIndex').should.be.true();
      }
      (() => LBStrategy.prototype.nextIndex()).should.throw('unimplemented abstract method');
    });

    it('Client, Worker, Job and JobServer are EventEmitter subclasses with X.super_ === EventEmitter', function () {
      for (const C of [Client, Worker, Job, JobServer]) {
        C.super_.should.equal(EventEmitter);
        Object.getPrototypeOf(C.prototype).should.equal(EventEmitter.prototype);
      }
      const c = new Client({ port: defaultServer.refusedPort });
      c.should.be.an.instanceOf(EventEmitter);
      c.close();
    });

    it('Client() and Worker() without new throw TypeError', function () {
      (() => Client()).should.throw(TypeError); // eslint-disable-line new-cap
      (() => Worker()).should.throw(TypeError); // eslint-disable-line new-cap
      (() => Client.call({})).should.throw(TypeError);
    });

    it('the factories are `new X(o)`, and pass an Error on', function () {
      const c = main.client({ port: defaultServer.refusedPort });
      c.should.be.an.instanceOf(Client);
      c.close();
      const w = main.worker({ port: defaultServer.refusedPort });
      w.should.be.an.instanceOf(Worker);
      w.close();
      main.client({ foo: 1 }).should.be.an.Error().with.property('message', 'unknow option: foo');
      main.worker({ withUnique: 1 }).message.should.equal('value \'1\' not in defined range, key=withUnique');
    });

    it('static loggers on Client, Worker, Job, JobServer, LBStrategy (and protocol.logger) share one level', function () {
      const loggers = [Client.logger, Worker.logger, Job.logger, JobServer.logger, LBStrategy.logger,
        diff.ours('lib/gearmanode/protocol').logger];
      for (const l of loggers) {
        l.log.should.be.a.Function();
        l.isLevelEnabled.should.be.a.Function();
        l.transports.console.should.equal(Client.logger.transports.console);
      }
      new Set(loggers).size.should.equal(6);
      const saved = Client.logger.transports.console.level;
      try {
        Client.logger.transports.console.level = 'error';
        for (const l of loggers) l.isLevelEnabled('warn').should.be.false();
        Client.logger.transports.console.level = 'debug';
        for (const l of loggers) l.isLevelEnabled('debug').should.be.true();
      } finally {
        Client.logger.transports.console.level = saved;
      }
    });
  });

  describe('the main module\'s info line', function () {
    it('loading it logs one info line: GearmaNode <VERSION>, running on Node.js <v> [<platform> <arch>], with pid <pid>', function () {
      const r = diff.child(`
        const loggers = require('./lib/logger');
        const lines = [];
        loggers.setLogger((level, message) => lines.push([level, message]));
        const m = require('./lib/gearmanode');
        process.stdout.write(JSON.stringify({ lines, pid: process.pid, version: m.VERSION }));`,
      { env: { GEARMANODE_LOG: 'info' } });
      assert.strictEqual(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      out.lines.should.eql([['info', `GearmaNode ${out.version}, running on Node.js ${process.version} `
        + `[${process.platform} ${process.arch}], with pid ${out.pid}`]]);
    });

    it('goes to stderr by default at level info, and is not written at the default level (warn)', function () {
      const atInfo = diff.child('require(\'./lib/gearmanode\');', { env: { GEARMANODE_LOG: 'info' } });
      assert.strictEqual(atInfo.status, 0, atInfo.stderr);
      atInfo.stderr.should.match(/^info: .*GearmaNode \S+, running on Node\.js v\S+ \[\w+ \w+\], with pid \d+\n$/);
      const atWarn = diff.child('require(\'./lib/gearmanode\');', { env: { GEARMANODE_LOG: undefined } });
      assert.strictEqual(atWarn.status, 0, atWarn.stderr);
      atWarn.stderr.should.equal('');
      atWarn.stdout.should.equal('');
    });
  });

  describe('standalone loading in a fresh process (COMPATIBILITY.md#fixed-1, #fixed-14, #fixed-15)', function () {
    // Each snippet uses the module alone; the original threw `isLevelEnabled is not a function` in
    // several of these without its main module (COMPATIBILITY.md#fixed-14).
    const USES = {
      '': ['const c = m.client({ port: 4731 }); const r = [Object.keys(m), c instanceof m.Client, String(c)];'
        + ' c.close(); return r;',
      (r) => {
        r.slice(0, 2).should.eql([LAYOUT[''], true]);
        r[2].should.startWith('Client(jobServers=');
      }],
      'index.js': ['return Object.keys(m);', (r) => r.should.eql(LAYOUT[''])],
      'lib/gearmanode/client': [`const c = new m.Client({ port: 4731 }); const errors = [];
        c.on('error', (e) => errors.push(e.message));
        c._response(c.jobServers[0], 13, [0, 'H:1', Buffer.from('x')]);
        c.close(); return errors;`,
      (r) => r.should.eql(['unknown job, uid=localhost:4731#H:1']),
      /^error: \[Client\] unknown job, uid=localhost:4731#H:1\n$/],
      'lib/gearmanode/worker': [`const w = new m.Worker({ port: 4731 }); const errors = [];
        w.on('error', (e) => errors.push(e.message));
        const f = w._getFunction('nope'); const keys = Object.keys(w).slice(0, 6); w.close();
        return [errors, f === undefined, keys];`,
      (r) => r.should.eql([['function not found in locale register, name=nope'], true,
        ['withUnique', 'recoverTime', 'recoverLimit', '_type', 'jobServers', 'functions']]),
      /^error: \[Worker\] function not found in locale register, name=nope\n$/],
      'lib/gearmanode/job': [`const j = new m.Job({ _type: 'Client' }, { name: 'f', payload: 'p', priority: 'HIGH' });
        return [j.getPacketType(), j.getUid(), ${JSON.stringify(JOB_EXTRAS)}.map((k) => typeof m.Job.prototype[k])];`,
      (r) => r.should.eql([21, 'undefined#undefined', JOB_EXTRAS.map(() => 'function')])],
      'lib/gearmanode/job-server': [`const calls = [];
        const owner = { _type: 'Worker', emit: (...a) => calls.push(a[0]), _response: (js, t, p) => calls.push([t, p]) };
        const js = new m.JobServer({ host: 'h', port: 1 }); js.clientOrWorker = owner; js.connected = true;
        const noop = Buffer.from('\\0RES\\0\\0\\0\\x06\\0\\0\\0\\0', 'latin1');
        js._processData(noop.subarray(0, 5)); js._processData(noop.subarray(5));
        js.socket = { write: (d) => calls.push(d.length) };
        js.send(Buffer.from('\\0REQ\\0\\0\\0\\x04\\0\\0\\0\\0', 'latin1'));
        delete js.socket; js.disconnect(); return calls;`,
      (r) => r.should.eql([[6, [12]], 12, 'socketDisconnect'])],
      'lib/gearmanode/load-balancing': ['const s = new m.Sequence(2); s.badOne(0); return [s.nextIndex(), '
        + 'm.Sequence.super_.name];', (r) => r.should.eql([1, 'LBStrategy'])],
      'lib/gearmanode/protocol': [`const b = m.encodePacket(16, ['žluť']);
        b.writeUInt32BE(m.CONSTANTS.HEADER_RESP, 0); b.writeUInt32BE(17, 4);
        return m.parsePacket(b, m.PACKET_RESP_FORMAT[17]);`,
      (r) => r.should.eql([18, 'žluť'])],
      'lib/gearmanode/server-manager': [`const o = { _type: 'Client', emit() {} };
        const e = m.ServerManager.prototype.initServers.call(o, { servers: [{ port: 1 }, null] });
        return [e.message, o.jobServers.map((js) => js.getUid())];`,
      (r) => r.should.eql(['missing mandatory option: host', ['localhost:1']])],
      'lib/gearmanode/common': ['return [m.verifyAndSanitizeOptions({}, { a: 1 }), m.isString("x")];',
        (r) => r.should.eql([{ a: 1 }, true])],
      'lib/gearmanode/version': ['return m.VERSION === m.VERSION_HISTORY[0][0];', (r) => r.should.be.true()],
    };
    // `stderr`: what may appear there (the library's own error log line, at the default level).
    for (const [path, [use, check, stderr]] of Object.entries(USES)) {
      it(`${path || 'the package root'}: loads and works alone, adds no globals, no deprecation warning`, function () {
        const r = diff.standalone(path, use);
        assert.strictEqual(r.status, 0, r.stderr);
        r.addedGlobals.should.eql([]);
        check(r.result);
        if (stderr) r.stderr.should.match(stderr);
        else r.stderr.should.equal('');
      });
    }

    it('no implicit globals and no DEP0005 after a whole round trip (echo, option, split packets, both sides, a refused server)', function () {
      this.timeout(30000);
      const fn = 'fn-' + crypto.randomUUID();
      const r = diff.child(`
        const before = new Set(Object.keys(globalThis));
        const g = require('./lib/gearmanode');
        const server = { host: ${JSON.stringify(defaultServer.host)}, port: ${defaultServer.port} };
        const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
        const worker = g.worker({ servers: [server], withUnique: true });
        const client = g.client({ servers: [server] });
        const refused = g.client({ port: 4731 });
        refused.on('error', () => {});
        const out = {};
        const fail = (e) => { process.stdout.write(JSON.stringify({ error: String(e && e.stack || e) })); process.exit(3); };
        const timer = setTimeout(() => fail('timeout'), 20000);
        worker.addFunction(${JSON.stringify(fn)}, (job) => {
          job.sendWorkData(big);
          job.reportStatus(1, 2);
          job.workComplete(job.payload.toString() + '-done');
        });
        const js = client.jobServers[0];
        js.echo('žluť');
        js.once('echo', (t) => {
          out.echo = t;
          js.setOption('exceptions');
          js.once('option', (o) => {
            out.option = o;
            const job = client.submitJob(${JSON.stringify(fn)}, 'payload', { unique: 'u-' + Date.now() });
            let data = 0;
            job.on('workData', (d) => { data += d.length; });
            job.on('complete', () => {
              out.response = job.response.toString();
              out.data = data;
              refused.submitJob('x', 'y').on('error', () => {
                worker.close(); client.close(); refused.close();
                clearTimeout(timer);
                out.added = Object.keys(globalThis).filter((k) => !before.has(k));
                process.stdout.write(JSON.stringify(out));
                process.exit(0);
              });
            });
          });
        });`, { args: ['--pending-deprecation'], env: { GEARMANODE_LOG: undefined } });
      assert.strictEqual(r.status, 0, r.stdout + r.stderr);
      const out = JSON.parse(r.stdout);
      out.should.eql({ echo: 'žluť', option: 'exceptions', response: 'payload-done', data: 3 * 1024 * 1024, added: [] });
      r.stderr.should.not.match(/DEP0005|DeprecationWarning/);
    });
  });
});
