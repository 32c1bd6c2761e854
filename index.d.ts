// Type definitions for gearmanode: the Gearman client and worker for Node.js (drop-in successor of
// gearmanode 0.9.2, with a Rust core).
//
//   import gearmanode = require('gearmanode');            // or: import * as gearmanode from 'gearmanode'
//   const client = gearmanode.client({ port: 4730 });
//   if (client instanceof Error) throw client;            // invalid options are returned, not thrown
//   const job = client.submitJob('reverse', 'hello', { toStringEncoding: 'utf8' });
//   if (job instanceof Error) throw job;
//   job.on('complete', () => console.log(job.response)); // string here (toStringEncoding), else Buffer
//
// The API keeps gearmanode's conventions, and these types say so:
// - constructors and factories *return* an Error for invalid arguments (`Client | Error`), they do
//   not throw; so do most methods (`Error | undefined`);
// - failures of the network, the server or a job arrive as events;
// - objects keep plain, writable fields (`client.jobs`, `jobServer.connected`, `lb.badNodes`, ...);
//   the members whose name starts with `_` are internal hooks that tests replace with spies.
//
// Besides the main module, the library's own modules can be required directly; their types are the
// ambient modules 'gearmanode/lib/gearmanode/<name>' below (protocol, load-balancing, job-server,
// common, version, errors, logger, admin, client, worker, job, server-manager). They are known once
// this file is part of the program: import 'gearmanode' somewhere, or add
// `/// <reference types="gearmanode" />`.

/// <reference types="node" />

declare module 'gearmanode' {
  import { EventEmitter } from 'events';
  import * as net from 'net';
  import * as errorsModule from 'gearmanode/lib/errors';
  import * as adminModule from 'gearmanode/lib/admin';

  namespace gearmanode {
    // -------------------------------------------------------------------------------------------
    // Values

    /** A string (sent as UTF-8) or raw bytes. */
    type Payload = string | Buffer;
    /** Data received from the server: a Buffer, or a string when `toStringEncoding` is set. */
    type Data = string | Buffer;
    /** Queue priority of a job. */
    type Priority = 'LOW' | 'NORMAL' | 'HIGH';
    /** Name of a load balancing strategy (case-sensitive); 'Hash' is beyond gearmanode 0.9.2. */
    type LoadBalancing = 'Sequence' | 'RoundRobin' | 'Hash';
    /** npm log levels, most important first. */
    type LogLevel = 'error' | 'warn' | 'info' | 'verbose' | 'debug' | 'silly';
    /** The reason given with `socketDisconnect`: the Error, `true` after a close with an error, `undefined` for a FIN or `close()`. */
    type DisconnectReason = Error | true | undefined;

    // -------------------------------------------------------------------------------------------
    // Options

    /** One job server: `host` defaults to 'localhost', `port` to 4730. The library writes the defaults into this object. */
    interface ServerOptions {
      host?: string;
      port?: number | string;
    }

    /** Options shared by Client and Worker. */
    interface ServerManagerOptions {
      /** Host of the single job server (default 'localhost'); ignored when `servers` is given. */
      host?: string;
      /** Port of the single job server (default 4730); ignored when `servers` is given. */
      port?: number | string;
      /** Several job servers (a non-empty array). */
      servers?: ServerOptions[];
      /** Beyond gearmanode 0.9.2: time allowed to connect, in ms (default 15000). */
      connectTimeout?: number;
      /** Beyond gearmanode 0.9.2: largest packet accepted from a server, header included, in bytes (default 256 MiB). */
      maxPacketSize?: number;
      /** Beyond gearmanode 0.9.2: TLS to every server (`true`: built-in roots, host name checked). */
      tls?: boolean | TlsOptions;
      /**
       * Beyond gearmanode 0.9.2: dead-server detection. Keepalive probes after this many ms of
       * silence (whole ms from 1000), and TCP_USER_TIMEOUT for unacknowledged writes: a server that
       * answers nothing for 4 × `keepAlive` is a socket error `ETIMEDOUT`. `false` turns it off.
       * Default 15000 (a dead server is found within about a minute).
       */
      keepAlive?: number | false;
    }

    /** TLS settings (PEM as strings or Buffers). */
    interface TlsOptions {
      /** Trusted CAs, replacing the built-in roots. */
      ca?: string | Buffer | Array<string | Buffer>;
      /** Client certificate chain (mutual TLS); goes with `key`. */
      cert?: string | Buffer | Array<string | Buffer>;
      /** Unencrypted private key of `cert`. */
      key?: string | Buffer;
      /** Name sent as SNI and checked against the certificate (default: the host). */
      servername?: string;
      /** `false` skips certificate verification: insecure, for tests and development only. */
      rejectUnauthorized?: boolean;
    }

    interface ClientOptions extends ServerManagerOptions {
      /**
       * 'Sequence' (default: the first good server, sticky), 'RoundRobin', or (beyond gearmanode
       * 0.9.2) 'Hash': a job with a unique id goes to the server rendezvous hashing of the id picks
       * (the same in every client naming the same servers; the next in the id's order when that one
       * is down), others round robin. Deleted from this object by the constructor.
       */
      loadBalancing?: LoadBalancing;
      /** How long a failed server is avoided, in ms (default 30000). Deleted from this object by the constructor. */
      recoverTime?: number;
    }

    interface WorkerOptions extends ServerManagerOptions {
      /** Grab jobs with their unique id (`job.unique`); default false. */
      withUnique?: boolean;
      /** Delay before reconnecting to a lost server, in ms (default 30000). */
      recoverTime?: number;
      /** Reconnect attempts in a row before giving up on a server (default 3); then the worker emits `error`. */
      recoverLimit?: number;
      /** Beyond gearmanode 0.9.2: jobs run at once per server; the next job is asked for as soon as a slot is free. */
      concurrency?: number;
      /**
       * Beyond gearmanode 0.9.2: ask with GRAB_JOB_ALL, so every job carries `unique`, and a reduce
       * job also `reducer` (default false).
       */
      grabAll?: boolean;
      /**
       * Beyond gearmanode 0.9.2: a worker asleep that long (ms, from 100) without a NOOP asks for a job
       * anyway; gearmand 1.1.20 sends no NOOP when a scheduled job falls due. Default: none (a sleeping
       * worker waits for NOOP, as in 0.9.2).
       */
      pollInterval?: number;
    }

    /** Options of `Client#submitJob`. The library writes `name`, `payload` and the defaults into this object. */
    interface SubmitJobOptions {
      /** Background job: the client gets a handle and no result (default false). */
      background?: boolean;
      /** Queue priority (default 'NORMAL'). */
      priority?: Priority;
      /** Unique id of the job (the server coalesces jobs with the same function and unique id). */
      unique?: string;
      /** Decode `response` and event data with this encoding into strings (default: Buffers). */
      toStringEncoding?: BufferEncoding;
      /** @deprecated ignored, as in gearmanode 0.9.2 (default 'utf8'). */
      encoding?: 'utf8' | 'ascii';
      /**
       * Beyond 0.9.2: a deadline in ms (1 to 2147483647). A job that has not ended by then
       * (foreground: complete, failed, exception, error, close; background: created) emits
       * `timeout`, then `close`; its promise rejects with GEARMAN_TIMEOUT. Later packets about it are
       * dropped quietly. The worker may still run it: gearmand cannot withdraw a job.
       */
      timeout?: number;
      /**
       * Beyond 0.9.2: cancels the job on abort: it emits `error` (when listened to) with an error named
       * 'AbortError', code 'ABORT_ERR', `cause` the signal's reason, then `close`. A signal aborted
       * before the call sends nothing. The worker may still run a job already sent.
       */
      signal?: AbortSignal;
      /**
       * Beyond gearmanode 0.9.2: run the job at this time (SUBMIT_JOB_EPOCH), a Date or a Unix time
       * in seconds (rounded up to whole seconds). Needs `background: true` and priority NORMAL; an
       * invalid time is a returned Error. gearmand 1.1.20 gives the job to the first worker that
       * asks after that time (it does not wake sleeping workers then).
       */
      runAt?: Date | number;
      /**
       * Beyond gearmanode 0.9.2: submit a reduce job (SUBMIT_REDUCE_JOB, or its background form)
       * with this reducer function name (at most 64 bytes; priority NORMAL). gearmand hands the name
       * to `grabAll` workers; libgearman's workers run the job as a mapper and pass its result on to
       * the reducer.
       */
      reducer?: string;
    }

