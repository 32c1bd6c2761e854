'use strict';
// The bad-input table of test/reliability/bad-input.test.js: wrong types and values for every public
// method and option. Each case is `{id, run(ctx), expect}`:
//   run(ctx)  makes one call and returns its result; ctx gives fresh objects of the library under
//             test (this package, or the original 0.9.2 in bad-input-original.js) pointed at a
//             recording fake server
//   expect    what this package must do:
//               {error: re}    return (not throw) an Error whose message matches
//               {ok: true}     return something that is not an Error, without throwing
//               {throws: re}   throw an error whose message matches (allowed only where the original
//                              throws too, or for encodePacket, which refuses by throwing)
//               {refused: re}  return an Error or throw one, matching (the original throws)
//   oursOnly  an option of this package only (no comparison with the original)
//   mayThrow  throwing is this API's way of refusing (protocol.encodePacket)
//
// Besides `expect`, the test applies 0.9.2's rule (COMPATIBILITY.md#ground-rules) to every case
// against the original's outcome: where gearmanode 0.9.2 did not throw, this package must not
// throw; where it returned an Error, this package returns one too.

const NOT_FN = 'not a function';
const boom = { toString() { throw new Error('boom'); } };

/** A 12-byte \0REQ header claiming `len` body bytes, followed by `body`. */
function rawPacket(type, len, body = Buffer.alloc(0)) {
  const h = Buffer.alloc(12);
  h.writeUInt32BE(0x00524551, 0);
  h.writeUInt32BE(type, 4);
  h.writeUInt32BE(len, 8);
  return Buffer.concat([h, body]);
}

