'use strict';
/**
 * NativeSocket: a real `net.Socket` (so `instanceof net.Socket`, the stream machinery and its
 * events behave as users expect) whose I/O is a connection of the Rust core: reads arrive as
 * batches of decoded packets, writes written in one tick leave in one write, and keepalive,
 * ref/unref, end and destroy go to the native connection.
 */
const net = require('net');
const native = require('./native');
const errors = require('../errors');

const kConn = Symbol('gearmanode.nativeConnection');
const kOut = Symbol('gearmanode.pendingWrites');
const kPaused = Symbol('gearmanode.readPaused');
const kInfo = Symbol('gearmanode.addresses');
const kKeepAlive = Symbol('gearmanode.keepAlive');
const kNoDelay = Symbol('gearmanode.noDelay');
const kRead = Symbol('gearmanode.bytesRead');
const kWritten = Symbol('gearmanode.bytesWritten');
const kRefed = Symbol('gearmanode.refed');

// The kinds of event the core delivers (defined once, in Rust: src/binding/connection.rs).
const EV = native.EventKind;

// The frame table of the chunk being pushed right now. A 'data' listener that runs synchronously
// inside push() (the flowing case, always the JobServer's) can skip scanning the chunk again.
let currentChunk = null;
let currentFrames = null;

/**
 * The frame table the core computed for `chunk`, if `chunk` is the chunk being delivered right now.
 * @returns {Uint32Array|null} one frame per packet, laid out as the core's FrameSlot says
 */
function framesOf(chunk) {
  return chunk === currentChunk ? currentFrames : null;
}

// Writes made while an event of the core is being handled (the JobServer answering a packet, a
// worker's job completing inside the 'data' listener) leave when the handler returns, in one write
// per socket, before the ticks it queued run; other writes leave in a process.nextTick. Either way
// what one tick writes leaves in one write (docs/ARCHITECTURE.md#threads).
let delivering = false;
let flushAfterDelivery = [];

function flush(socket) {
  const out = socket[kOut];
  socket[kOut] = null;
  const conn = socket[kConn];
  if (!out || !conn) return;
  if (out.length === 1) conn.write(out[0]);
  else conn.writev(out);
}

/** Calls `socket._onNative(kind, a, b)`, then flushes what was written meanwhile. */
function deliver(socket, kind, a, b) {
  delivering = true;
  try {
    socket._onNative(kind, a, b);
  } finally {
    delivering = false;
    const written = flushAfterDelivery;
    flushAfterDelivery = [];
    for (let i = 0; i < written.length; i++) flush(written[i]);
  }
}

/**
 * Hands `chunk` to the 'data' listeners the way `Readable#push` would in the one case a JobServer's
 * socket is always in: flowing, nothing buffered, a listener, no decoder, no pipes (Node's
 * `addChunk`: the chunk is emitted at once). Done here it saves push's bookkeeping and the
 * `maybeReadMore` tick it queues, which would only call `_read`, a no-op while the connection is
 * not paused. The flags push would change are set as it sets them. Returns false (nothing done) in
 * every other case, which takes `push`. test/node-internals.test.js checks the Readable state read
 * here on each Node release.
 */
function emitFlowing(socket, chunk) {
  const rs = socket._readableState;
  if (rs.flowing !== true || rs.length !== 0 || rs.sync || rs.ended || rs.destroyed || rs.errored !== null ||
    rs.decoder !== null || rs.pipes.length !== 0 || chunk.length === 0 || socket.listenerCount('data') === 0) {
    return false;
  }
  rs.reading = false;
  if (rs.multiAwaitDrain) rs.awaitDrainWriters.clear();
  else rs.awaitDrainWriters = null;
  rs.dataEmitted = true;
  socket.emit('data', chunk);
  return true;
}

/**
 * Node internals this class relies on, each because an application may use the socket as the
 * `net.Socket` 0.9.2 gave it (`jobServer.socket`), and each checked by test/node-internals.test.js
 * so that a Node release that changes it fails there first (docs/ARCHITECTURE.md#node-internals):
 * - the Readable state that `emitFlowing` reads and sets (above);
 * - `_unrefTimer()`: net.Socket's restart of the idle timer of `setTimeout(ms)`; net.Socket calls
 *   it on its own reads and writes, which this class bypasses, so it calls it on each of its own.
 *   Without it, `socket.setTimeout(ms)` would fire `timeout` on a busy connection.
 * - `_getpeername()` / `_getsockname()`: what net.Socket's `remoteAddress`, `remotePort`,
 *   `remoteFamily`, `localAddress`, `localPort` and `address()` read (they ask the libuv handle
 *   otherwise, and this socket has none).
 */