    /** Options of `Worker#addFunction`. */
    interface AddFunctionOptions {
      /** Seconds a job may run; the worker then fails it (WORK_FAIL) and the job emits `timeout`. */
      timeout?: number;
      /** Decode `job.payload` with this encoding into a string (default: a Buffer). */
      toStringEncoding?: BufferEncoding;
    }

    /** Options of `new Job(owner, options)` (the library creates jobs; users rarely do). */
    interface JobOptions extends SubmitJobOptions {
      name: string;
      payload: Payload;
      /** Worker-side jobs: the server's handle. */
      handle?: string;
      /** Worker-side jobs: uid (`host:port`) of the server that assigned the job. */
      jobServerUid?: string;
    }

    /** Answer of `Client#getStatusUnique` (beyond gearmanode 0.9.2). */
    interface UniqueStatus {
      /** The unique id asked for. */
      unique: string;
      /** Whether the server knows a job with this unique id. */
      known: boolean;
      /** Whether a worker runs it. */
      running: boolean;
      /** The worker's last reported progress (0/0 before any). */
      numerator: number;
      denominator: number;
      /** How many clients wait for the job (0 for a background job). */
      waiting: number;
      /** Uid ('host:port') of the server that answered. */
      jobServerUid: string;
    }

    // -------------------------------------------------------------------------------------------
    // Events

    /** Progress of a job. `known`/`running` come with the answer to `getStatus()` only. */
    interface JobStatus {
      /** Whether the server knows the job (false once a background job finished). */
      known?: boolean;
      /** Whether a worker runs it. */
      running?: boolean;
      /** Numerator, as the server sent it (a string). */
      percent_done_num: string;
      /** Denominator, as the server sent it (a string). */
      percent_done_den: string;
    }

    /** Events of Client and Worker, with their arguments. */
    interface ServerManagerEvents {
      /** A job server got connected (connections open lazily, on the first send). */
      socketConnect: [jobServerUid: string];
      /** A connection ended: on every disconnect, and for every server on `close()`. */
      socketDisconnect: [jobServerUid: string, err: DisconnectReason];
      /** A socket error (connection refused, reset, ...); `socketDisconnect` follows. */
      socketError: [jobServerUid: string, err: NodeJS.ErrnoException];
      /** The server sent an ERROR packet. */
      jobServerError: [jobServerUid: string, code: string, message: string];
      /** `close()` was called. */
      close: [];
      /** An unrecoverable error (no server available, protocol error, a failing worker function, ...). */
      error: [err: Error];
      newListener: [event: string | symbol, listener: (...args: any[]) => void];
      removeListener: [event: string | symbol, listener: (...args: any[]) => void];
    }

    /** Events of a Job, with their arguments. `R` is the type of received data. */
    interface JobEvents<R extends Data = Data> {
      /** Client: the SUBMIT was written; `jobServerUid` is set. (Spelling as in gearmanode.) */
      submited: [];
      /** Client: the server created the job; `handle` is set. */
      created: [];
      /** Client: progress (WORK_STATUS from the worker, or the answer to `getStatus()`). */
      status: [status: JobStatus];
      /** Client: partial data from the worker. */
      workData: [data: R];
      /** Client: a warning from the worker. */
      warning: [data: R];
      /** Client: the job completed; `response` is set. */
      complete: [];
      /** Client: the job failed (WORK_FAIL). */
      failed: [];
      /** Client: the job failed with an exception (needs `jobServer.setOption('exceptions')`). */
      exception: [data: R];
      /** The job was closed (finished on the worker, or closed with its client/worker/connection). */
      close: [];
      /** Client: the job could not be run (no server, connection lost, client closed). Only emitted when listened to. */
      error: [err: Error];
      /**
       * Worker: the job ran past its `timeout` and was failed by the worker. Client: the job did not
       * end within its `timeout` option (or `client.shutdown`'s); `close` follows.
       */
      timeout: [];
      newListener: [event: string | symbol, listener: (...args: any[]) => void];
      removeListener: [event: string | symbol, listener: (...args: any[]) => void];
    }

    /** Events of a JobServer, with their arguments. */
    interface JobServerEvents {
      /** Answer to `echo(text)`. */
      echo: [text: string];
      /** Answer to `setOption(name)`. */
      option: [name: string];
      /** The server sent an ERROR packet. */
      jobServerError: [code: string, message: string];
      /** Internal: emitted once per successful connect. */
      ConnectInternal140319214558: [];
      newListener: [event: string | symbol, listener: (...args: any[]) => void];
      removeListener: [event: string | symbol, listener: (...args: any[]) => void];
    }

    /** The listener type of event `E` of an event map. */
    type Listener<M, E extends keyof M> = M[E] extends unknown[] ? (...args: M[E]) => void : never;

    // -------------------------------------------------------------------------------------------
    // Client

    interface Client extends EventEmitter {
      readonly _type: 'Client';
      /** The job servers, in the order given. */
      jobServers: JobServer[];
      /** Created jobs not yet finished, by `job.getUid()` ('host:port#handle'). */
      jobs: { [uid: string]: ClientJob };
      /** The load balancing strategy. */
      loadBalancer: Sequence | RoundRobin | Hash;
      /** true once `close()` was called (absent before). */
      closed?: boolean;

      /**
       * Submits a job to the next job server of the load balancer. Returns the job (its events tell
       * what happens), or an Error for invalid arguments.
       */
      submitJob(name: string, payload: Payload, options: SubmitJobOptions & { background: true }): ClientJob<Data, true> | Error;
      submitJob(name: string, payload: Payload, options: SubmitJobOptions & { background?: false; toStringEncoding: BufferEncoding }): ClientJob<string, false> | Error;
      submitJob(name: string, payload: Payload, options?: SubmitJobOptions & { background?: false; toStringEncoding?: undefined }): ClientJob<Buffer, false> | Error;
      submitJob(name: string, payload: Payload, options?: SubmitJobOptions): ClientJob | Error;
      /**
       * Not enumerable (beyond gearmanode 0.9.2). Submits a job and returns a Promise of its outcome:
       * the response (a Buffer, or a string with `toStringEncoding`), or for a background job the job
       * itself once created. Rejects with the Error `submitJob` would return, or a GearmanError:
       * GEARMAN_JOB_FAILED, GEARMAN_JOB_EXCEPTION (the worker's data in `.data`), GEARMAN_JOB_CLOSED,
       * or the job's `error`.
       */
      submitJobAsync(name: string, payload: Payload, options: SubmitJobOptions & { background: true }): Promise<ClientJob<Data, true>>;
      submitJobAsync(name: string, payload: Payload, options: SubmitJobOptions & { background?: false; toStringEncoding: BufferEncoding }): Promise<string>;
      submitJobAsync(name: string, payload: Payload, options?: SubmitJobOptions & { background?: false; toStringEncoding?: undefined }): Promise<Buffer>;
      submitJobAsync(name: string, payload: Payload, options?: SubmitJobOptions): Promise<Data | ClientJob<Data, true>>;
      /**
       * Not enumerable (beyond gearmanode 0.9.2). The status of a job by its unique id
       * (GET_STATUS_UNIQUE): under `Hash` from the server the id belongs to, otherwise from every
       * server, answering with the one that knows the job (or `known: false`). Rejects with a
       * TypeError for an id that is not a non-empty string, GEARMAN_NUL_IN_ARGUMENT,
       * GEARMAN_ARGUMENT_TOO_LARGE (over 63 bytes: gearmand 1.1.20 never answers those),
       * GEARMAN_CLOSED, or GEARMAN_ALL_SERVERS_FAILED when no server could answer.
       */
      getStatusUnique(unique: string): Promise<UniqueStatus>;
      /** Closes every connection and every job; emits `close`, then removes all listeners. */
      close(): void;
      /**
       * Not enumerable (beyond gearmanode 0.9.2). Graceful shutdown: new jobs get `error`
       * GEARMAN_CLOSED without being sent; jobs in flight may end; at `timeout` (ms) those still in
       * flight emit `timeout`, then `close`. Then the client closes. Without `timeout` it waits for
       * every job.
       */
      shutdown(options?: { timeout?: number }): Promise<{ timedOut: number }>;
      /** 'Client(jobServers=...)' */
      toString(): string;

