// Exercises index.d.ts: type-checked (never run) by test/types.test.js with
// `tsc --noEmit --strict`. Every `@ts-expect-error` line is a misuse the types must reject: if the
// types accept it, tsc reports the unused directive and the test fails.

import * as gearmanode from 'gearmanode';
import * as protocol from 'gearmanode/lib/gearmanode/protocol';
import * as lb from 'gearmanode/lib/gearmanode/load-balancing';
import * as jobServerModule from 'gearmanode/lib/gearmanode/job-server';
import * as common from 'gearmanode/lib/gearmanode/common';
import * as version from 'gearmanode/lib/gearmanode/version';
import * as errorsModule from 'gearmanode/lib/errors';
import * as loggerModule from 'gearmanode/lib/logger';
import { Client as ClientCtor } from 'gearmanode/lib/gearmanode/client';
import { Worker as WorkerCtor } from 'gearmanode/lib/gearmanode/worker';
import { Job as JobCtor } from 'gearmanode/lib/gearmanode/job';
import { ServerManager } from 'gearmanode/lib/gearmanode/server-manager';
import { Admin } from 'gearmanode/lib/admin';
import * as net from 'net';
import { EventEmitter } from 'events';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Accepts a value of type T (or a subtype). */
function expectType<T>(_value: T): void {}
/** `exact<T>()(value)` accepts a value whose type is exactly T (not a subtype, not any). */
function exact<T>() {
  return <U>(_value: U, ..._mismatch: Equal<T, U> extends true ? [] : [never]): void => {};
}
function assertTrue<T extends true>(): void {}

// ---------------------------------------------------------------------------------------------
// Factories and classes: invalid options come back as an Error

const maybeClient = gearmanode.client({ servers: [{ host: 'localhost', port: 4730 }, { port: '4731' }], loadBalancing: 'RoundRobin', recoverTime: 1000 });
expectType<gearmanode.Client | Error>(maybeClient);
if (maybeClient instanceof Error) throw maybeClient;
const client: gearmanode.Client = maybeClient;
expectType<'Client'>(client._type);
expectType<gearmanode.JobServer[]>(client.jobServers);
expectType<gearmanode.Sequence | gearmanode.RoundRobin>(client.loadBalancer);
expectType<gearmanode.ClientJob | undefined>(client.jobs['localhost:4730#H:1']);
expectType<boolean | undefined>(client.closed);

const viaNew = new gearmanode.Client({ host: 'localhost', port: 4730, connectTimeout: 500, maxPacketSize: 1 << 20 });
if (!(viaNew instanceof gearmanode.Client)) expectType<Error>(viaNew);
expectType<gearmanode.Logger>(gearmanode.Client.logger);
expectType<typeof EventEmitter>(gearmanode.Client.super_);

// @ts-expect-error: the strategy names are case-sensitive
gearmanode.client({ loadBalancing: 'roundrobin' });
// @ts-expect-error: unknown option
gearmanode.client({ toStringEncoding: 'utf8' });
// @ts-expect-error: the constructor needs `new`
gearmanode.Client();

// ---------------------------------------------------------------------------------------------
// Client events

client.on('socketConnect', (uid) => expectType<string>(uid));
client.on('socketDisconnect', (uid, err) => {
  exact<string>()(uid);
  exact<Error | true | undefined>()(err);
});
client.on('socketError', (uid, err) => expectType<string | undefined>(err.code));
client.on('jobServerError', (uid, code, message) => expectType<[string, string, string]>([uid, code, message]));
client.once('close', () => {});
client.on('error', (err) => expectType<Error>(err));
client.prependListener('socketConnect', (uid) => expectType<string>(uid));
client.off('error', (err: Error) => {});
// @ts-expect-error: no such event
client.on('complete', () => {});
// @ts-expect-error: socketConnect passes a string
client.on('socketConnect', (uid: number) => {});
// @ts-expect-error: wrong listener type through the generic methods too
client.addListener('jobServerError', (uid: string, code: number) => {});

// ---------------------------------------------------------------------------------------------
// Submitting jobs: toStringEncoding decides the type of the data received

