'use strict';
// lib/gearmanode/server-manager.js: COMPATIBILITY.md#servermanager (the ServerManager mixin:
// initServers and every Error message, defaults written into the caller's entries, duplicates,
// COMPATIBILITY.md#fixed-12, closeServers, the uid lookups, the abstract methods, working on a
// minimal owner `{_type, emit}`), with differential checks against the original gearmanode 0.9.2.
require('should');
const assert = require('assert');
const util = require('util');
const sinon = require('sinon');
const diff = require('./support/differential');
const { defaultServer } = require('./support/hooks');
const { fakeOwner } = require('./support/fake-owner');
const { ServerManager } = require('../lib/gearmanode/server-manager');
const { JobServer } = require('../lib/gearmanode/job-server');
const { Client } = require('../lib/gearmanode/client');
const { Worker } = require('../lib/gearmanode/worker');

const MODULE = 'lib/gearmanode/server-manager';
const SM_METHODS = ['initServers', 'closeServers', '_getJobServerIndexByUid', '_getJobServerByUid', '_response',
  '_unrecoverableError'];

/** Runs initServers on a fresh minimal owner; returns {ret, owner}. */
function init(options, type = 'Client', SM = ServerManager) {
  const owner = fakeOwner({ type });
  const ret = SM.prototype.initServers.call(owner, options);
  return { ret, owner };
}

/** The Error initServers returns for `options`, asserting it returns one and sets no usable server list. */
function initError(options) {
  const { ret } = init(options);
  assert.ok(ret instanceof Error, 'returns an Error for ' + util.inspect(options) + ', got ' + util.inspect(ret));
  return ret.message;
}

