'use strict';
// The TypeScript declarations (index.d.ts):
//  - test/types/usage.ts type-checks with `tsc --noEmit --strict` (its `@ts-expect-error` lines are
//    misuses the types must reject, so declarations that are too loose fail too);
//  - every member of the public objects and modules that exists at run time is declared, and every
//    declared module value exists (so the types follow the library as it grows).
// Needs the devDependencies `typescript` and `@types/node`.

const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const DECLARATIONS = path.join(ROOT, 'index.d.ts');
const USAGE = path.join(__dirname, 'types', 'usage.ts');

function load(what, fn) {
  try {
    return fn();
  } catch (err) {
    throw new Error(`${what} is needed to check index.d.ts: it belongs in devDependencies ` +
      `(npm install --save-dev typescript@~6.0.3 @types/node@^20.19.43). ${err.message.split('\n')[0]}`);
  }
}

describe('TypeScript declarations (index.d.ts)', function () {
  this.timeout(60000); // the compiler needs a few seconds on a loaded machine

  const WRONG = [
    "import gearmanode = require('gearmanode');",
    'const client = gearmanode.client();',
    "client.submitJob('f', 'x');", // client may be an Error, which has no submitJob
    'const n: number = gearmanode.VERSION;', // a string
    '',
  ].join('\n');

  let ts;
  let dir;
  let program;
  let copy;
  let wrong;
  before(function () {
    ts = load('typescript', () => require('typescript'));
    // .../node_modules/@types/node/package.json -> .../node_modules/@types
    const typeRoot = load('@types/node', () => path.dirname(path.dirname(require.resolve('@types/node/package.json'))));
    // One program for every check. index.d.ts is compiled as a copy named .ts, so that
    // skipLibCheck skips checking @types/node (seconds) but not these declarations.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gearmanode-types-'));
    copy = path.join(dir, 'index-d.ts');
    wrong = path.join(dir, 'wrong.ts');
    fs.copyFileSync(DECLARATIONS, copy);
    fs.writeFileSync(wrong, WRONG);
    program = ts.createProgram([USAGE, wrong, copy], {
      // as `tsc --noEmit --strict --module nodenext`
      noEmit: true,
      strict: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: ['node'],
      typeRoots: [typeRoot],
      skipLibCheck: true,
      // The copy must stay a script of ambient modules, as index.d.ts is (TypeScript 6 treats every
      // non-declaration file as a module by default).
      moduleDetection: ts.ModuleDetectionKind.Legacy,
    });
  });

  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The diagnostics of one root file (global ones included), and their text. */
  function diagnosticsOf(file) {
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(file));
    const text = ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => '\n',
    }).split(path.relative(ROOT, copy)).join('index.d.ts').split(copy).join(DECLARATIONS);
    return { diagnostics, text };
  }

  it('index.d.ts compiles with --strict', function () {
    const { diagnostics, text } = diagnosticsOf(copy);
    assert.strictEqual(diagnostics.length, 0, text);
  });

  it('test/types/usage.ts type-checks with --strict, and each of its misuses is rejected', function () {
    const { diagnostics, text } = diagnosticsOf(USAGE);
    assert.strictEqual(diagnostics.length, 0, text);
    // The misuses are there: a checked file without them would prove less.
    const misuses = fs.readFileSync(USAGE, 'utf8').match(/\/\/ @ts-expect-error/g) || [];
    assert.ok(misuses.length >= 20, `only ${misuses.length} @ts-expect-error lines in usage.ts`);
  });

  it('reports wrong code against the declarations (the check is not vacuous)', function () {
    const { diagnostics, text } = diagnosticsOf(wrong);
    // 2339: property does not exist (on Error); 2322: string is not assignable to number
    assert.deepStrictEqual(diagnostics.map((d) => d.code).sort(), [2322, 2339], text);
  });

  describe('declares what exists at run time', function () {
    let checker;
    let modules;
    before(function () {
      checker = program.getTypeChecker();
      modules = new Map(checker.getAmbientModules().map((m) => [m.getName().replace(/^"|"$/g, ''), m]));
    });

    /** Names of the declared values of an ambient module. */
    function declaredValues(name) {
      const mod = modules.get(name);
      assert.ok(mod, `index.d.ts declares no module '${name}'`);
      return checker.getExportsOfModule(mod)
        .filter((s) => {
          const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
          return (target.flags & ts.SymbolFlags.Value) !== 0;
        })
        .map((s) => s.getName())
        .sort();
    }

    /** Property names of a type exported by a module ('gearmanode' by default). */
    function declaredProperties(typeName, moduleName = 'gearmanode') {
      const symbol = checker.getExportsOfModule(modules.get(moduleName)).find((s) => s.getName() === typeName);
      assert.ok(symbol, `'${moduleName}' declares no ${typeName}`);
      const type = checker.getDeclaredTypeOfSymbol(symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
      return new Set(checker.getPropertiesOfType(type).map((p) => p.getName()));
    }

    /** The static members of a declared constructor value (`Client.logger`, ...). */
    function declaredStatics(valueName, moduleName) {
      const symbol = checker.getExportsOfModule(modules.get(moduleName)).find((s) => s.getName() === valueName);
      const type = checker.getTypeOfSymbolAtLocation(symbol, symbol.valueDeclaration || symbol.declarations[0]);
      return new Set(checker.getPropertiesOfType(type).map((p) => p.getName()));
    }

    /** Own keys of an object (EventEmitter internals left out) and the keys of its prototypes. */
    function runtimeMembers(obj, { skipPrivate = false } = {}) {
      const names = new Set(Object.keys(obj));
      for (let p = Object.getPrototypeOf(obj); p && p !== Object.prototype && p !== require('events').prototype; p = Object.getPrototypeOf(p)) {
        for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor') names.add(k);
      }
      for (const k of ['_events', '_eventsCount', '_maxListeners', Symbol.for('kCapture')]) names.delete(k);
      return [...names].filter((k) => typeof k === 'string' && !(skipPrivate && k.startsWith('_')));
    }

    function assertDeclared(runtime, declared, what) {
      const missing = runtime.filter((k) => !declared.has(k));
      assert.deepStrictEqual(missing, [], `${what}: not declared in index.d.ts: ${missing.join(', ')}`);
    }

    // Internals deliberately left out of the declarations.
    // Helpers the library's own modules share through 0.9.2's modules (not enumerable, not API).
    const UNDECLARED = {
      'gearmanode/lib/gearmanode/job': ['internals'],
      'gearmanode/lib/gearmanode/common': ['sloppySet', 'DEFAULT_RECOVER_TIME'],
    };

    const MODULES = [
      ['gearmanode', '..'],
      ['gearmanode/lib/gearmanode', '../lib/gearmanode'],
      ['gearmanode/lib/gearmanode/client', '../lib/gearmanode/client'],
      ['gearmanode/lib/gearmanode/worker', '../lib/gearmanode/worker'],
      ['gearmanode/lib/gearmanode/job', '../lib/gearmanode/job'],
      ['gearmanode/lib/gearmanode/job-server', '../lib/gearmanode/job-server'],
      ['gearmanode/lib/gearmanode/load-balancing', '../lib/gearmanode/load-balancing'],
      ['gearmanode/lib/gearmanode/server-manager', '../lib/gearmanode/server-manager'],
      ['gearmanode/lib/gearmanode/protocol', '../lib/gearmanode/protocol'],
      ['gearmanode/lib/gearmanode/common', '../lib/gearmanode/common'],
      ['gearmanode/lib/gearmanode/version', '../lib/gearmanode/version'],
      ['gearmanode/lib/errors', '../lib/errors'],
      ['gearmanode/lib/logger', '../lib/logger'],
      ['gearmanode/lib/admin', '../lib/admin'],
    ];

    for (const [name, file] of MODULES) {
      it(`module '${name}': the same values`, function () {
        const skip = UNDECLARED[name] || [];
        const runtime = Object.getOwnPropertyNames(require(file)).filter((k) => !skip.includes(k)).sort();
        assert.deepStrictEqual(declaredValues(name), runtime);
      });
    }

    it('the statics of Client, Worker, Job, JobServer and the strategies', function () {
      const gm = require('..');
      for (const k of ['Client', 'Worker', 'Job']) assertDeclared(Object.keys(gm[k]).concat('super_', 'prototype'), declaredStatics(k, 'gearmanode'), k);
      const { JobServer } = require('../lib/gearmanode/job-server');
      assertDeclared(Object.keys(JobServer).concat('super_'), declaredStatics('JobServer', 'gearmanode/lib/gearmanode/job-server'), 'JobServer');
      const { Sequence, RoundRobin } = require('../lib/gearmanode/load-balancing');
      for (const [k, C] of [['Sequence', Sequence], ['RoundRobin', RoundRobin]]) {
        assertDeclared(Object.keys(C).concat('super_'), declaredStatics(k, 'gearmanode/lib/gearmanode/load-balancing'), k);
      }
      assert.deepStrictEqual(Object.keys(Sequence.super_), ['logger']);
    });

    it('the members of Client, Worker, Job (both sides), JobServer, the strategies and Admin', function () {
      const gm = require('..');
      const client = gm.client({ servers: [{ port: 4730 }, { port: 4731 }], loadBalancing: 'RoundRobin' });
      const worker = gm.worker({ withUnique: true });
      try {
        assertDeclared(runtimeMembers(client), declaredProperties('Client'), 'Client');
        assertDeclared(runtimeMembers(worker), declaredProperties('Worker'), 'Worker');
        const clientJob = new gm.Job(client, { name: 'f', payload: 'p', unique: 'u', toStringEncoding: 'hex' });
        assertDeclared(runtimeMembers(clientJob), declaredProperties('ClientJob'), 'ClientJob');
        const workerJob = new gm.Job(worker, { name: 'f', payload: Buffer.from('p'), handle: 'H:1', jobServerUid: 'localhost:4730', unique: 'u' });
        assertDeclared(runtimeMembers(workerJob), declaredProperties('WorkerJob'), 'WorkerJob');
        const js = client.jobServers[0];
        assertDeclared(runtimeMembers(js), declaredProperties('JobServer'), 'JobServer');
        client.loadBalancer.nextIndex(); // sets lastIndex
        assertDeclared(runtimeMembers(client.loadBalancer), declaredProperties('RoundRobin'), 'RoundRobin');
        const { Sequence } = require('../lib/gearmanode/load-balancing');
        const seq = new Sequence(2);
        seq.nextIndex();
        assertDeclared(runtimeMembers(seq), declaredProperties('Sequence'), 'Sequence');
        const admin = gm.admin({ port: 4730 });
        assertDeclared(runtimeMembers(admin, { skipPrivate: true }), declaredProperties('Admin', 'gearmanode/lib/admin'), 'Admin');
        admin.close();
      } finally {
        client.close();
        worker.close();
      }
    });

    /** The string literals of a declared type alias (a union of literals) of a module. */
    function literalUnion(typeName, moduleName) {
      const symbol = checker.getExportsOfModule(modules.get(moduleName)).find((s) => s.getName() === typeName);
      assert.ok(symbol, `'${moduleName}' declares no ${typeName}`);
      const type = checker.getDeclaredTypeOfSymbol(symbol);
      const members = type.isUnion() ? type.types : [type];
      for (const t of members) assert.ok(t.isStringLiteral(), `${typeName}: ${checker.typeToString(t)} is not a string literal`);
      return members.map((t) => t.value).sort();
    }

    it('the error codes: the core\'s errorCodes(), errors.CODES and ErrorCode in index.d.ts agree', function () {
      const errors = require('../lib/errors');
      const core = require('../lib/internal/native').errorCodes();
      const mod = 'gearmanode/lib/errors';
      // CODES: the same keys and values at run time and in the declarations.
      const codesSymbol = checker.getExportsOfModule(modules.get(mod)).find((s) => s.getName() === 'CODES');
      const codesType = checker.getTypeOfSymbolAtLocation(codesSymbol, codesSymbol.valueDeclaration);
      const declared = {};
      for (const p of checker.getPropertiesOfType(codesType)) {
        declared[p.getName()] = checker.getTypeOfSymbolAtLocation(p, codesSymbol.valueDeclaration).value;
      }
      assert.deepStrictEqual(declared, { ...errors.CODES });
      // Every GEARMAN_ code the core can produce is one of errors.CODES.
      const values = new Set(Object.values(errors.CODES));
      const gearman = core.filter((c) => c.code.startsWith('GEARMAN_')).map((c) => c.code);
      assert.deepStrictEqual(gearman.filter((c) => !values.has(c)), [], 'core codes missing from errors.CODES');
      // SocketErrorCode is exactly the core's other codes; ErrorCode is both.
      const others = core.filter((c) => !c.code.startsWith('GEARMAN_')).map((c) => c.code).sort();
      assert.deepStrictEqual(literalUnion('SocketErrorCode', mod), others);
      assert.deepStrictEqual(literalUnion('ErrorCode', mod), [...new Set([...values, ...others])].sort());
    });
  });
});