      addListener<E extends keyof ClientEvents>(event: E, listener: Listener<ClientEvents, E>): this;
      prependListener<E extends keyof ClientEvents>(event: E, listener: Listener<ClientEvents, E>): this;
      prependOnceListener<E extends keyof ClientEvents>(event: E, listener: Listener<ClientEvents, E>): this;
      removeListener<E extends keyof ClientEvents>(event: E, listener: Listener<ClientEvents, E>): this;
      off<E extends keyof ClientEvents>(event: E, listener: Listener<ClientEvents, E>): this;
      on(event: 'socketConnect', listener: (jobServerUid: string) => void): this;
      on(event: 'socketDisconnect', listener: (jobServerUid: string, err: DisconnectReason) => void): this;
      on(event: 'socketError', listener: (jobServerUid: string, err: NodeJS.ErrnoException) => void): this;
      on(event: 'jobServerError', listener: (jobServerUid: string, code: string, message: string) => void): this;
      on(event: 'close', listener: () => void): this;
      on(event: 'error', listener: (err: Error) => void): this;
      on(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
      once(event: 'socketConnect', listener: (jobServerUid: string) => void): this;
      once(event: 'socketDisconnect', listener: (jobServerUid: string, err: DisconnectReason) => void): this;
      once(event: 'socketError', listener: (jobServerUid: string, err: NodeJS.ErrnoException) => void): this;
      once(event: 'jobServerError', listener: (jobServerUid: string, code: string, message: string) => void): this;
      once(event: 'close', listener: () => void): this;
      once(event: 'error', listener: (err: Error) => void): this;
      once(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;

      // ServerManager (internal hooks, replaceable for tests)
      /** Creates `jobServers` from `host`/`port`/`servers`; returns an Error for invalid options. */
      initServers(options?: ServerManagerOptions): Error | undefined;
      /** Disconnects every job server (one `socketDisconnect` each). */
      closeServers(): void;
      _getJobServerIndexByUid(uid: string): number | undefined;
      _getJobServerByUid(uid: string): JobServer | undefined;
      /** Handles a server packet about a job (`parsed` as parsePacket returns it). */
      _response(jobServer: JobServer, type: number, parsed: ParsedPacket): void;
      /** Logs and emits `error` with `new Error(message)`. */
      _unrecoverableError(message: string): void;
      /**
       * The next job server of the load balancer, or null (after an `error`) when all are bad. With
       * a job and a strategy that places unique ids (`Hash`), the server of the job's unique id.
       */
      _getJobServer(job?: Job): JobServer | null;
      /** Not enumerable. Called by a JobServer after each disconnect (`lost`: not asked for by user code). */
      _jobServerDisconnected(jobServer: JobServer, err: unknown, lost?: boolean): void;
    }
    type ClientEvents = ServerManagerEvents;

    interface ClientConstructor {
      /** A client, or an Error for invalid options (calling it without `new` throws TypeError). */
      new (options?: ClientOptions): Client | Error;
      readonly prototype: Client;
      logger: Logger;
      super_: typeof EventEmitter;
    }

    // -------------------------------------------------------------------------------------------
    // Worker

    /**
     * A worker function: called with each assigned job. Report through the job (`workComplete`,
     * `sendWorkData`, `reportStatus`, `reportError`, ...). It may be `async` / return a Promise: a
     * value it resolves with (other than undefined) completes the job; a rejection or a throw fails
     * it with the error's message as the exception text.
     */
    type WorkerFunction<P extends Data = Buffer> = (job: WorkerJob<P>) => unknown;

    interface Worker extends EventEmitter {
      readonly _type: 'Worker';
      withUnique: boolean;
      recoverTime: number;
      recoverLimit: number;
      jobServers: JobServer[];
      /** Registered functions: name → [callback, options]. */
      functions: { [name: string]: [WorkerFunction<any>, AddFunctionOptions] };
      /** Set by `setWorkerId` (absent before). */
      workerId?: string;
      /** true once `close()` was called (absent before). */
      closed?: boolean;

      /** Registers a function on every job server; returns an Error for invalid arguments. */
      addFunction(name: string, callback: WorkerFunction<string>, options: AddFunctionOptions & { toStringEncoding: BufferEncoding }): Error | undefined;
      addFunction(name: string, callback: WorkerFunction<Buffer>, options?: AddFunctionOptions & { toStringEncoding?: undefined }): Error | undefined;
      addFunction(name: string, callback: WorkerFunction<Data>, options?: AddFunctionOptions): Error | undefined;
      /** Unregisters a function on every job server. */
      removeFunction(name: string): Error | undefined;
      /** Tells every server that this worker can do nothing (`functions` is kept). */
      resetAbilities(): void;
      /** Sets the id shown by the server's admin `workers` command (non-blank string). */
      setWorkerId(workerId: string): Error | undefined;
      /** Closes every connection; emits `close`, then removes all listeners. */
      close(): void;
      /**
       * Not enumerable (beyond gearmanode 0.9.2). Graceful shutdown: the worker asks for no new job
       * and withdraws its functions on every server (on a server where jobs run, once they are
       * answered), lets the running jobs finish, then closes. Jobs still running at `timeout` (ms)
       * are handed back to gearmand (another worker gets them; their late answers are ignored).
       * A second call returns the same Promise.
       */
      shutdown(options?: { timeout?: number }): Promise<{ handedBack: number }>;
      /** 'Worker(jobServers=...)' */
      toString(): string;

      addListener<E extends keyof WorkerEvents>(event: E, listener: Listener<WorkerEvents, E>): this;
      prependListener<E extends keyof WorkerEvents>(event: E, listener: Listener<WorkerEvents, E>): this;
      prependOnceListener<E extends keyof WorkerEvents>(event: E, listener: Listener<WorkerEvents, E>): this;
      removeListener<E extends keyof WorkerEvents>(event: E, listener: Listener<WorkerEvents, E>): this;
      off<E extends keyof WorkerEvents>(event: E, listener: Listener<WorkerEvents, E>): this;
      on(event: 'socketConnect', listener: (jobServerUid: string) => void): this;
      on(event: 'socketDisconnect', listener: (jobServerUid: string, err: DisconnectReason) => void): this;
      on(event: 'socketError', listener: (jobServerUid: string, err: NodeJS.ErrnoException) => void): this;
      on(event: 'jobServerError', listener: (jobServerUid: string, code: string, message: string) => void): this;
      on(event: 'close', listener: () => void): this;
      on(event: 'error', listener: (err: Error) => void): this;
      on(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
      once(event: 'socketConnect', listener: (jobServerUid: string) => void): this;
      once(event: 'socketDisconnect', listener: (jobServerUid: string, err: DisconnectReason) => void): this;
      once(event: 'socketError', listener: (jobServerUid: string, err: NodeJS.ErrnoException) => void): this;
      once(event: 'jobServerError', listener: (jobServerUid: string, code: string, message: string) => void): this;
      once(event: 'close', listener: () => void): this;
      once(event: 'error', listener: (err: Error) => void): this;
      once(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;

      // ServerManager (internal hooks, replaceable for tests)
      initServers(options?: ServerManagerOptions): Error | undefined;
      closeServers(): void;
      _getJobServerIndexByUid(uid: string): number | undefined;
      _getJobServerByUid(uid: string): JobServer | undefined;
      _response(jobServer: JobServer, type: number, parsed?: ParsedPacket): void;
      _unrecoverableError(message: string): void;
      /** `functions[name]`; emits `error` for an unknown name. */
      _getFunction(name: string): [WorkerFunction<any>, AddFunctionOptions] | undefined;
      /** Sends PRE_SLEEP to one server. */
      _preSleep(jobServer: JobServer): void;
      /** Not enumerable. Called by a JobServer after each disconnect (`lost`: not asked for by user code). */
      _jobServerDisconnected(jobServer: JobServer, err: unknown, lost?: boolean): void;
      /** Not enumerable. Called by a JobServer after each successful connect. */
      _jobServerConnected(jobServer: JobServer): void;
    }
    type WorkerEvents = ServerManagerEvents;

    interface WorkerConstructor {
      /** A worker, or an Error for invalid options (calling it without `new` throws TypeError). */
      new (options?: WorkerOptions): Worker | Error;
      readonly prototype: Worker;
      logger: Logger;
      super_: typeof EventEmitter;
    }

    // -------------------------------------------------------------------------------------------
    // Job

    /**
     * A job, on either side. Submitted jobs are `ClientJob`s, assigned jobs `WorkerJob`s; both are
     * instances of `Job`. `R` is the type of data received on the client side (response, events).
     */
    interface Job<R extends Data = Data> extends EventEmitter {
      /** A random UUID, set at construction. */
      uuid: string;
      clientOrWorker: Client | Worker;
      /** Function name. */
      name: string;
      /** Client: the payload as given. Worker: a Buffer, or a string with `toStringEncoding`. */
      payload: Payload;
      /** Unique id (client: when given; worker: with `withUnique` or `grabAll`). */
      unique?: string;
      /** Beyond gearmanode 0.9.2. Client: the `reducer` option; worker (`grabAll`): the reducer of a reduce job. */
      reducer?: string;
      /** Beyond gearmanode 0.9.2. Client: the `runAt` option as the Unix time in seconds sent. */
      runAt?: number;
      /** Handle assigned by the server (client: from `created` on). */
      handle?: string;
      /** Uid ('host:port') of the server of the job (client: from `submited` on). */
      jobServerUid?: string;
      /** Client: the result, set before `complete` (undefined after `failed`). */
      response?: R;
      /** Client: see SubmitJobOptions. */
      toStringEncoding?: BufferEncoding;
      background?: boolean;
      priority?: Priority;
      encoding?: 'utf8' | 'ascii';
      /** Client: true from submission until the job ends. */
      processing?: boolean;
      /** true once `close()` was called (absent before). */
      closed?: boolean;

      /** Ends the job: emits `close`, then removes all listeners. */
      close(): void;
      /**
       * The SUBMIT_JOB* packet type for `background` and `priority`; beyond gearmanode 0.9.2,
       * SUBMIT_REDUCE_JOB(_BACKGROUND) with `reducer`, SUBMIT_JOB_EPOCH with `runAt`.
       */
      getPacketType(): number | undefined;
      /** 'Job(uuid=..., handle=..., server=...)' */
      toString(): string;
      /** `jobServerUid + '#' + handle` */
      getUid(): string;

      // client side
      /** Asks the server for the status of this background job; the answer is a `status` event. */
      getStatus(): Error | undefined;

      // worker side
      /** Completes the job with its result (a Buffer is sent raw). */
      workComplete(data?: Payload | number): void;
      /** Sends partial data to the client (a Buffer is sent raw). */
      sendWorkData(data?: Payload): void;
      /** Reports progress (numerator, denominator). */
      reportStatus(numerator: number, denominator: number): Error | undefined;
      /** Sends a warning to the client. */
      reportWarning(data?: Payload): void;
      /** Fails the job (WORK_FAIL). */
      reportError(): void;
      /** Fails the job with an exception text (WORK_EXCEPTION). */
      reportException(data?: Payload): void;
      /** Sends a final packet, then PRE_SLEEP, then closes the job (internal). */
      _sendAndClose(type: number, body: PacketArgument[]): void;
      /** Not enumerable. Client side: a Promise of the outcome (see `ClientJob#promise`). */
      promise(): Promise<unknown>;

      addListener<E extends keyof JobEvents<R>>(event: E, listener: Listener<JobEvents<R>, E>): this;
      prependListener<E extends keyof JobEvents<R>>(event: E, listener: Listener<JobEvents<R>, E>): this;
      prependOnceListener<E extends keyof JobEvents<R>>(event: E, listener: Listener<JobEvents<R>, E>): this;
      removeListener<E extends keyof JobEvents<R>>(event: E, listener: Listener<JobEvents<R>, E>): this;
      off<E extends keyof JobEvents<R>>(event: E, listener: Listener<JobEvents<R>, E>): this;
      on(event: 'submited' | 'created' | 'complete' | 'failed' | 'close' | 'timeout', listener: () => void): this;
      on(event: 'status', listener: (status: JobStatus) => void): this;
      on(event: 'workData' | 'warning' | 'exception', listener: (data: R) => void): this;
      on(event: 'error', listener: (err: Error) => void): this;
      on(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
      once(event: 'submited' | 'created' | 'complete' | 'failed' | 'close' | 'timeout', listener: () => void): this;
      once(event: 'status', listener: (status: JobStatus) => void): this;
      once(event: 'workData' | 'warning' | 'exception', listener: (data: R) => void): this;
      once(event: 'error', listener: (err: Error) => void): this;
      once(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
    }

    /**
     * A job submitted by a client. `R`: Buffer, or string when submitted with `toStringEncoding`;
     * `B`: whether it is a background job.
     */
    interface ClientJob<R extends Data = Data, B extends boolean = boolean> extends Job<R> {
      clientOrWorker: Client;
      background: B;
      /**
       * Not enumerable (beyond gearmanode 0.9.2). A Promise of the outcome: the response, or for a
       * background job the job itself once created. Rejections: see `Client#submitJobAsync`.
       */
      promise(): Promise<B extends true ? ClientJob<R, true> : R>;
      priority: Priority;
      encoding: 'utf8' | 'ascii';
      processing: boolean;
    }

    /** A job assigned to a worker. `P`: Buffer, or string when registered with `toStringEncoding`. */
    interface WorkerJob<P extends Data = Buffer> extends Job {
      clientOrWorker: Worker;
      payload: P;
      handle: string;
      jobServerUid: string;
    }

    interface JobConstructor {
      /** A job, or an Error for invalid arguments. */
      new (clientOrWorker: Client | Worker, options: JobOptions): Job | Error;
      readonly prototype: Job;
      logger: Logger;
      super_: typeof EventEmitter;
    }

    // -------------------------------------------------------------------------------------------
    // Job server and load balancing (reachable as client.jobServers and client.loadBalancer)

    interface JobServer extends EventEmitter {
      host: string;
      port: number | string;
      /** Whether the connection is up. */
      connected: boolean;
      /** Submitted jobs waiting for JOB_CREATED, in order. */
      jobsWaiting4Created: Job[];
      /** 0, or the time of the last wrong disconnect. */
      wrongDisconnectAt: number | Date;
      /** Wrong disconnects in a row (reset by a successful connect). */
      failedConnectionCount: number;
      /** The connection's socket (absent while disconnected). */
      socket?: net.Socket;
      /** The owner (absent after `closeServers()`). */
      clientOrWorker?: Client | Worker;
      /** Bytes of an incomplete packet whose header is complete (absent when none). */
      segmentedPacket?: Buffer;
      /** Fewer than 12 bytes of an incomplete header (absent when none). */
      headerfrag?: Buffer;

      /** Connects unless connected (or connecting): `callback()` once connected, `callback(err)` on failure. */
      connect(callback: (err?: Error) => void): net.Socket | Error;
      /** Closes the connection; `err` (anything but undefined) counts as a wrong disconnect. */
      disconnect(err?: unknown): void;
      /** Sends one request packet, connecting first if needed. */
      send(data: Buffer, callback?: (err?: Error) => void): Error | undefined;
      /** Sends ECHO_REQ; the answer is the `echo` event. */
      echo(text: string): Error | undefined;
      /** Sends OPTION_REQ (gearmand knows 'exceptions'); the answer is the `option` event. */
      setOption(name: string): Error | undefined;
      /** Handles received bytes (internal). */
      _processData(chunk: Buffer): void;
      /** 'host:port' */
      getUid(): string;
      /** 'JobServer(host:port)' */
      toString(): string;

      addListener<E extends keyof JobServerEvents>(event: E, listener: Listener<JobServerEvents, E>): this;
      prependListener<E extends keyof JobServerEvents>(event: E, listener: Listener<JobServerEvents, E>): this;
      prependOnceListener<E extends keyof JobServerEvents>(event: E, listener: Listener<JobServerEvents, E>): this;
      removeListener<E extends keyof JobServerEvents>(event: E, listener: Listener<JobServerEvents, E>): this;
      off<E extends keyof JobServerEvents>(event: E, listener: Listener<JobServerEvents, E>): this;
      on(event: 'echo', listener: (text: string) => void): this;
      on(event: 'option', listener: (name: string) => void): this;
      on(event: 'jobServerError', listener: (code: string, message: string) => void): this;
      on(event: 'ConnectInternal140319214558', listener: () => void): this;
      on(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
      once(event: 'echo', listener: (text: string) => void): this;
      once(event: 'option', listener: (name: string) => void): this;
      once(event: 'jobServerError', listener: (code: string, message: string) => void): this;
      once(event: 'ConnectInternal140319214558', listener: () => void): this;
      once(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
    }

    interface JobServerConstructor {
      /** A job server, or an Error for invalid options (`host` and `port` are mandatory). */
      new (options: { host: string; port: number | string }): JobServer | Error;
      readonly prototype: JobServer;
      logger: Logger;
      super_: typeof EventEmitter;
    }

    /** Base of the load balancing strategies. */
    interface LBStrategy {
      nodeCount: number;
      /** Bad nodes: index → when marked. */
      badNodes: { [index: string]: Date };
      /** How long a bad node is avoided, in ms. */
      recoverTime: number;
      /** The last index returned (absent before the first `nextIndex()`). */
      lastIndex?: number | null;
      /** The index of the node to use, or null when every node is bad. */
      nextIndex(): number | null;
      /** Marks a node good again. */
      goodOne(index: number): void;
      /** Marks a node bad (now). */
      badOne(index: number): void;
      _searchNextGood(bad: number): number | null;
    }
    /** The same node until it goes bad, then the next good one (sticky). */
    interface Sequence extends LBStrategy {}
    /** The nodes in turn, skipping bad ones. */
    interface RoundRobin extends LBStrategy {}
    /**
     * Beyond gearmanode 0.9.2: rendezvous hashing of unique ids over the nodes, by their names;
     * jobs without a unique id round robin (`nextIndex`).
     */
    interface Hash extends RoundRobin {
      /** The node for a job with this unique id (round robin without one), or null when all are bad. */
      indexFor(unique?: string | Buffer | null): number | null;
      /** The nodes in this unique id's order of preference, bad marks aside. */
      orderFor(unique: string | Buffer): number[];
    }

    interface LBStrategyConstructor {
      new (nodeCount: number): LBStrategy | Error;
      readonly prototype: LBStrategy;
      logger: Logger;
    }
    interface SequenceConstructor {
      /** A strategy, or an Error when `nodeCount` is not a number. */
      new (nodeCount: number): Sequence | Error;
      readonly prototype: Sequence;
      super_: LBStrategyConstructor;
    }
    interface RoundRobinConstructor {
      /** A strategy, or an Error when `nodeCount` is not a number. */
      new (nodeCount: number): RoundRobin | Error;
      readonly prototype: RoundRobin;
      super_: LBStrategyConstructor;
    }
    interface HashConstructor {
      /**
       * A strategy over nodes named `nodeNames` (a client uses 'host:port'; default '0', '1', …),
       * or an Error when `nodeCount` is not a number or the names are not strings.
       */
      new (nodeCount: number, nodeNames?: string[]): Hash | Error;
      readonly prototype: Hash;
      super_: RoundRobinConstructor;
    }

    // -------------------------------------------------------------------------------------------
    // Protocol values

    /** An argument of a request packet: strings as UTF-8, Buffers raw, numbers and booleans as text. */
    type PacketArgument = string | Buffer | number | boolean;
    /** `[bytesConsumed, field, ...]`: text fields are strings, opaque data a Buffer. */
    type ParsedPacket = [number, ...Array<string | Buffer>];

    // -------------------------------------------------------------------------------------------
    // Logging

    interface Logger {
      /** The logger's name ('Client', 'Worker', 'JobServer', 'Job', 'LBStrategy', 'protocol'). */
      readonly name: string;
      /**
       * `transports.console.level`: one level shared by every logger (gearmanode's knob). JavaScript
       * written for 0.9.2 may set any other name (`'none'`): that turns logging off, and the level
       * then reads back as that name.
       */
      readonly transports: { readonly console: { level: LogLevel } };
      /** Writes `util.format(format, ...args)` at `level` when that level is enabled. */
      log(level: LogLevel, format?: any, ...args: any[]): this;
      /** Whether lines of `level` are written. */
      isLevelEnabled(level: LogLevel): boolean;
      error(format?: any, ...args: any[]): this;
      warn(format?: any, ...args: any[]): this;
      info(format?: any, ...args: any[]): this;
      verbose(format?: any, ...args: any[]): this;
      debug(format?: any, ...args: any[]): this;
      silly(format?: any, ...args: any[]): this;
    }

    /**
     * Where log lines go: a function, a winston-like object with `log(level, message, meta)`, or a
     * pino-like object with level methods.
     */
    type LogSink =
      | ((level: LogLevel, message: string, meta: { logger: string }) => void)
      | { log(level: LogLevel, message: string, meta: { logger: string }): unknown }
      | { [level in LogLevel | 'trace']?: (message: string) => unknown };

    // -------------------------------------------------------------------------------------------
    // Beyond gearmanode 0.9.2

    type GearmanError = errorsModule.GearmanError;
    type GearmanErrorCode = errorsModule.GearmanErrorCode;
    type ErrorCode = errorsModule.ErrorCode;
    type Admin = adminModule.Admin;
    type AdminOptions = adminModule.AdminOptions;
    type AdminStatusRow = adminModule.AdminStatusRow;
    type AdminPriorityRow = adminModule.AdminPriorityRow;
    type AdminWorkerRow = adminModule.AdminWorkerRow;

    // -------------------------------------------------------------------------------------------
    // The module's values

    /** `new Client(options)`: a client, or an Error for invalid options. */
    function client(options?: ClientOptions): Client | Error;
    /** `new Worker(options)`: a worker, or an Error for invalid options. */
    function worker(options?: WorkerOptions): Worker | Error;
    const Client: ClientConstructor;
    const Worker: WorkerConstructor;
    const Job: JobConstructor;

    /** `ioThreadPlacement()`: whether the core's I/O thread follows the JS thread's CPU, where it is pinned, how often it moved. */
    interface IoThreadPlacement {
      /** It follows the JS thread (Linux, one I/O thread, `GEARMANODE_IO_AFFINITY` not `off`, one JS thread using the library). */
      following: boolean;
      /** The CPU it is pinned to, or -1 (not pinned, or no event taken yet). */
      cpu: number;
      /** How many times it moved to another CPU. */
      moves: number;
      /** How many times following paused (250 ms at first, up to 8 s while it goes on) because the JS thread kept changing CPUs. */
      pauses: number;
      /** The I/O thread's Linux thread id (`/proc/self/task/<thread>`), or -1 (following off, or no event handed over yet). */
      thread: number;
    }

    // Not enumerable: `Object.keys(require('gearmanode'))` stays gearmanode's five.
    /** The package version. */
    const VERSION: string;
    /** Typed errors: `GearmanError` and the `CODES` of its `code`. */
    const errors: typeof errorsModule;
    /** A connection for the admin text protocol (`status`, `workers`, ...), one promise per command. */
    function admin(options?: AdminOptions): Admin;
    const Admin: typeof adminModule.Admin;
    /** Replaces where log lines go (null restores stderr); returns the previous sink. Throws TypeError for an unusable sink. */
    function setLogger(sink: LogSink | null | undefined): LogSink | null;
    /** Sets the level shared by every logger and the core; returns an Error for an unknown level. */
    function setLogLevel(level: LogLevel | 0 | 1 | 2 | 3 | 4 | 5): Error | undefined;
    /** The current log level (while logging is off, the name that turned it off). */
    function getLogLevel(): LogLevel;
    /** Where the core's I/O thread runs (README, "Threads and CPUs"). */
    function ioThreadPlacement(): IoThreadPlacement;
  }

  export = gearmanode;
}

declare module 'gearmanode/lib/gearmanode' {
  import gearmanode = require('gearmanode');
  export = gearmanode;
}

declare module 'gearmanode/lib/gearmanode/client' {
  import gearmanode = require('gearmanode');
  export type Client = gearmanode.Client;
  export const Client: gearmanode.ClientConstructor;
}

declare module 'gearmanode/lib/gearmanode/worker' {
  import gearmanode = require('gearmanode');
  export type Worker = gearmanode.Worker;
  export const Worker: gearmanode.WorkerConstructor;
}

declare module 'gearmanode/lib/gearmanode/job' {
  import gearmanode = require('gearmanode');
  export type Job<R extends gearmanode.Data = gearmanode.Data> = gearmanode.Job<R>;
  export const Job: gearmanode.JobConstructor;
}

declare module 'gearmanode/lib/gearmanode/job-server' {
  import gearmanode = require('gearmanode');
  export type JobServer = gearmanode.JobServer;
  export const CONSTANTS: { DEFAULT_RECOVER_TIME: number };
  export const JobServer: gearmanode.JobServerConstructor;
  /** Not enumerable: the internal connect event's name ('ConnectInternal140319214558'). */
  export const CI: 'ConnectInternal140319214558';
  /** Not enumerable: at most this many submits wait for JOB_CREATED per connection; later ones are held back. */
  export const SUBMIT_WINDOW: number;
  /** Not enumerable: `jobServer.send(packet, cb)` for a SUBMIT_JOB* packet, within the submit window. */
  export function sendSubmit(jobServer: JobServer, packet: Buffer, cb?: (err?: Error) => void): Error | undefined;
}

declare module 'gearmanode/lib/gearmanode/load-balancing' {
  import gearmanode = require('gearmanode');
  export type LBStrategy = gearmanode.LBStrategy;
  export type Sequence = gearmanode.Sequence;
  export type RoundRobin = gearmanode.RoundRobin;
  export const Sequence: gearmanode.SequenceConstructor;
  export const RoundRobin: gearmanode.RoundRobinConstructor;
  export type Hash = gearmanode.Hash;
  /** Not enumerable (beyond gearmanode 0.9.2). */
  export const Hash: gearmanode.HashConstructor;
}

declare module 'gearmanode/lib/gearmanode/server-manager' {
  import { Client, Worker, ServerManagerOptions, JobServer, ParsedPacket } from 'gearmanode';
  /** The methods Client and Worker share (a mixin). */
  export interface ServerManager {
    initServers(options?: ServerManagerOptions): Error | undefined;
    closeServers(): void;
    _getJobServerIndexByUid(uid: string): number | undefined;
    _getJobServerByUid(uid: string): JobServer | undefined;
    _response(jobServer: JobServer, type: number, parsed?: ParsedPacket): void;
    _unrecoverableError(message: string): void;
  }
  export const ServerManager: {
    new (): ServerManager;
    readonly prototype: ServerManager;
    /** Copies the ServerManager methods onto `Ctor.prototype`. */
    mixin(Ctor: { prototype: object }): void;
  };
  export type Owner = Client | Worker;
}

declare module 'gearmanode/lib/gearmanode/protocol' {
  import { Logger, PacketArgument, ParsedPacket } from 'gearmanode';
  export type { PacketArgument, ParsedPacket } from 'gearmanode';

  /** The packet names gearmanode 0.9.2 knows (codes 1–34; 5 and 24 do not exist). */
  export type PacketName =
    | 'CAN_DO' | 'CANT_DO' | 'RESET_ABILITIES' | 'PRE_SLEEP' | 'NOOP' | 'SUBMIT_JOB' | 'JOB_CREATED'
    | 'GRAB_JOB' | 'NO_JOB' | 'JOB_ASSIGN' | 'WORK_STATUS' | 'WORK_COMPLETE' | 'WORK_FAIL' | 'GET_STATUS'
    | 'ECHO_REQ' | 'ECHO_RES' | 'SUBMIT_JOB_BG' | 'ERROR' | 'STATUS_RES' | 'SUBMIT_JOB_HIGH'
    | 'SET_CLIENT_ID' | 'CAN_DO_TIMEOUT' | 'WORK_EXCEPTION' | 'OPTION_REQ' | 'OPTION_RES' | 'WORK_DATA'
    | 'WORK_WARNING' | 'GRAB_JOB_UNIQ' | 'JOB_ASSIGN_UNIQ' | 'SUBMIT_JOB_HIGH_BG' | 'SUBMIT_JOB_LOW'
    | 'SUBMIT_JOB_LOW_BG';
  /** Every packet of the protocol (codes 1–42). */
  export type AnyPacketName =
    | PacketName | 'ALL_YOURS' | 'SUBMIT_JOB_SCHED' | 'SUBMIT_JOB_EPOCH' | 'SUBMIT_REDUCE_JOB'
    | 'SUBMIT_REDUCE_JOB_BACKGROUND' | 'GRAB_JOB_ALL' | 'JOB_ASSIGN_ALL' | 'GET_STATUS_UNIQUE' | 'STATUS_RES_UNIQUE';

  /** One packet of the full table. */
  export interface PacketInfo {
    readonly code: number;
    readonly name: AnyPacketName;
    readonly direction: 'request' | 'response' | 'both';
    /** Argument names in wire order. */
    readonly args: readonly string[];
    /** 1 request, 2 response, 3 both. */
    readonly flags: 1 | 2 | 3;
    /** Response format letters (packets a server sends), else undefined. */
    readonly format: string | undefined;
  }

  export const CONSTANTS: {
    TYPE_REQ: number;
    TYPE_RESP: number;
    /** 0x00524551, '\0REQ' */
    HEADER_REQ: number;
    /** 0x00524553, '\0RES' */
    HEADER_RESP: number;
    HEADER_LEN: number;
    UNKNOWN_OPTION: string;
  };
  /** name → [code, flags] or [code, flags, response format] (flags: 1 request, 2 response, 3 both). */
  export const DEFINITION: { [name in PacketName]: [number, number] | [number, number, string] };
  /** name → code */
  export const PACKET_TYPES: { [name in PacketName]: number };
  /** code → name */
  export const PACKET_CODES: { [code: number]: PacketName };
  /** code → response format, for the response-only packets */
  export const PACKET_RESP_FORMAT: { [code: number]: string };
  /**
   * Parses one packet by a format of letters: `N` text to the next NUL (UTF-8), `n` the same in
   * ASCII, `L` UTF-8 to the end of the declared body, `b` a Buffer to the end of the buffer.
   * Returns an Error for an unknown letter; throws RangeError for a buffer under 12 bytes.
   */
  export function parsePacket(buff: Buffer, format?: string): ParsedPacket | Error;
  /** Encodes a request packet; throws TypeError for a null/undefined argument. */
  export function encodePacket(type: number, args?: readonly PacketArgument[]): Buffer;

  // Not enumerable (beyond gearmanode 0.9.2)
  /** The 'protocol' logger. */
  export const logger: Logger;
  /** The whole packet table (1–42), by name. */
  export const PACKETS: { readonly [name in AnyPacketName]: PacketInfo };
  /** The whole packet table, by code. */
  export const PACKETS_BY_CODE: ReadonlyArray<PacketInfo | undefined>;
  /** Internal: the fields of the frame at index `at` of a frame table (laid out as the core's `FrameSlot` says). */
  export function framedFields(buf: Buffer, frames: Uint32Array, at: number, format: string): ParsedPacket;
}

declare module 'gearmanode/lib/gearmanode/common' {
  /** Checks `options` against `pattern` ('mandatory', 'optional', an Array of allowed values, or a default). */
  export function verifyOptions<T>(options: T | null | undefined, pattern: object | null | undefined): T | Error;
  /** verifyOptions, then writes the defaults of `pattern` into `options` (mutates it). */
  export function verifyAndSanitizeOptions<T>(options: T | null | undefined, pattern: object | null | undefined): T | Error;
  /** A primitive string or a String object. */
  export function isString(x: unknown): x is string | String;
  /** A primitive number (NaN and Infinity too) or a Number object. */
  export function isNumber(x: unknown): x is number | Number;
  /** A shallow copy (an Array by slice, another object as a plain object of its own enumerable properties). */
  export function clone<T>(x: T): T;
  /** Copies the own enumerable properties of `source` onto `destination`. */
  export function mixin<S extends object, D extends object>(source: S, destination: D): D & S;
  /** Unpadded lowercase hex of the first `max` (default 40) bytes. */
  export function bufferAsHex(buff: ArrayLike<number>, max?: number | null): string;
  export function nullFunction(): void;
  /** Throws Error('unimplemented abstract method'). */
  export function abstractMethod(): never;
  /** A random version-4 UUID. */
  export function createUUID(): string;
}

declare module 'gearmanode/lib/gearmanode/version' {
  /** `[version, date, note]`, newest first. */
  export const VERSION_HISTORY: Array<[version: string, date: string, note: string]>;
  /** `VERSION_HISTORY[0][0]` */
  export const VERSION: string;
}

declare module 'gearmanode/lib/errors' {
  import { Job, Data } from 'gearmanode';

  /**
   * The library's error codes: those of its JavaScript side, then those of its Rust core (the core's
   * `errorCodes()` describes each). Socket and TLS errors keep Node's codes: `SocketErrorCode`.
   */
  export const CODES: {
    readonly ALL_SERVERS_FAILED: 'GEARMAN_ALL_SERVERS_FAILED';
    readonly CONNECTION_LOST: 'GEARMAN_CONNECTION_LOST';
    readonly NOT_CONNECTED: 'GEARMAN_NOT_CONNECTED';
    readonly CLOSED: 'GEARMAN_CLOSED';
    readonly RECONNECT_FAILED: 'GEARMAN_RECONNECT_FAILED';
    readonly NUL_IN_ARGUMENT: 'GEARMAN_NUL_IN_ARGUMENT';
    readonly WORKER_FUNCTION_FAILED: 'GEARMAN_WORKER_FUNCTION_FAILED';
    readonly JOB_FAILED: 'GEARMAN_JOB_FAILED';
    readonly JOB_EXCEPTION: 'GEARMAN_JOB_EXCEPTION';
    readonly JOB_CLOSED: 'GEARMAN_JOB_CLOSED';
    readonly SERVER_ERROR: 'GEARMAN_SERVER_ERROR';
    readonly ARGUMENT_TOO_LARGE: 'GEARMAN_ARGUMENT_TOO_LARGE';
    readonly MALFORMED_PACKET: 'GEARMAN_MALFORMED_PACKET';
    readonly PROTOCOL_ERROR: 'GEARMAN_PROTOCOL_ERROR';
    readonly UNKNOWN_FUNCTION: 'GEARMAN_UNKNOWN_FUNCTION';
    readonly TIMEOUT: 'GEARMAN_TIMEOUT';
    readonly ABORTED: 'ABORT_ERR';
    readonly BUFFER_TOO_SMALL: 'GEARMAN_BUFFER_TOO_SMALL';
    readonly BAD_MAGIC: 'GEARMAN_BAD_MAGIC';
    readonly PACKET_TOO_LARGE: 'GEARMAN_PACKET_TOO_LARGE';
    readonly UNKNOWN_TYPE: 'GEARMAN_UNKNOWN_TYPE';
    readonly SHORT_BUFFER: 'GEARMAN_SHORT_BUFFER';
    readonly UNKNOWN_FORMAT: 'GEARMAN_UNKNOWN_FORMAT';
    readonly ADMIN_BAD_ARGUMENT: 'GEARMAN_ADMIN_BAD_ARGUMENT';
    readonly ADMIN_LINE_TOO_LONG: 'GEARMAN_ADMIN_LINE_TOO_LONG';
    readonly ADMIN_REPLY_TOO_LARGE: 'GEARMAN_ADMIN_REPLY_TOO_LARGE';
    readonly ADMIN_UNEXPECTED_REPLY: 'GEARMAN_ADMIN_UNEXPECTED_REPLY';
    readonly ADMIN_BAD_REPLY: 'GEARMAN_ADMIN_BAD_REPLY';
    readonly ADMIN_SERVER_ERROR: 'GEARMAN_ADMIN_SERVER_ERROR';
    readonly INTERNAL: 'GEARMAN_INTERNAL';
    readonly INVALID_ARGUMENT: 'GEARMAN_INVALID_ARGUMENT';
    readonly LOGS_NOT_ROUTED: 'GEARMAN_LOGS_NOT_ROUTED';
    readonly TEST_HOOKS_OFF: 'GEARMAN_TEST_HOOKS_OFF';
  };
  /** gearmand's limit on a unique id, in bytes (64). */
  export const MAX_UNIQUE_BYTES: number;
  export type GearmanErrorCode = (typeof CODES)[keyof typeof CODES];
  /** Node's codes of socket, name resolution and TLS failures, as the core reports them (`socketError`, job `cause`, ...). */
  export type SocketErrorCode =
    | 'EPERM' | 'EINTR' | 'EIO' | 'EBADF' | 'EAGAIN' | 'ENOMEM' | 'EACCES' | 'EINVAL' | 'ENFILE'
    | 'EMFILE' | 'EPIPE' | 'EPROTO' | 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'ENETDOWN' | 'ENETUNREACH'
    | 'ECONNABORTED' | 'ECONNRESET' | 'ENOBUFS' | 'ENOTCONN' | 'ETIMEDOUT' | 'ECONNREFUSED'
    | 'EHOSTDOWN' | 'EHOSTUNREACH' | 'EAI_AGAIN' | 'ENOTFOUND'
    | 'ERR_TLS_BAD_CONFIG' | 'DEPTH_ZERO_SELF_SIGNED_CERT' | 'SELF_SIGNED_CERT_IN_CHAIN'
    | 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' | 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'
    | 'ERR_TLS_CERT_ALTNAME_INVALID' | 'CERT_HAS_EXPIRED' | 'CERT_NOT_YET_VALID' | 'CERT_REVOKED'
    | 'CERT_SIGNATURE_FAILURE' | 'INVALID_PURPOSE' | 'ERR_TLS_CERT_INVALID'
    | 'ERR_SSL_WRONG_VERSION_NUMBER' | 'ERR_TLS_HANDSHAKE' | 'ERR_TLS_PROTOCOL'
    | 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' | 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'
    | 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN' | 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED'
    | 'ERR_SSL_SSLV3_ALERT_UNEXPECTED_MESSAGE' | 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'
    | 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED' | 'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR'
    | 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' | 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR'
    | 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' | 'ERR_TLS_ALERT_RECEIVED';
  /** Every code an error from this library can carry (test/types.test.js holds it to the core's list). */
  export type ErrorCode = GearmanErrorCode | SocketErrorCode;

  /** An Error with a stable `code` (one of CODES, or a GEARMAN_ADMIN_* code of the admin protocol). */
  export class GearmanError extends Error {
    constructor(code: string, message: string, fields?: object);
    name: 'GearmanError';
    code: GearmanErrorCode | (string & {});
    /** The job server concerned ('host:port'). */
    jobServerUid?: string;
    /** The worker-side job concerned. */
    jobHandle?: string;
    /** The client-side job concerned (promise API). */
    job?: Job;
    /** The worker's exception data (GEARMAN_JOB_EXCEPTION). */
    data?: Data;
    /** The server's own error code (GEARMAN_SERVER_ERROR). */
    serverCode?: string;
    /** The underlying error. */
    cause?: unknown;
  }
  /** `new GearmanError(code, message, fields)` */
  export function create(code: string, message: string, fields?: object): GearmanError;
  /** A GearmanError for an error the core threw or reported with a GEARMAN_ code; any other value as it is. */
  export function fromCore<T>(err: T): T | GearmanError;
  /** Whether a name, unique id or handle contains NUL. */
  export function hasNul(value: unknown): boolean;
  /** The GEARMAN_NUL_IN_ARGUMENT error for a `what` ('function name', ...) whose value contains NUL. */
  export function nulError(what: string, value: unknown): GearmanError;
  /** The GEARMAN_ARGUMENT_TOO_LARGE error for a unique id over MAX_UNIQUE_BYTES, or null. */
  /** GEARMAN_ARGUMENT_TOO_LARGE when `value` (a string as UTF-8, or a Buffer) is over `max` bytes, else null. */
  export function tooLong(what: string, value: unknown, max: number): GearmanError | null;
  export function uniqueTooLong(unique: unknown): GearmanError | null;
}

declare module 'gearmanode/lib/logger' {
  import { Logger, LogLevel, LogSink } from 'gearmanode';
  export type { Logger, LogLevel, LogSink } from 'gearmanode';
  /** The logger called `name` (the same object for the same name). */
  export function get(name: string): Logger;
  /** Sets the level shared by every logger and the core; an Error for an unknown level. */
  export function setLevel(level: LogLevel | 0 | 1 | 2 | 3 | 4 | 5): Error | undefined;
  export function getLevel(): LogLevel;
  /** Replaces the sink (null restores the default); returns the previous one. */
  export function setLogger(sink: LogSink | null | undefined): LogSink | null;
  /** Level numbers: error 0 … silly 5. */
  export const LEVELS: { readonly [level in LogLevel]: number };
}

declare module 'gearmanode/lib/admin' {
  import { EventEmitter } from 'events';

  export interface AdminOptions {
    /** Default 'localhost'. */
    host?: string;
    /** Default 4730. */
    port?: number | string;
    /** Time allowed to connect, in ms. */
    connectTimeout?: number;
    /** TLS, as for a client. */
    tls?: boolean | import('gearmanode').TlsOptions;
  }
  /** One row of `status`. */
  export interface AdminStatusRow {
    function: string;
    /** Jobs queued or running. */
    total: number;
    running: number;
    availableWorkers: number;
  }
  /** One row of `prioritystatus`. */
  export interface AdminPriorityRow {
    function: string;
    high: number;
    normal: number;
    low: number;
    availableWorkers: number;
  }
  /** One row of `workers`: one connection. */
  export interface AdminWorkerRow {
    fd: number;
    ip: string;
    /** Id set with SET_CLIENT_ID ('-' when none). */
    clientId: string;
    functions: string[];
  }

  /**
   * The job server's admin text protocol, one promise per command; commands are pipelined on one
   * connection, opened on the first command. Failures reject with a GearmanError.
   */
  export class Admin extends EventEmitter {
    constructor(options?: AdminOptions);
    host: string;
    port: number;
    connectTimeout: number | undefined;
    /** The normalised TLS settings, or undefined for plain TCP. */
    tls: object | undefined;
    closed: boolean;
    status(): Promise<AdminStatusRow[]>;
    priorityStatus(): Promise<AdminPriorityRow[]>;
    workers(): Promise<AdminWorkerRow[]>;
    /** The server version, e.g. '1.1.20+ds'. */
    version(): Promise<string>;
    getPid(): Promise<number>;
    verbose(): Promise<string>;
    /** Raw lines of `show jobs`. */
    showJobs(): Promise<string[]>;
    /** Raw lines of `show unique jobs`. */
    showUniqueJobs(): Promise<string[]>;
    /** Removes a queued background job. */
    cancelJob(handle: string): Promise<void>;
    createFunction(name: string): Promise<void>;
    dropFunction(name: string): Promise<void>;
    /** `maxQueue(name)` clears the limit, `maxQueue(name, max)` limits every priority. */
    maxQueue(name: string, limits?: number | { high: number; normal: number; low: number }): Promise<void>;
    /** Closes the connection; waiting commands reject with GEARMAN_CLOSED. */
    close(): void;

    on(event: 'connect' | 'close', listener: () => void): this;
    on(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
    once(event: 'connect' | 'close', listener: () => void): this;
    once(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
  }
  /** `new Admin(options)` */
  export function admin(options?: AdminOptions): Admin;
}