const textJob = client.submitJob('reverse', 'hello', { toStringEncoding: 'utf8', priority: 'HIGH', unique: 'u1' });
if (textJob instanceof Error) throw textJob;
exact<gearmanode.ClientJob<string, false>>()(textJob);
textJob.on('complete', () => exact<string | undefined>()(textJob.response));
textJob.on('workData', (data) => exact<string>()(data));
textJob.on('exception', (data) => exact<string>()(data));
textJob.on('status', (status) => {
  exact<gearmanode.JobStatus>()(status);
  expectType<string>(status.percent_done_num);
  expectType<boolean | undefined>(status.known);
});
textJob.on('error', (err) => expectType<Error>(err));
textJob.once('submited', () => expectType<string | undefined>(textJob.jobServerUid));
textJob.on('created', () => expectType<string | undefined>(textJob.handle));
expectType<boolean>(textJob.processing);
expectType<gearmanode.Priority>(textJob.priority);
expectType<gearmanode.Client>(textJob.clientOrWorker);
expectType<string>(textJob.getUid());
expectType<number | undefined>(textJob.getPacketType());

const binaryJob = client.submitJob('reverse', Buffer.from([0, 1, 255]));
if (binaryJob instanceof Error) throw binaryJob;
binaryJob.on('workData', (data) => exact<Buffer>()(data));
binaryJob.on('complete', () => exact<Buffer | undefined>()(binaryJob.response));
exact<false>()(binaryJob.background);

const opts: gearmanode.SubmitJobOptions = { background: true };
const bgJob = client.submitJob('reverse', 'x', opts);
if (bgJob instanceof Error) throw bgJob;
exact<gearmanode.ClientJob<string | Buffer, boolean>>()(bgJob);
expectType<Error | undefined>(bgJob.getStatus());
const bgJob2 = client.submitJob('reverse', 'x', { background: true, priority: 'LOW' });
if (bgJob2 instanceof Error) throw bgJob2;
exact<true>()(bgJob2.background);

// The promise API (beyond gearmanode 0.9.2)
const promiseUsage = async (): Promise<void> => {
  exact<string>()(await client.submitJobAsync('reverse', 'x', { toStringEncoding: 'utf8' }));
  exact<Buffer>()(await client.submitJobAsync('reverse', Buffer.from('x')));
  const created = await client.submitJobAsync('reverse', 'x', { background: true });
  exact<gearmanode.ClientJob<gearmanode.Data, true>>()(created);
  expectType<Error | undefined>(created.getStatus());
  exact<gearmanode.Data | gearmanode.ClientJob<gearmanode.Data, true>>()(await client.submitJobAsync('reverse', 'x', opts));
  exact<string>()(await textJob.promise());
  exact<Buffer>()(await binaryJob.promise());
  exact<gearmanode.ClientJob<gearmanode.Data, true>>()(await bgJob2.promise());
  // @ts-expect-error: a background job's promise gives the job, not data
  const text: string = await bgJob2.promise();
  try {
    await client.submitJobAsync('reverse', 'x');
  } catch (err) {
    if (err instanceof gearmanode.errors.GearmanError && err.code === 'GEARMAN_JOB_EXCEPTION') expectType<gearmanode.Data | undefined>(err.data);
  }
  // @ts-expect-error: the same options as submitJob
  await client.submitJobAsync('reverse', 'x', { priority: 'URGENT' });
  void text;
};
void promiseUsage;

// Scheduled jobs, reduce jobs, status by unique id (beyond gearmanode 0.9.2)
const scheduled = client.submitJob('reverse', 'x', { background: true, runAt: new Date(Date.now() + 60000), unique: 's1' });
if (scheduled instanceof Error) throw scheduled;
expectType<number | undefined>(scheduled.runAt);
client.submitJob('reverse', 'x', { background: true, runAt: Math.floor(Date.now() / 1000) + 60 });
const reduceJob = client.submitJob('map', 'x', { reducer: 'reduce', unique: 'r1' });
if (reduceJob instanceof Error) throw reduceJob;
expectType<string | undefined>(reduceJob.reducer);
const statusUsage = async (): Promise<void> => {
  const st = await client.getStatusUnique('s1');
  exact<gearmanode.UniqueStatus>()(st);
  expectType<boolean>(st.known);
  expectType<number>(st.numerator);
  expectType<number>(st.waiting);
  expectType<string>(st.jobServerUid);
  // @ts-expect-error: the unique id is a string
  await client.getStatusUnique(42);
};
void statusUsage;
// @ts-expect-error: runAt is a Date or a number of seconds
client.submitJob('reverse', 'x', { background: true, runAt: '2030-01-01' });
// @ts-expect-error: a reducer is a function name
client.submitJob('map', 'x', { reducer: true });