class NativeSocket extends net.Socket {
  /**
   * @param {object} [options] `connectTimeout` (ms), `maxPacketSize` (bytes), `tls` (normalised by
   *   owner.js: `{ca: [pem], cert, key, servername, rejectUnauthorized}`), plus net.Socket options
   */
  constructor(options) {
    const opts = Object.assign({}, options);
    const nativeOptions = {
      connectTimeout: opts.connectTimeout,
      maxPacketSize: opts.maxPacketSize,
      // false turns dead-peer detection off (0 for the core); undefined: the core's default.
      keepAlive: opts.keepAlive === false ? 0 : opts.keepAlive,
      panicForTest: opts.panicForTest,
      tls: opts.tls === true ? {} : opts.tls || undefined,
    };
    delete opts.connectTimeout;
    delete opts.maxPacketSize;
    delete opts.keepAlive;
    delete opts.panicForTest;
    delete opts.tls;
    super(opts);
    this[kConn] = null;
    this[kOut] = null;
    this[kPaused] = false;
    this[kInfo] = null;
    this[kKeepAlive] = null;
    this[kNoDelay] = true;
    this[kRead] = 0;
    this[kWritten] = 0;
    this[kRefed] = true;
    Object.defineProperty(this, '_gearmanodeNativeOptions',
      { value: nativeOptions, enumerable: false, writable: true });
  }

  /**
   * Connects to `port` on `host` (default 'localhost'): `connect(port[, host][, cb])` or
   * `connect({port, host}[, cb])`. 'connect' is emitted when the core has connected.
   */
  connect(...args) {
    let port;
    let host;
    let cb;
    if (args[0] !== null && typeof args[0] === 'object') {
      port = args[0].port;
      host = args[0].host;
      cb = args[1];
    } else {
      port = args[0];
      host = typeof args[1] === 'string' ? args[1] : undefined;
      cb = typeof args[1] === 'function' ? args[1] : args[2];
    }
    if (this[kConn]) throw new Error('NativeSocket: connect() called twice');
    host = host || 'localhost';
    const given = port;
    const numeric = typeof port === 'number' || (typeof port === 'string' && port.trim() !== '' && !isNaN(Number(port)));
    port = numeric ? Number(port) : NaN;
    const err = Number.isInteger(port) && port >= 0 && port <= 65535 ? null
      : new RangeError(`Port should be >= 0 and < 65536. Received ${typeof given} (${String(given)}).`);
    if (err) {
      err.code = 'ERR_SOCKET_BAD_PORT';
      // As net.Socket: a number out of range throws; a non-numeric string (which Node would take
      // for a pipe path) fails like any connection, with an 'error' event.
      if (numeric) throw err;
    }
    if (typeof cb === 'function') this.once('connect', cb);
    if (err) {
      this.connecting = true;
      process.nextTick(() => this.destroy(err));
      return this;
    }
    this.connecting = true;
    this._host = host;
    const conn = new native.NativeConnection();
    this[kConn] = conn;
    const self = this;
    conn.connect(host, port, this._gearmanodeNativeOptions, function onNativeEvent(kind, a, b) {
      deliver(self, kind, a, b);
    });
    if (!this[kRefed]) conn.unref();
    return this;
  }

  _onNative(kind, a, b) {
    if (this.destroyed) return;
    switch (kind) {
      case EV.Data: {
        this[kRead] += a.length;
        this._unrefTimer();
        currentChunk = a;
        currentFrames = b;
        let more = true;
        try {
          if (!emitFlowing(this, a)) more = this.push(a);
        } finally {
          currentChunk = null;
          currentFrames = null;
        }
        if (!more && !this[kPaused] && this[kConn]) {
          this[kPaused] = true;
          this[kConn].pause();
        }
        break;
      }
      case EV.Connect:
        this.connecting = false;
        this[kInfo] = a;
        if (this[kKeepAlive]) this[kConn].setKeepAlive(true, this[kKeepAlive].delay);
        if (!this[kNoDelay]) this[kConn].setNoDelay(false);
        this._unrefTimer();
        this.emit('connect');
        this.emit('ready');
        if (this._gearmanodeNativeOptions.tls && !this.destroyed) {
          // The core reports 'connect' after the TLS handshake: as tls.TLSSocket users expect.
          this.encrypted = true;
          this.authorized = this._gearmanodeNativeOptions.tls.rejectUnauthorized !== false;
          this.emit('secureConnect');
        }
        break;
      case EV.Error:
        // The core's own failures (bad magic, a packet over the limit, a caught panic) become
        // GearmanErrors with their fields; socket errors keep Node's shape.
        this.destroy(a.code && a.code.startsWith('GEARMAN_') ? Object.assign(errors.fromCore(a), a) : a);
        break;
      case EV.End:
        this.push(null);
        break;
      case EV.Close:
        this.destroy();
        break;
      default:
        break;
    }
  }