const cases = [
  // ---- gearmanode.client(options)
  { id: "client('str')", run: (c) => c.g.client('str'), expect: { error: /^unknow option: 0$/ } },
  { id: 'client({foo: 1})', run: (c) => c.g.client({ foo: 1 }), expect: { error: /^unknow option: foo$/ } },
  { id: "client({servers: 'x'})", run: (c) => c.g.client({ servers: 'x' }), expect: { error: /^servers: not an array$/ } },
  { id: 'client({servers: []})', run: (c) => c.g.client({ servers: [] }), expect: { error: /^servers: empty array$/ } },
  { id: 'client({servers: [null]})', run: (c) => c.g.client({ servers: [null] }), expect: { error: /^missing mandatory option: host$/ } },
  {
    id: 'client({servers: [ok, {port: null}]})',
    run: (c) => c.g.client({ servers: [{ host: '127.0.0.1', port: c.port }, { port: null }] }),
    expect: { error: /^missing mandatory option: port$/ },
  },
  { id: "client({loadBalancing: 'roundrobin'})", run: (c) => c.g.client({ loadBalancing: 'roundrobin' }), expect: { error: /^unknow load balancing strategy: roundrobin$/ } },
  { id: "client({recoverTime: '5'})", run: (c) => c.g.client({ recoverTime: '5' }), expect: { error: /^option recoverTime is not number$/ } },
  {
    id: "client({port: 'abc'}).submitJob()",
    run: (c) => c.client({ port: 'abc' }).submitJob('f', 'p'),
    expect: { ok: true }, // gearmanode accepts any port value; the connection fails, asynchronously
  },
  { id: 'client({port: 70000}).submitJob()', run: (c) => c.client({ port: 70000 }).submitJob('f', 'p'), expect: { refused: /Port should be/ } },
  { id: "client({connectTimeout: 'x'})", run: (c) => c.client({ connectTimeout: 'x' }), oursOnly: true, expect: { error: /connectTimeout/ } },
  { id: 'client({connectTimeout: null})', run: (c) => c.client({ connectTimeout: null }), oursOnly: true, expect: { error: /connectTimeout/ } },
  { id: 'client({connectTimeout: -5})', run: (c) => c.client({ connectTimeout: -5 }), oursOnly: true, expect: { error: /connectTimeout/ } },
  { id: "client({maxPacketSize: 'big'})", run: (c) => c.client({ maxPacketSize: 'big' }), oursOnly: true, expect: { error: /maxPacketSize/ } },
  { id: 'client({maxPacketSize: -5})', run: (c) => c.client({ maxPacketSize: -5 }), oursOnly: true, expect: { error: /maxPacketSize/ } },

  // ---- gearmanode.worker(options)
  { id: "worker({withUnique: 'yes'})", run: (c) => c.g.worker({ withUnique: 'yes' }), expect: { error: /^value 'yes' not in defined range, key=withUnique$/ } },
  { id: 'worker({withUnique: null})', run: (c) => c.g.worker({ withUnique: null }), expect: { error: /^value 'null' not in defined range, key=withUnique$/ } },
  { id: "worker({loadBalancing: 'Sequence'})", run: (c) => c.g.worker({ loadBalancing: 'Sequence' }), expect: { error: /^unknow option: loadBalancing$/ } },
  { id: "worker({connectTimeout: 'x'})", run: (c) => c.worker({ connectTimeout: 'x' }), oursOnly: true, expect: { error: /connectTimeout/ } },

  // ---- client.submitJob(name, payload, options)
  { id: 'submitJob(undefined, p)', run: (c) => c.client().submitJob(undefined, 'p'), expect: { error: /^missing mandatory option: name$/ } },
  { id: 'submitJob(f, null)', run: (c) => c.client().submitJob('f', null), expect: { error: /^missing mandatory option: payload$/ } },
  { id: "submitJob('a\\0b', p)", run: (c) => c.client().submitJob('a\0b', 'p'), expect: { error: /NUL/ } },
  { id: "submitJob(Buffer('a\\0b'), p)", run: (c) => c.client().submitJob(Buffer.from('a\0b'), 'p'), expect: { error: /NUL/ } },
  { id: "submitJob(f, p, {unique: 'u\\0v'})", run: (c) => c.client().submitJob('f', 'p', { unique: 'u\0v' }), expect: { error: /NUL/ } },
  {
    id: 'submitJob(f, p, {unique: 65 bytes})',
    run: (c) => c.client().submitJob('f', 'p', { unique: 'u'.repeat(65) }),
    expect: { error: /unique/ }, // gearmand refuses it (ERROR ARGUMENT_TOO_LARGE) and the job would never end
  },
  {
    id: 'submitJob(f, p, {unique: 64 bytes})',
    run: (c) => c.client().submitJob('f', 'p', { unique: 'u'.repeat(64) }),
    expect: { error: /unique/ }, // gearmand cuts it to 63 bytes and hands the worker a stray NUL (docs/PROTOCOL.md#limits)
  },
  { id: "submitJob(f, p, {priority: 'URGENT'})", run: (c) => c.client().submitJob('f', 'p', { priority: 'URGENT' }), expect: { error: /^value 'URGENT' not in defined range, key=priority$/ } },
  { id: 'submitJob(f, p, {priority: Symbol()})', run: (c) => c.client().submitJob('f', 'p', { priority: Symbol('s') }), expect: { refused: /Symbol/ } },
  { id: "submitJob(f, p, {background: 'yes'})", run: (c) => c.client().submitJob('f', 'p', { background: 'yes' }), expect: { error: /^value 'yes' not in defined range, key=background$/ } },
  { id: "submitJob(f, p, {toStringEncoding: 'klingon'})", run: (c) => c.client().submitJob('f', 'p', { toStringEncoding: 'klingon' }), expect: { error: /^invalid encoding: klingon$/ } },
  { id: 'submitJob(f, p, {foo: 1})', run: (c) => c.client().submitJob('f', 'p', { foo: 1 }), expect: { error: /^unknow option: foo$/ } },
  { id: "submitJob(f, p, 'str')", run: (c) => c.client().submitJob('f', 'p', 'str'), expect: { error: /^missing mandatory option: name$/ } },
  { id: 'submitJob(f, p, 5)', run: (c) => c.client().submitJob('f', 'p', 5), expect: { error: /^missing mandatory option: name$/ } },
  { id: 'submitJob(f, p, Object.freeze({}))', run: (c) => c.client().submitJob('f', 'p', Object.freeze({})), expect: { error: /^missing mandatory option: name$/ } },
  { id: "submitJob(new String('f'), p)", run: (c) => c.client().submitJob(new String('f'), 'p'), expect: { refused: /String/ } },
  { id: 'submitJob(f, {toString: throws})', run: (c) => c.client().submitJob('f', boom), expect: { refused: /boom$/ } },
  { id: 'submitJob(Symbol(), p)', run: (c) => c.client().submitJob(Symbol('s'), 'p'), expect: { ok: true } },
  { id: 'submitJob(f, Symbol())', run: (c) => c.client().submitJob('f', Symbol('s')), expect: { ok: true } },
  { id: 'submitJob(5, p)', run: (c) => c.client().submitJob(5, 'p'), expect: { ok: true } },
  { id: "submitJob('f' x 600 bytes, p)", run: (c) => c.client().submitJob('f'.repeat(600), 'p'), expect: { ok: true } },
  { id: 'submitJob(f, Uint8Array)', run: (c) => c.client().submitJob('f', new Uint8Array([1, 2])), expect: { ok: true } },
  { id: 'submitJob() after close()', run: (c) => { const cl = c.client(); cl.close(); return cl.submitJob('f', 'p'); }, expect: { ok: true } },

  // ---- worker.addFunction / removeFunction / setWorkerId / resetAbilities
  { id: 'addFunction(undefined, cb)', run: (c) => c.worker().addFunction(undefined, () => {}), expect: { error: /^undefined function name$/ } },
  { id: "addFunction('', cb)", run: (c) => c.worker().addFunction('', () => {}), expect: { error: /^undefined function name$/ } },
  { id: "addFunction(f, 'x')", run: (c) => c.worker().addFunction('f', 'x'), expect: { error: new RegExp(`^invalid callback \\(${NOT_FN}\\)$`) } },
  { id: 'addFunction(f, cb, {foo: 1})', run: (c) => c.worker().addFunction('f', () => {}, { foo: 1 }), expect: { error: /^unknow option: foo$/ } },
  { id: "addFunction(f, cb, 'str')", run: (c) => c.worker().addFunction('f', () => {}, 'str'), expect: { error: /^unknow option: 0$/ } },
  { id: "addFunction(f, cb, {toStringEncoding: 'klingon'})", run: (c) => c.worker().addFunction('f', () => {}, { toStringEncoding: 'klingon' }), expect: { error: /^invalid encoding: klingon$/ } },
  { id: "addFunction('a\\0b', cb)", run: (c) => c.worker().addFunction('a\0b', () => {}), expect: { error: /NUL/ } },
  { id: "addFunction(new String('f'), cb)", run: (c) => c.worker().addFunction(new String('f'), () => {}), expect: { refused: /String/ } },
  { id: "addFunction(f, cb, {timeout: 'abc'})", run: (c) => c.worker().addFunction('f', () => {}, { timeout: 'abc' }), expect: { ok: true } },
  { id: 'addFunction(f, cb, {timeout: Symbol()})', run: (c) => c.worker().addFunction('f', () => {}, { timeout: Symbol('t') }), expect: { ok: true } },
  { id: 'addFunction(Symbol(), cb)', run: (c) => c.worker().addFunction(Symbol('f'), () => {}), expect: { ok: true } },
  { id: "addFunction('f' x 600 bytes, cb)", run: (c) => c.worker().addFunction('f'.repeat(600), () => {}), expect: { ok: true } },
  { id: 'addFunction() after close()', run: (c) => { const w = c.worker(); w.close(); return w.addFunction('f', () => {}); }, expect: { ok: true } },
  { id: 'removeFunction(undefined)', run: (c) => c.worker().removeFunction(undefined), expect: { error: /^undefined function name$/ } },
  { id: "removeFunction('nope')", run: (c) => c.worker().removeFunction('nope'), expect: { error: /^function not registered, name=nope$/ } },
  { id: "removeFunction('a\\0b')", run: (c) => c.worker().removeFunction('a\0b'), expect: { error: /^function not registered/ } },
  { id: 'setWorkerId(5)', run: (c) => c.worker().setWorkerId(5), expect: { error: /^worker ID not a string$/ } },
  { id: "setWorkerId('')", run: (c) => c.worker().setWorkerId(''), expect: { error: /^worker ID cannot be blank$/ } },
  { id: "setWorkerId('a\\0b')", run: (c) => c.worker().setWorkerId('a\0b'), expect: { error: /NUL/ } },
  { id: "setWorkerId(new String('id'))", run: (c) => c.worker().setWorkerId(new String('id')), expect: { refused: /String/ } },
  { id: 'resetAbilities(junk)', run: (c) => c.worker().resetAbilities({}, 5), expect: { ok: true } },

  // ---- jobServer.echo / setOption / send / connect
  { id: 'echo(5)', run: (c) => c.jobServer().echo(5), expect: { error: /^data to be echoed is not a text$/ } },
  { id: "echo('a\\0b')", run: (c) => c.jobServer().echo('a\0b'), expect: { ok: true } }, // ECHO_REQ data is opaque
  { id: "echo(new String('x'))", run: (c) => c.jobServer().echo(new String('x')), expect: { refused: /String/ } },
  { id: 'setOption(5)', run: (c) => c.jobServer().setOption(5), expect: { error: /^option is not a text$/ } },
  { id: "setOption('a\\0b')", run: (c) => c.jobServer().setOption('a\0b'), expect: { error: /NUL/ } },
  { id: "send('str')", run: (c) => c.jobServer().send('str'), expect: { error: /^data has to be object of Buffer$/ } },
  { id: 'send(5 bytes)', run: (c) => c.jobServer().send(Buffer.alloc(5)), expect: { error: /^short data$/ } },
  { id: 'send(12 bytes, bad magic)', run: (c) => c.jobServer().send(Buffer.alloc(12)), expect: { error: /^no gearman packet$/ } },
  {
    id: 'send(header claims 100 body bytes, 5 given)',
    run: (c) => c.jobServer().send(rawPacket(16, 100, Buffer.from('hello'))),
    expect: { error: /length|malformed|packet/ },
  },
  {
    id: 'send(header claims 0 body bytes, 5 more given)',
    run: (c) => c.jobServer().send(rawPacket(4, 0, Buffer.from('hello'))),
    expect: { error: /length|malformed|packet/ },
  },
  { id: "connect('x')", run: (c) => c.jobServer().connect('x'), expect: { error: /^invalid callback \(not a function\)$/ } },

  // ---- Job, client side
  { id: 'getStatus() of a foreground job', run: (c) => c.client().submitJob('f', 'p').getStatus(), expect: { error: /^this is not a background job$/ } },
  { id: 'getStatus() before JOB_CREATED', run: (c) => c.client().submitJob('f', 'p', { background: true }).getStatus(), expect: { error: /^no job's handle/ } },
  {
    id: "getStatus() with handle 'H\\0x'",
    run: (c) => {
      const cl = c.client();
      const job = cl.submitJob('f', 'p', { background: true });
      job.handle = 'H\0x';
      job.jobServerUid = cl.jobServers[0].getUid();
      return job.getStatus();
    },
    expect: { error: /NUL/ },
  },
  { id: 'new Job(null, {})', run: (c) => new c.g.Job(null, {}), expect: { error: /^neither Client nor Worker reference$/ } },

  // ---- Job, worker side
  { id: "reportStatus('a', 1)", run: (c) => c.workerJob().reportStatus('a', 1), expect: { error: /^numerator or denominator not a number$/ } },
  { id: 'reportStatus(1)', run: (c) => c.workerJob().reportStatus(1), expect: { error: /^numerator or denominator not a number$/ } },
  { id: 'reportStatus(Symbol(), 1)', run: (c) => c.workerJob().reportStatus(Symbol('n'), 1), expect: { error: /^numerator or denominator not a number$/ } },
  { id: 'reportStatus(NaN, Infinity)', run: (c) => c.workerJob().reportStatus(NaN, Infinity), expect: { ok: true } },
  { id: 'workComplete(Symbol())', run: (c) => c.workerJob().workComplete(Symbol('x')), expect: { ok: true } },
  { id: 'workComplete({toString: throws})', run: (c) => c.workerJob().workComplete(boom), expect: { refused: /boom$/ } },
  { id: 'sendWorkData(5)', run: (c) => c.workerJob().sendWorkData(5), expect: { ok: true } },
  { id: 'reportWarning(null)', run: (c) => c.workerJob().reportWarning(null), expect: { ok: true } },
  { id: 'reportException(Buffer with NUL)', run: (c) => c.workerJob().reportException(Buffer.from('a\0b')), expect: { ok: true } },

  // ---- protocol.encodePacket / parsePacket
  { id: "encodePacket(CAN_DO, ['a\\0b'])", run: (c) => c.mod('protocol').encodePacket(1, ['a\0b']), mayThrow: true, expect: { throws: /NUL/ } },
  { id: 'encodePacket(-1)', run: (c) => c.mod('protocol').encodePacket(-1), expect: { throws: /out of range|-1/ } },
  { id: 'encodePacket(2 ** 32)', run: (c) => c.mod('protocol').encodePacket(2 ** 32), expect: { throws: /out of range/ } },
  { id: 'encodePacket(1, [null])', run: (c) => c.mod('protocol').encodePacket(1, [null]), expect: { throws: /./ } },
  { id: "encodePacket(1, [new String('x')])", run: (c) => c.mod('protocol').encodePacket(1, [new String('x')]), expect: { throws: /./ } },
  { id: "encodePacket('abc', ['x'])", run: (c) => c.mod('protocol').encodePacket('abc', ['x']), expect: { ok: true } },
  { id: 'encodePacket(1, [Symbol()])', run: (c) => c.mod('protocol').encodePacket(1, [Symbol('x')]), expect: { ok: true } },
  { id: "encodePacket(SUBMIT_JOB, ['f', '', 'a\\0b'])", run: (c) => c.mod('protocol').encodePacket(7, ['f', '', 'a\0b']), expect: { ok: true } },
  { id: 'parsePacket(3 bytes)', run: (c) => c.mod('protocol').parsePacket(Buffer.alloc(3)), expect: { throws: /out of range|Attempt to access memory/ } },
  { id: "parsePacket('str')", run: (c) => c.mod('protocol').parsePacket('str'), expect: { throws: /not a function/ } },
  { id: 'parsePacket(null)', run: (c) => c.mod('protocol').parsePacket(null), expect: { throws: /./ } },
  { id: "parsePacket(12 bytes, 'x')", run: (c) => c.mod('protocol').parsePacket(Buffer.alloc(12), 'x'), expect: { error: /^unknow format: x$/ } },
  {
    id: "parsePacket(header claims 1000 bytes, 2 given, 'L')",
    run: (c) => c.mod('protocol').parsePacket(rawPacket(8, 1000, Buffer.from('H:')), 'L'),
    expect: { ok: true },
  },
  { id: 'parsePacket(12 bytes, 5)', run: (c) => c.mod('protocol').parsePacket(Buffer.alloc(12), 5), expect: { ok: true } },

  // ---- load balancing
  { id: "new Sequence('x')", run: (c) => new (c.mod('load-balancing').Sequence)('x'), expect: { error: /^count of nodes is not number$/ } },
  { id: 'new RoundRobin()', run: (c) => new (c.mod('load-balancing').RoundRobin)(), expect: { error: /^count of nodes is not number$/ } },
  { id: 'new Sequence(Symbol())', run: (c) => new (c.mod('load-balancing').Sequence)(Symbol('n')), expect: { error: /^count of nodes is not number$/ } },
  { id: "Sequence(2).badOne('x')", run: (c) => new (c.mod('load-balancing').Sequence)(2).badOne('x'), expect: { ok: true } },
  { id: 'Sequence(2).badOne({})', run: (c) => new (c.mod('load-balancing').Sequence)(2).badOne({}), expect: { ok: true } },
  {
    id: "RoundRobin(2) with recoverTime 'x', both bad: nextIndex()",
    run: (c) => {
      const lb = new (c.mod('load-balancing').RoundRobin)(2);
      lb.recoverTime = 'x';
      lb.badOne(0);
      lb.badOne(1);
      return lb.nextIndex();
    },
    expect: { ok: true },
  },

  // ---- common
  { id: 'verifyOptions(null, {})', run: (c) => c.mod('common').verifyOptions(null, {}), expect: { error: /^options not presented$/ } },
  { id: 'verifyOptions({}, null)', run: (c) => c.mod('common').verifyOptions({}, null), expect: { error: /^pattern not presented$/ } },
  { id: "verifyOptions('ab', {})", run: (c) => c.mod('common').verifyOptions('ab', {}), expect: { error: /^unknow option: 0$/ } },
  { id: 'verifyOptions({a: 2}, {a: [1]})', run: (c) => c.mod('common').verifyOptions({ a: 2 }, { a: [1] }), expect: { error: /^value '2' not in defined range, key=a$/ } },
];

/** The outcome of one call as plain data: {kind: 'threw'|'error'|'value', message}. */
function classify(run) {
  try {
    const v = run();
    if (v instanceof Error) return { kind: 'error', message: v.message };
    return { kind: 'value', message: v === undefined ? 'undefined' : (v && v.constructor ? v.constructor.name : typeof v) };
  } catch (err) {
    return { kind: 'threw', message: `${err && err.name}: ${err && err.message}` };
  }
}

/**
 * A context for the cases: fresh clients and workers of `g` (the library's main module) pointed at
 * 127.0.0.1:port, with error listeners (the client's own `error` throws without one, as in 0.9.2),
 * all remembered for closeAll(). `mod(name)` loads a submodule of the same library.
 */
function makeContext(g, mod, port) {
  const owners = [];
  const track = (o) => {
    if (o && typeof o.on === 'function') {
      o.on('error', () => {});
      owners.push(o);
    }
    return o;
  };
  const ctx = {
    g,
    mod,
    port,
    owners,
    client(extra) {
      return track(g.client(Object.assign({ host: '127.0.0.1', port }, extra)));
    },
    worker(extra) {
      return track(g.worker(Object.assign({ host: '127.0.0.1', port }, extra)));
    },
    jobServer() {
      return ctx.client().jobServers[0];
    },
    workerJob() {
      const w = ctx.worker();
      return new g.Job(w, { name: 'f', payload: Buffer.from('x'), handle: 'H:1', jobServerUid: w.jobServers[0].getUid() });
    },
    closeAll() {
      const errors = [];
      for (const o of owners) {
        try {
          if (typeof o.close === 'function') o.close();
        } catch (err) {
          errors.push(err);
        }
      }
      return errors;
    },
  };
  return ctx;
}

module.exports = { cases, classify, makeContext, rawPacket };