// @ts-expect-error: priorities are LOW, NORMAL and HIGH
client.submitJob('reverse', 'x', { priority: 'URGENT' });
// @ts-expect-error: not a Buffer encoding
client.submitJob('reverse', 'x', { toStringEncoding: 'utf-9' });
// @ts-expect-error: payload is a string or a Buffer
client.submitJob('reverse', { text: 'x' });
// @ts-expect-error: workData has no second argument
textJob.on('workData', (data: string, more: string) => {});
// @ts-expect-error: with toStringEncoding the data is a string
textJob.on('workData', (data: Buffer) => {});
// @ts-expect-error: without toStringEncoding the response is a Buffer
const notText: string | undefined = binaryJob.response;

// ---------------------------------------------------------------------------------------------
// Worker

const maybeWorker = gearmanode.worker({ withUnique: true, recoverTime: 100, recoverLimit: 5 });
const grabAllWorker = gearmanode.worker({ grabAll: true, concurrency: 2 });
if (!(grabAllWorker instanceof Error)) {
  grabAllWorker.addFunction('map', (job) => {
    expectType<string | undefined>(job.unique);
    expectType<string | undefined>(job.reducer);
  });
}
// @ts-expect-error: grabAll is a boolean
gearmanode.worker({ grabAll: 'yes' });
if (maybeWorker instanceof Error) throw maybeWorker;
const worker = maybeWorker;
expectType<'Worker'>(worker._type);
expectType<boolean>(worker.withUnique);

worker.addFunction('reverse', (job) => {
  exact<gearmanode.WorkerJob<Buffer>>()(job);
  exact<Buffer>()(job.payload);
  expectType<string>(job.handle);
  expectType<string | undefined>(job.unique);
  job.sendWorkData(job.payload);
  expectType<Error | undefined>(job.reportStatus(1, 2));
  job.reportWarning('careful');
  job.workComplete(Buffer.from(job.payload).reverse());
});
worker.addFunction('upper', (job) => {
  exact<string>()(job.payload);
  job.workComplete(job.payload.toUpperCase());
}, { toStringEncoding: 'utf8', timeout: 10 });
const added = worker.addFunction('square', async (job) => {
  job.on('timeout', () => {});
  const n = Number(job.payload.toString());
  if (n < 0) throw new Error('negative');
  return String(n * n);
}, { timeout: 5 });
expectType<Error | undefined>(added);
const encoding: BufferEncoding | undefined = Math.random() > 0.5 ? 'hex' : undefined;
worker.addFunction('either', (job) => expectType<string | Buffer>(job.payload), { toStringEncoding: encoding });
expectType<Error | undefined>(worker.removeFunction('upper'));
expectType<Error | undefined>(worker.setWorkerId('worker-1'));
worker.resetAbilities();
worker.on('error', (err) => {
  if (err instanceof gearmanode.errors.GearmanError && err.code === gearmanode.errors.CODES.WORKER_FUNCTION_FAILED) {
    expectType<string | undefined>(err.jobHandle);
  }
});
expectType<[gearmanode.WorkerFunction<any>, gearmanode.AddFunctionOptions] | undefined>(worker.functions.reverse);

// @ts-expect-error: the payload is a Buffer without toStringEncoding
worker.addFunction('bad', (job) => job.payload.toUpperCase());
// @ts-expect-error: unknown option of addFunction
worker.addFunction('bad', () => {}, { retries: 3 });
// @ts-expect-error: withUnique is a boolean
gearmanode.worker({ withUnique: 'yes' });
// @ts-expect-error: a worker has no load balancing
gearmanode.worker({ loadBalancing: 'Sequence' });
// @ts-expect-error: reportStatus takes numbers
worker.addFunction('bad', (job) => job.reportStatus('1', '2'));

