'use strict';
/**
 * The lifecycle of one job server's connection: one explicit state, one function that makes every
 * transition, logs it, and emits what gearmanode 0.9.2 emitted for it (docs/ARCHITECTURE.md#jobserver-lifecycle).
 *
 *            send() / connect()                socket 'connect'
 *   idle ──────────────────────▶ connecting ─────────────────────▶ connected
 *   down ──────────────────────▶     │                                  │
 *     ▲                              │ socket 'error'                   │ 'error', 'end',
 *     │                              ▼                                  │ 'close' with error
 *     └──────── (lost) ◀─────── closing ◀─────────────────────────────-─┘
 *   idle ◀─── (disconnect() by user code, closeServers) ──── closing ◀── any state
 *
 * - `idle`: no connection and nothing failed (new, or disconnected by user code).
 * - `connecting`: one socket is being connected; sends wait in the one connect queue.
 * - `connected`: bytes go straight to the socket (`jobServer.connected` is true).
 * - `closing`: `disconnect()` is running its steps; sends made meanwhile (from a job's `close`
 *   listener, say) wait in the queue and are failed at its end, so their callers fail over.
 * - `down`: the connection was lost (error, FIN); the next send connects again.
 *
 * Facts and where they live: the state and the connect queue here (hidden per server); whether
 * bytes can go out now is `jobServer.connected`, the public field of 0.9.2, which only this module
 * writes (user code may set it by hand, as 0.9.2's suites do to feed `_processData`); the socket is
 * `jobServer.socket`; pending packet bytes are in reassembly.js; held-back submits in submit-window.js.
 */
const errors = require('../errors');
const diagnostics = require('./diagnostics');
const clientJobs = require('./client-jobs');
const loggers = require('../logger');
const nativeSocket = require('./native-socket');
const owners = require('./owner');
const reassembly = require('./reassembly');

const log = loggers.get('JobServer');

const STATES = Object.freeze({
  IDLE: 'idle', CONNECTING: 'connecting', CONNECTED: 'connected', CLOSING: 'closing', DOWN: 'down',
});

/**
 * The internal event 0.9.2 emitted on the JobServer once per successful connect. It is no longer
 * the connect queue (that is `record.queue`), but it is still emitted once per connect: 0.9.2's
 * suites spy on `jobServer.emit` and see it (COMPATIBILITY.md#jobserver-events).
 */
const CI = 'ConnectInternal140319214558';

/**
 * Hidden per-server record (off the object, so its own keys stay 0.9.2's fields):
 * - state: one of STATES
 * - socket: the socket of the current attempt or connection (the one `jobServer.socket` holds)
 * - waiters: connect callbacks not yet called
 * - queue: sends `{data, cb}` waiting for the connection, in order
 * - lost: the coming teardown is a loss (socket error, FIN), not a call by user code
 */
const records = new WeakMap();

function record(js) {
  let r = records.get(js);
  if (r === undefined) {
    r = { state: STATES.IDLE, socket: null, waiters: [], queue: [], lost: false };
    records.set(js, r);
  }
  return r;
}

/** Functions other modules run at the end of every teardown: `fn(jobServer, error)` (see failQueued). */
const teardownHooks = [];

/**
 * The one transition function. Every change of state goes through here: it logs the change, does
 * what 0.9.2 did at that point, in 0.9.2's order, and emits what 0.9.2 emitted.
 * @param {JobServer} js
 * @param {string} to one of STATES
 * @param {object} [detail] `cause` (an event name or 'disconnect'), `err`
 */
function transition(js, to, detail) {
  const r = record(js);
  const from = r.state;
  r.state = to;
  const cause = detail && detail.cause || '';
  if (log.isLevelEnabled('debug')) log.log('debug', 'job server %s: %s -> %s (%s)', js.getUid(), from, to, cause);
  if (diagnostics.connection.hasSubscribers) diagnostics.connectionChanged(js, from, to, cause, detail && detail.err);
  switch (to) {
    case STATES.CONNECTING:
      openSocket(js, r);
      return;
    case STATES.CONNECTED:
      connected(js, r);
      return;
    case STATES.CLOSING:
      teardown(js, r, detail.err);
      return;
    default: // idle or down: the end of a teardown
      failQueued(js, r, detail.err);
  }
}

/** Connection settings the owner carries beyond gearmanode's options (see owner.js). */
function socketOptions(owner) {
  const o = owner && owner._socketOptions;
  return o ? o : undefined;
}

/** idle/down → connecting: a new socket, with 0.9.2's listeners. */
function openSocket(js, r) {
  const socket = nativeSocket.createConnection(js.port, js.host, socketOptions(js.clientOrWorker));
  js.socket = socket;
  r.socket = socket;
  const uid = js.getUid();
  for (const name of ['lookup', 'timeout', 'drain']) {
    socket.on(name, function () { log.log('warn', 'unhandled event, name=%s', name); });
  }
  socket.on('connect', function () {
    transition(js, STATES.CONNECTED, { cause: 'connect' });
  });
  socket.on('error', function (err) {
    r.lost = true;
    socket.destroy();
    owners.markBad(js);
    const owner = js.clientOrWorker;
    if (owner) owner.emit('socketError', uid, err);
    js.disconnect(err);
  });
  socket.on('data', function (chunk) {
    js._processData(chunk);
  });
  socket.on('end', function (arg) {
    r.lost = true;
    owners.markBad(js);
    js.disconnect(arg);
  });
  socket.on('close', function (hadError) {
    if (hadError) {
      r.lost = true;
      owners.markBad(js);
      js.disconnect(true);
    }
  });
}