describe('ServerManager', function () {
  before(function () {
    diff.orig(''); // the original's modules need its main module loaded (COMPATIBILITY.md#fixed-14)
  });

  describe('module and mixin', function () {
    it('exports ServerManager, a no-op constructor with a static mixin', function () {
      Object.keys(require('../lib/gearmanode/server-manager')).should.eql(['ServerManager']);
      Object.keys(new ServerManager()).should.eql([]);
      ServerManager.mixin.should.be.a.Function();
    });

    it('has the six methods as own enumerable prototype properties', function () {
      Object.keys(ServerManager.prototype).should.eql(SM_METHODS);
      for (const k of SM_METHODS) ServerManager.prototype[k].should.be.a.Function();
      diff.same(MODULE, (m) => Object.keys(m.ServerManager.prototype));
    });

    it('mixin(Ctor) copies them onto Ctor.prototype (same functions, own enumerable keys)', function () {
      function Ctor() {}
      Ctor.prototype.mine = 1;
      ServerManager.mixin(Ctor);
      Object.keys(Ctor.prototype).should.eql(['mine'].concat(SM_METHODS));
      for (const k of SM_METHODS) Ctor.prototype[k].should.equal(ServerManager.prototype[k]);
    });

    it('Client and Worker carry the copies (and override the two abstract ones)', function () {
      for (const C of [Client, Worker]) {
        for (const k of SM_METHODS) {
          Object.prototype.hasOwnProperty.call(C.prototype, k).should.be.true();
          Object.getOwnPropertyDescriptor(C.prototype, k).enumerable.should.be.true();
        }
        for (const k of SM_METHODS.slice(0, 4)) C.prototype[k].should.equal(ServerManager.prototype[k]);
        for (const k of SM_METHODS.slice(4)) C.prototype[k].should.not.equal(ServerManager.prototype[k]);
      }
    });

    it('_response and _unrecoverableError throw Error(\'unimplemented abstract method\')', function () {
      (() => ServerManager.prototype._response()).should.throw(Error, { message: 'unimplemented abstract method' });
      (() => ServerManager.prototype._unrecoverableError('x'))
        .should.throw(Error, { message: 'unimplemented abstract method' });
    });
  });

  describe('initServers(options)', function () {
    it('refuses an owner without an own _type: Error(\'this object is neither Client nor Worker\')', function () {
      const inherited = Object.create({ _type: 'Client' });
      const r = ServerManager.prototype.initServers.call(inherited, {});
      r.should.be.an.Error();
      r.message.should.equal('this object is neither Client nor Worker');
      Object.keys(inherited).should.eql([]);
      ServerManager.prototype.initServers.call({}, {}).message.should.equal('this object is neither Client nor Worker');
      // an own _type is enough, whatever its value
      const o = { _type: undefined };
      assert.strictEqual(ServerManager.prototype.initServers.call(o, {}), undefined);
      o.jobServers.should.have.length(1);
    });

    it('returns undefined and builds [localhost:4730] without options, with null and with {}', function () {
      for (const options of [undefined, null, {}]) {
        const { ret, owner } = init(options);
        assert.strictEqual(ret, undefined);
        owner.jobServers.map((js) => js.getUid()).should.eql(['localhost:4730']);
        owner.jobServers[0].should.be.an.instanceOf(JobServer);
      }
    });

    it('takes host and port (any non-null values, \'4730\' included)', function () {
      init({ host: 'h' }).owner.jobServers[0].getUid().should.equal('h:4730');
      init({ port: 1 }).owner.jobServers[0].getUid().should.equal('localhost:1');
      const js = init({ host: 'h', port: '4730' }).owner.jobServers[0];
      js.port.should.equal('4730');
      init({ host: 0, port: 0 }).owner.jobServers[0].getUid().should.equal('0:0');
    });

    it('works on a shallow clone: the caller\'s top-level options get no defaults', function () {
      const options = { host: undefined };
      init(options);
      Object.keys(options).should.eql(['host']);
      assert.strictEqual(options.host, undefined);
    });

    it('returns Error(\'unknow option: <k>\') for an unknown key', function () {
      initError({ foo: 1 }).should.equal('unknow option: foo');
      initError({ host: 'h', loadBalancing: 'Sequence' }).should.equal('unknow option: loadBalancing');
    });

    it('returns Error(\'servers: not an array\') for a non-Array, undefined or null servers key', function () {
      initError({ servers: 5 }).should.equal('servers: not an array');
      initError({ servers: 'ab' }).should.equal('servers: not an array');
      initError({ servers: {} }).should.equal('servers: not an array');
      initError({ servers: null }).should.equal('servers: not an array');
      initError({ servers: undefined }).should.equal('servers: not an array');
    });

    it('returns Error(\'servers: empty array\') for []', function () {
      initError({ servers: [] }).should.equal('servers: empty array');
    });

    it('ignores host and port when servers is given', function () {
      const { owner } = init({ host: 'a', port: 9, servers: [{ host: 'b' }] });
      owner.jobServers.map((js) => js.getUid()).should.eql(['b:4730']);
    });

    it('writes the host/port defaults into the caller\'s entries (the same objects)', function () {
      const e1 = {};
      const e2 = { port: 1 };
      const e3 = { host: 'c', port: undefined };
      const { ret, owner } = init({ servers: [e1, e2, e3] });
      assert.strictEqual(ret, undefined);
      e1.should.eql({ host: 'localhost', port: 4730 });
      Object.keys(e2).should.eql(['port', 'host']);
      e2.should.eql({ port: 1, host: 'localhost' });
      e3.should.eql({ host: 'c', port: 4730 });
      owner.jobServers.map((js) => js.getUid()).should.eql(['localhost:4730', 'localhost:1', 'c:4730']);
    });

    it('links every server to the owner (clientOrWorker, an own enumerable key, last) and keeps order', function () {
      const { owner } = init({ servers: [{ host: 'a' }, { host: 'b' }] });
      for (const js of owner.jobServers) {
        js.clientOrWorker.should.equal(owner);
        Object.keys(js).should.eql(['host', 'port', 'connected', 'jobsWaiting4Created', 'wrongDisconnectAt',
          'failedConnectionCount', 'clientOrWorker']);
      }
    });

    it('makes a new jobServers array on every call', function () {
      const owner = fakeOwner();
      ServerManager.prototype.initServers.call(owner, {});
      const first = owner.jobServers;
      ServerManager.prototype.initServers.call(owner, { port: 2 });
      owner.jobServers.should.not.equal(first);
      owner.jobServers.map((js) => js.getUid()).should.eql(['localhost:2']);
    });

    it('detects duplicates by uid string: 4730 == \'4730\' → Error(\'duplicate server, uid=<uid>\')', function () {
      initError({ servers: [{ port: 4730 }, { port: '4730' }] }).should.equal('duplicate server, uid=localhost:4730');
      initError({ servers: [{}, {}] }).should.equal('duplicate server, uid=localhost:4730');
      initError({ servers: [{ host: 'a', port: 1 }, { host: 'b' }, { host: 'a', port: '1' }] })
        .should.equal('duplicate server, uid=a:1');
      // different hosts for the same machine are different uids
      assert.strictEqual(init({ servers: [{ host: 'localhost' }, { host: '127.0.0.1' }] }).ret, undefined);
    });

    it('keeps the servers built before a duplicate (as the original)', function () {
      const { owner } = init({ servers: [{ host: 'a' }, { host: 'a' }] });
      owner.jobServers.map((js) => js.getUid()).should.eql(['a:4730']);
    });

    it('returns the JobServer Error for a bad first entry (null, host: null, port: null, unknown key)', function () {
      initError({ servers: [null] }).should.equal('missing mandatory option: host');
      initError({ servers: [{ host: null }] }).should.equal('missing mandatory option: host');
      initError({ servers: [{ port: null }] }).should.equal('missing mandatory option: port');
      initError({ servers: [{ x: 1 }] }).should.equal('unknow option: x');
      initError({ host: null }).should.equal('missing mandatory option: host');
      initError({ port: null }).should.equal('missing mandatory option: port');
    });

    describe('COMPATIBILITY.md#fixed-12: a bad non-first entry returns the Error (the original threw TypeError)', function () {
      const cases = [
        [[{}, null], 'missing mandatory option: host'],
        [[{}, { host: null }], 'missing mandatory option: host'],
        [[{}, { port: null }], 'missing mandatory option: port'],
        [[{}, { x: 1 }], 'unknow option: x'],
        [[{ host: 'a' }, { host: 'b' }, { host: 'c', port: null }], 'missing mandatory option: port'],
      ];
      for (const [servers, message] of cases) {
        it(`${util.inspect(servers)} → Error('${message}')`, function () {
          let r;
          (() => { r = init({ servers }); }).should.not.throw();
          r.ret.should.be.an.Error();
          r.ret.message.should.equal(message);
        });
      }

      it('the original throws TypeError there (differential, documents the fix)', function () {
        const r = diff.both(MODULE, (m) => init({ servers: [{}, null] }, 'Client', m.ServerManager).ret);
        r.orig.threw.should.be.an.instanceOf(TypeError);
        r.ours.value.message.should.equal('missing mandatory option: host');
      });
    });

    it('matches the original on a table of options (differential; entries checked after the call)', function () {
      const table = [
        () => undefined, () => null, () => ({}), () => ({ host: 'h' }), () => ({ port: 1 }),
        () => ({ host: 'h', port: '4730' }), () => ({ foo: 1 }), () => ({ servers: 5 }), () => ({ servers: [] }),
        () => ({ servers: undefined }), () => ({ servers: null }), () => ({ servers: [{}] }),
        () => ({ servers: [{ host: 'a' }, { host: 'b', port: 1 }] }), () => ({ servers: [{ port: 4730 }, { port: '4730' }] }),
        () => ({ servers: [{ host: 'a' }, { host: 'a' }] }), () => ({ servers: [null] }),
        () => ({ servers: [{ host: null }] }), () => ({ servers: [{ port: null }] }), () => ({ servers: [{ x: 1 }] }),
        () => ({ servers: [{ host: undefined, port: undefined }] }), () => ({ host: undefined, port: undefined }),
        () => ({ servers: [{}], host: 'x' }), () => ({ host: null }), () => ({ port: null }), () => ({ servers: 'ab' }),
        () => ({ servers: [5] }), () => ({ servers: ['ab'] }), () => ({ servers: [{ host: '' }] }),
        () => ({ servers: [{ host: 0, port: 0 }] }), () => ({ servers: [{ host: 'a', port: 1, x: 2 }] }),
      ];
      for (const make of table) {
        diff.same(MODULE, (m) => {
          const options = make();
          const { ret, owner } = init(options, 'Worker', m.ServerManager);
          return {
            ret,
            options,
            uids: owner.jobServers && owner.jobServers.map((js) => js.getUid()),
            linked: owner.jobServers && owner.jobServers.every((js) => js.clientOrWorker === owner),
          };
        }, 'options: ' + util.inspect(make()));
      }
    });
  });

  describe('closeServers()', function () {
    it('calls js.disconnect() with no argument on each server in order, then deletes clientOrWorker', function () {
      const { owner } = init({ servers: [{ host: 'a' }, { host: 'b' }, { host: 'c' }] });
      const servers = owner.jobServers.slice();
      const order = [];
      for (const js of servers) {
        const real = js.disconnect;
        js.disconnect = function (...args) {
          order.push([js.getUid(), args.length, 'clientOrWorker' in js]);
          return real.apply(this, args);
        };
      }
      assert.strictEqual(ServerManager.prototype.closeServers.call(owner), undefined);
      order.should.eql([['a:4730', 0, true], ['b:4730', 0, true], ['c:4730', 0, true]]);
      for (const js of servers) ('clientOrWorker' in js).should.be.false();
      owner.jobServers.should.eql(servers); // the array is kept
    });

    it('emits socketDisconnect(uid, undefined) once per server, never-connected ones included', function () {
      const { owner } = init({ servers: [{ host: 'a' }, { host: 'b' }] });
      ServerManager.prototype.closeServers.call(owner);
      owner.events.should.eql([['socketDisconnect', 'a:4730', undefined], ['socketDisconnect', 'b:4730', undefined]]);
      for (const js of owner.jobServers) {
        js.connected.should.be.false();
        js.failedConnectionCount.should.equal(0); // no argument: not a wrong disconnect
        js.wrongDisconnectAt.should.equal(0);
      }
    });

    it('closes the jobs waiting for JOB_CREATED, before the owner hears socketDisconnect', function () {
      const { owner } = init({});
      const js = owner.jobServers[0];
      const order = [];
      const job = { close: () => order.push('job.close') };
      js.jobsWaiting4Created.push(job, job);
      const emit = owner.emit;
      owner.emit = function (...a) {
        order.push(a[0]);
        return emit.apply(this, a);
      };
      const fifo = js.jobsWaiting4Created;
      ServerManager.prototype.closeServers.call(owner);
      order.should.eql(['job.close', 'job.close', 'socketDisconnect']);
      js.jobsWaiting4Created.should.equal(fifo); // emptied in place
      fifo.should.have.length(0);
    });

    it('emits the same events as the original (differential)', function () {
      diff.same(MODULE, (m) => {
        const { owner } = init({ servers: [{ host: 'a' }, { port: 2 }] }, 'Worker', m.ServerManager);
        m.ServerManager.prototype.closeServers.call(owner);
        return { events: owner.events, kept: owner.jobServers.map((js) => [js.getUid(), 'clientOrWorker' in js]) };
      });
    });
  });

  describe('uid lookups', function () {
    let owner;
    beforeEach(function () {
      owner = init({ servers: [{ port: 1 }, { port: 2 }, { port: 3 }] }).owner;
    });

    it('_getJobServerIndexByUid(uid): the first index with getUid() === uid, else undefined', function () {
      owner._getJobServerIndexByUid = ServerManager.prototype._getJobServerIndexByUid;
      owner._getJobServerIndexByUid('localhost:1').should.equal(0);
      owner._getJobServerIndexByUid('localhost:3').should.equal(2);
      assert.strictEqual(owner._getJobServerIndexByUid('localhost:4'), undefined);
      assert.strictEqual(owner._getJobServerIndexByUid(), undefined);
      // strict: a number is not the uid string
      owner.jobServers[1].getUid = () => 7;
      assert.strictEqual(owner._getJobServerIndexByUid('7'), undefined);
      owner._getJobServerIndexByUid(7).should.equal(1);
    });

    it('asks each server\'s current getUid (first match wins)', function () {
      owner._getJobServerIndexByUid = ServerManager.prototype._getJobServerIndexByUid;
      owner.jobServers[2].getUid = () => 'localhost:1';
      owner._getJobServerIndexByUid('localhost:1').should.equal(0);
      owner.jobServers[0].getUid = () => 'x';
      owner._getJobServerIndexByUid('localhost:1').should.equal(2);
    });

    it('_getJobServerByUid(uid): that server or undefined, through the owner\'s current _getJobServerIndexByUid', function () {
      owner._getJobServerIndexByUid = ServerManager.prototype._getJobServerIndexByUid;
      owner._getJobServerByUid = ServerManager.prototype._getJobServerByUid;
      owner._getJobServerByUid('localhost:2').should.equal(owner.jobServers[1]);
      assert.strictEqual(owner._getJobServerByUid('nope'), undefined);
      const stub = sinon.stub().returns(2);
      owner._getJobServerIndexByUid = stub;
      owner._getJobServerByUid('whatever').should.equal(owner.jobServers[2]);
      stub.calledOnceWithExactly('whatever').should.be.true();
    });

    it('match the original (differential)', function () {
      diff.same(MODULE, (m) => {
        const o = init({ servers: [{ port: 1 }, { port: 2 }] }, 'Worker', m.ServerManager).owner;
        const P = m.ServerManager.prototype;
        o._getJobServerIndexByUid = P._getJobServerIndexByUid;
        return [P._getJobServerIndexByUid.call(o, 'localhost:2'), P._getJobServerIndexByUid.call(o, 'x'),
          P._getJobServerByUid.call(o, 'localhost:1') === o.jobServers[0], P._getJobServerByUid.call(o, 'nope')];
      });
    });
  });

  describe('a minimal owner {_type, emit} (no EventEmitter)', function () {
    it('initServers, a real connect to gearmand, disconnect and closeServers all work', function (done) {
      const owner = fakeOwner({ type: 'Worker' });
      Object.keys(owner).should.eql(['_type', 'emit']);
      assert.strictEqual(ServerManager.prototype.initServers.call(owner, { servers: [defaultServer.server] }), undefined);
      const js = owner.jobServers[0];
      const uid = js.getUid();
      js.connect(function (err) {
        try {
          assert.strictEqual(err, undefined);
          js.connected.should.be.true();
          owner.events.should.eql([['socketConnect', uid]]);
          ServerManager.prototype.closeServers.call(owner);
          owner.events.should.eql([['socketConnect', uid], ['socketDisconnect', uid, undefined]]);
          js.connected.should.be.false();
          ('socket' in js).should.be.false();
          ('clientOrWorker' in js).should.be.false();
          done();
        } catch (e) {
          done(e);
        }
      });
    });
  });
});