// ---------------------------------------------------------------------------------------------
// Job servers

const js = client.jobServers[0];
expectType<string>(js.getUid());
expectType<boolean>(js.connected);
expectType<number | Date>(js.wrongDisconnectAt);
expectType<net.Socket | undefined>(js.socket);
expectType<Error | undefined>(js.echo('ping'));
js.once('echo', (text) => expectType<string>(text));
js.on('option', (name) => expectType<string>(name));
js.on('jobServerError', (code, message) => expectType<string>(code + message));
const sock = js.connect((err) => expectType<Error | undefined>(err));
if (!(sock instanceof Error)) expectType<net.Socket>(sock);
expectType<Error | undefined>(js.send(protocol.encodePacket(protocol.PACKET_TYPES.ECHO_REQ, ['x'])));
expectType<Error | undefined>(js.setOption('exceptions'));
// @ts-expect-error: echo takes a text
js.echo(42);

const jsNew = new jobServerModule.JobServer({ host: 'localhost', port: 4730 });
if (!(jsNew instanceof Error)) expectType<gearmanode.JobServer>(jsNew);
expectType<number>(jobServerModule.CONSTANTS.DEFAULT_RECOVER_TIME);

// ---------------------------------------------------------------------------------------------
// Load balancing

const seq = new lb.Sequence(2);
if (!(seq instanceof Error)) {
  expectType<number | null>(seq.nextIndex());
  seq.badOne(0);
  expectType<Date | undefined>(seq.badNodes['0']);
  seq.recoverTime = 20;
}
const rr = new lb.RoundRobin(3);
if (!(rr instanceof Error)) rr.goodOne(1);
const hash = new lb.Hash(3, ['a:4730', 'b:4730', 'c:4730']);
if (!(hash instanceof Error)) {
  expectType<number | null>(hash.indexFor('job-1'));
  expectType<number | null>(hash.indexFor(undefined));
  expectType<number[]>(hash.orderFor(Buffer.from('job-1')));
  expectType<gearmanode.RoundRobin>(hash);
}
gearmanode.client({ servers: [{ port: 4730 }, { port: 4731 }], loadBalancing: 'Hash' });
// @ts-expect-error: node names are strings
new lb.Hash(2, [1, 2]);
expectType<gearmanode.Logger>(lb.Sequence.super_.logger);

// ---------------------------------------------------------------------------------------------
// Protocol, common, version

const packet: Buffer = protocol.encodePacket(protocol.PACKET_TYPES.SUBMIT_JOB, ['reverse', '', Buffer.from('x'), 10]);
const parsed = protocol.parsePacket(packet, 'nnb');
if (!(parsed instanceof Error)) expectType<number>(parsed[0]);
expectType<number>(protocol.CONSTANTS.HEADER_LEN);
expectType<[number, number] | [number, number, string]>(protocol.DEFINITION.WORK_COMPLETE);
expectType<protocol.PacketName>(protocol.PACKET_CODES[13]);
expectType<'request' | 'response' | 'both'>(protocol.PACKETS.JOB_ASSIGN_ALL.direction);
expectType<gearmanode.Logger>(protocol.logger);
// @ts-expect-error: no such packet
protocol.PACKET_TYPES.SUBMIT_JOB_NOW;
// @ts-expect-error: null arguments throw
protocol.encodePacket(1, [null]);

const checked = common.verifyOptions({ host: 'h' }, { host: 'mandatory' });
if (!(checked instanceof Error)) expectType<string>(checked.host);
const mixed = common.mixin({ a: 1 }, { b: 'x' });
expectType<number>(mixed.a);
expectType<string>(common.bufferAsHex(Buffer.from([1, 2, 3]), 2));
const unknownValue: unknown = 'x';
if (common.isString(unknownValue)) expectType<string | String>(unknownValue);
expectType<string>(common.createUUID());
expectType<string>(version.VERSION);
expectType<[string, string, string]>(version.VERSION_HISTORY[0]);

// ---------------------------------------------------------------------------------------------
// Deep class modules are the main module's classes