/** connecting → connected: 0.9.2's 'connect' row, then the queued sends, the owner, the callers. */
function connected(js, r) {
  const socket = r.socket;
  socket.setKeepAlive(true);
  js.connected = true;
  js.wrongDisconnectAt = 0;
  js.failedConnectionCount = 0;
  js.emit(CI);
  // The queued sends go out in order before `socketConnect` (COMPATIBILITY.md#owner-events).
  const queue = r.queue;
  r.queue = [];
  for (let i = 0; i < queue.length; i++) {
    const q = queue[i];
    js.socket.write(q.data);
    if (typeof q.cb === 'function') q.cb();
  }
  const owner = js.clientOrWorker;
  if (owner) {
    owner.emit('socketConnect', js.getUid());
    owners.serverUp(owner, js);
  }
  const waiters = r.waiters;
  r.waiters = [];
  for (let i = 0; i < waiters.length; i++) waiters[i]();
}

/**
 * any → closing → idle/down: 0.9.2's six steps of `disconnect(err)`, in order
 * (COMPATIBILITY.md#jobserver), then what was queued fails so that the callers decide.
 */
function teardown(js, r, err) {
  js.connected = false;
  js.removeAllListeners();
  if (err !== undefined) {
    js.wrongDisconnectAt = new Date();
    js.failedConnectionCount++;
  }
  const lost = r.lost;
  r.lost = false;
  const owner = js.clientOrWorker;
  const waiting = js.jobsWaiting4Created;
  for (let i = 0; i < waiting.length; i++) {
    const job = waiting[i];
    // A job sent on a connection that was lost before JOB_CREATED ends with `error` (when it
    // listens), then `close`: it never hangs (COMPATIBILITY.md#decision-lost-before-created).
    if (lost && owner && owner.closed !== true) {
      clientJobs.fail(job, errors.create(errors.CODES.CONNECTION_LOST,
        `connection to ${js.getUid()} lost before the job was created`, { jobServerUid: js.getUid(), cause: err }));
    } else {
      job.close();
    }
  }
  waiting.length = 0;
  // No stale bytes survive into the next connection (COMPATIBILITY.md#fixed-6).
  reassembly.reset(js);
  const socket = js.socket;
  if (socket) {
    socket.removeAllListeners();
    socket.unref();
    socket.end();
    socket.destroy();
    delete js.socket;
  }
  r.socket = null;
  if (owner) owner.emit('socketDisconnect', js.getUid(), err);
  transition(js, lost ? STATES.DOWN : STATES.IDLE, { cause: lost ? 'lost' : 'disconnect', err });
  if (owner) owners.serverDown(owner, js, err, lost);
}

/**
 * The end of a teardown: the connect callbacks, then the queued sends, then whatever other modules
 * hold for this connection (teardownHooks), each called back in order with an error
 * (COMPATIBILITY.md#fixed-2: every one of them, not only the first).
 */
function failQueued(js, r, cause) {
  const waiters = r.waiters;
  const queue = r.queue;
  r.waiters = [];
  r.queue = [];
  const error = cause instanceof Error ? cause : errors.create(errors.CODES.NOT_CONNECTED,
    `connection to ${js.getUid()} closed before the data was sent`, { jobServerUid: js.getUid(), cause });
  for (let i = 0; i < waiters.length; i++) waiters[i](error);
  for (let i = 0; i < queue.length; i++) {
    if (typeof queue[i].cb === 'function') queue[i].cb(error);
  }
  for (let i = 0; i < teardownHooks.length; i++) teardownHooks[i](js, error);
}

/**
 * `jobServer.connect(cb)`: connects unless connected; one attempt at a time (COMPATIBILITY.md#fixed-11).
 * @returns {net.Socket}
 */
function connect(js, cb) {
  if (js.connected) {
    cb();
    return js.socket;
  }
  const r = record(js);
  r.waiters.push(cb);
  // While connecting, callers wait for that attempt; while a teardown runs (a `close` listener of
  // one of its jobs calling connect), they hear its end, as queued sends do.
  if (r.state === STATES.CONNECTING && r.socket === js.socket || r.state === STATES.CLOSING) {
    return js.socket;
  }
  transition(js, STATES.CONNECTING, { cause: 'connect' });
  return js.socket;
}

/** The callback of the connect that a send starts: failures are handled by failQueued. */
function ignore() {}

/**
 * Queues one send until the connection is up, starting the connect (by `jobServer.connect`, looked
 * up at call time: 0.9.2's suites spy on it) when none is under way.
 */
function enqueue(js, data, cb) {
  const r = record(js);
  r.queue.push({ data, cb });
  if (r.state !== STATES.CONNECTING && r.state !== STATES.CLOSING) js.connect(ignore);
}

/** `jobServer.disconnect(err)`. */
function disconnect(js, err) {
  transition(js, STATES.CLOSING, { cause: 'disconnect', err });
}

/** The state of a job server (one of STATES). */
function stateOf(js) {
  return record(js).state;
}

/** How many sends wait for the connection. */
function queuedSends(js) {
  const r = records.get(js);
  return r === undefined ? 0 : r.queue.length;
}

/** Registers `fn(jobServer, error)`, run at the end of every teardown after the queued sends fail. */
function onTeardown(fn) {
  teardownHooks.push(fn);
}

module.exports = { STATES, CI, connect, enqueue, disconnect, stateOf, queuedSends, onTeardown };