  _read(n) {
    if (this.connecting) {
      // As net.Socket does: wait for the connection (Readable calls us again then).
      this.once('connect', () => this._read(n));
      return;
    }
    if (this[kPaused] && this[kConn]) {
      this[kPaused] = false;
      this[kConn].resume();
    }
  }

  /**
   * `write(buffer)` without a callback while nothing is buffered, corked, ending or destroyed (how
   * a JobServer writes every packet): the bytes are queued for the native connection at once,
   * exactly as Writable.write would do through the synchronous `_write` below, without its
   * per-call bookkeeping and its callback tick. Anything else takes net.Socket's own path.
   */
  write(chunk, encoding, cb) {
    const ws = this._writableState;
    if (cb === undefined && encoding === undefined && chunk instanceof Uint8Array && this[kConn] !== null &&
      ws.length === 0 && ws.corked === 0 && !ws.ending && !ws.destroyed && !ws.writing && ws.errored === null &&
      ws.constructed) {
      this._queue(chunk);
      return true;
    }
    return super.write(chunk, encoding, cb);
  }

  _write(chunk, encoding, cb) {
    this._queue(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    cb();
  }

  _writev(chunks, cb) {
    for (const c of chunks) {
      this._queue(typeof c.chunk === 'string' ? Buffer.from(c.chunk, c.encoding) : c.chunk);
    }
    cb();
  }

  _queue(buf) {
    if (!this[kConn]) {
      const err = new Error('This socket is closed');
      err.code = 'ERR_SOCKET_CLOSED';
      throw err;
    }
    this[kWritten] += buf.length;
    this._unrefTimer();
    if (this[kOut] === null) {
      this[kOut] = [buf];
      if (delivering) flushAfterDelivery.push(this);
      else process.nextTick(flush, this);
    } else {
      this[kOut].push(buf);
    }
  }

  _final(cb) {
    flush(this);
    if (this[kConn]) this[kConn].end();
    cb();
  }

  _destroy(err, cb) {
    this.connecting = false;
    flush(this);
    const conn = this[kConn];
    if (conn) conn.destroy();
    cb(err);
    process.nextTick(() => this.emit('close', Boolean(err)));
  }

  setKeepAlive(enable, initialDelay) {
    const on = Boolean(enable);
    const delay = Math.max(0, Number(initialDelay) || 0);
    this[kKeepAlive] = on ? { delay } : null;
    if (this[kConn] && !this.connecting && !this.destroyed) this[kConn].setKeepAlive(on, delay);
    return this;
  }

  setNoDelay(enable) {
    const on = enable === undefined ? true : Boolean(enable);
    this[kNoDelay] = on;
    if (this[kConn] && !this.connecting && !this.destroyed) this[kConn].setNoDelay(on);
    return this;
  }

  ref() {
    this[kRefed] = true;
    if (this[kConn] && !this.destroyed) this[kConn].ref();
    return this;
  }

  unref() {
    this[kRefed] = false;
    if (this[kConn] && !this.destroyed) this[kConn].unref();
    return this;
  }

  resetAndDestroy() {
    return this.destroy();
  }

  get pending() {
    return this.connecting || this[kInfo] === null;
  }

  get bytesRead() {
    return this[kRead];
  }

  get bytesWritten() {
    return this[kWritten];
  }

  get bufferSize() {
    return this[kConn] ? this[kConn].queuedBytes() : undefined;
  }

  _getpeername() {
    const i = this[kInfo];
    if (!i) return {};
    return { address: i.remoteAddress, family: i.remoteFamily, port: i.remotePort };
  }

  _getsockname() {
    const i = this[kInfo];
    if (!i) return {};
    return { address: i.localAddress, family: i.remoteFamily, port: i.localPort };
  }
}

/**
 * Like `net.createConnection(port, host)`, over the Rust core.
 * @param {number} port
 * @param {string} host
 * @param {object} [options] NativeSocket options
 */
function createConnection(port, host, options) {
  return new NativeSocket(options).connect(port, host);
}

module.exports = { NativeSocket, createConnection, framesOf };