expectType<gearmanode.ClientConstructor>(ClientCtor);
expectType<gearmanode.WorkerConstructor>(WorkerCtor);
expectType<gearmanode.JobConstructor>(JobCtor);
const job = new JobCtor(client, { name: 'f', payload: 'p' });
if (!(job instanceof Error)) expectType<string>(job.uuid);
ServerManager.mixin(class Other {});

// ---------------------------------------------------------------------------------------------
// Extras beyond gearmanode 0.9.2

expectType<string>(gearmanode.VERSION);
const e = gearmanode.errors.create(gearmanode.errors.CODES.CLOSED, 'closed', { jobServerUid: 'localhost:4730' });
expectType<gearmanode.GearmanError>(e);
expectType<Error>(e);
assertTrue<Equal<typeof gearmanode.errors, typeof errorsModule>>();
const codes: gearmanode.GearmanErrorCode[] = [gearmanode.errors.CODES.ALL_SERVERS_FAILED, 'GEARMAN_JOB_CLOSED'];
// @ts-expect-error: not a code of the library
const badCode: gearmanode.GearmanErrorCode = 'GEARMAN_OOPS';
const anyCodes: gearmanode.ErrorCode[] = ['ECONNREFUSED', 'ERR_TLS_CERT_ALTNAME_INVALID', gearmanode.errors.CODES.BAD_MAGIC];
// @ts-expect-error: not a socket code
const badSocketCode: errorsModule.SocketErrorCode = 'ECONNREFUSE';
expectType<gearmanode.GearmanError | Error>(gearmanode.errors.fromCore(new Error('x')));

expectType<Error | undefined>(gearmanode.setLogLevel('debug'));
expectType<gearmanode.LogLevel>(gearmanode.getLogLevel());
const placement: gearmanode.IoThreadPlacement = gearmanode.ioThreadPlacement();
expectType<boolean>(placement.following);
expectType<number>(placement.cpu + placement.moves + placement.pauses + placement.thread);
// @ts-expect-error: not a level
gearmanode.setLogLevel('loud');
const previous = gearmanode.setLogger((level, message, meta) => expectType<string>(level + message + meta.logger));
gearmanode.setLogger({ log: (level: gearmanode.LogLevel, message: string) => undefined });
gearmanode.setLogger({ warn: (message: string) => undefined, trace: (message: string) => undefined });
gearmanode.setLogger(previous);
gearmanode.Client.logger.transports.console.level = 'error';
// @ts-expect-error: not a level
gearmanode.Worker.logger.transports.console.level = 'quiet';
expectType<boolean>(loggerModule.get('Client').isLevelEnabled('silly'));
loggerModule.get('Job').debug('formatted %s', 'lazily');

async function lifecycleUsage(): Promise<void> {
  const c = gearmanode.client({ servers: [{ port: 4730 }], keepAlive: 1000 });
  const w = gearmanode.worker({ keepAlive: false });
  if (c instanceof Error || w instanceof Error) return;
  const ac = new AbortController();
  exact<Buffer>()(await c.submitJobAsync('reverse', 'x', { timeout: 500, signal: ac.signal }));
  const job = c.submitJob('reverse', 'x', { timeout: 500 });
  if (!(job instanceof Error)) job.on('timeout', () => undefined);
  exact<{ timedOut: number }>()(await c.shutdown({ timeout: 1000 }));
  exact<{ handedBack: number }>()(await w.shutdown());
  // @ts-expect-error: keepAlive is a number of ms or false
  gearmanode.client({ keepAlive: true });
  // @ts-expect-error: the signal is an AbortSignal
  c.submitJob('reverse', 'x', { signal: {} });
}
void lifecycleUsage;

async function adminUsage(): Promise<void> {
  const admin = gearmanode.admin({ port: 4730 });
  expectType<InstanceType<typeof Admin>>(admin);
  const rows = await admin.status();
  expectType<number>(rows[0].availableWorkers);
  expectType<string>(await admin.version());
  expectType<number>(await admin.getPid());
  const workers = await admin.workers();
  expectType<string[]>(workers[0].functions);
  await admin.maxQueue('f', { high: 1, normal: 2, low: 3 });
  admin.close();
  // @ts-expect-error: the per-priority limits come as a whole
  await admin.maxQueue('f', { high: 1 });
}
void adminUsage;

client.close();
worker.close();
void codes;
void badCode;
