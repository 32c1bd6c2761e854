'use strict';
// A scripted fake Gearman server on loopback, for the faults a real gearmand cannot produce
// (garbage, bad magic, unknown packet types, huge length headers, short writes, resets, silence).
// It is the only fake server of the test suite: everything else talks to a real gearmand.
//
//   const fake = require('./support/fake-server');
//   const server = await fake.start(async (conn) => {
//     const submit = await conn.next('SUBMIT_JOB');          // waits for the client's packet
//     conn.write(fake.res('JOB_CREATED', ['H:1']));
//     await conn.writeBytewise(fake.res('WORK_COMPLETE', ['H:1', 'done']));
//   });
//   ... client on { host: '127.0.0.1', port: server.port } ...
//   assert.deepStrictEqual(server.malformed, []);           // every packet the client wrote parses
//   await server.close();
//
// The server parses what the client writes with its own strict parser (independent of the library's
// Rust codec, so a codec bug cannot hide itself): `\0REQ` magic, a known request type, exactly the
// number of NUL-separated arguments the packet table gives, and no NUL inside a non-opaque argument.
// Anything else lands in `server.malformed` (and the connection stops parsing).

const net = require('net');

const HEADER_LEN = 12;
const REQ = 0x00524551;
const RES = 0x00524553;

// The packet table (codes 1-42), written out here rather than taken from the library.
// [code, name, direction, argument count, last argument opaque]
const TABLE = [
  [1, 'CAN_DO', 'request', 1, false],
  [2, 'CANT_DO', 'request', 1, false],
  [3, 'RESET_ABILITIES', 'request', 0, false],
  [4, 'PRE_SLEEP', 'request', 0, false],
  [6, 'NOOP', 'response', 0, false],
  [7, 'SUBMIT_JOB', 'request', 3, true],
  [8, 'JOB_CREATED', 'response', 1, false],
  [9, 'GRAB_JOB', 'request', 0, false],
  [10, 'NO_JOB', 'response', 0, false],
  [11, 'JOB_ASSIGN', 'response', 3, true],
  [12, 'WORK_STATUS', 'both', 3, false],
  [13, 'WORK_COMPLETE', 'both', 2, true],
  [14, 'WORK_FAIL', 'both', 1, false],
  [15, 'GET_STATUS', 'request', 1, false],
  [16, 'ECHO_REQ', 'request', 1, true],
  [17, 'ECHO_RES', 'response', 1, true],
  [18, 'SUBMIT_JOB_BG', 'request', 3, true],
  [19, 'ERROR', 'response', 2, true],
  [20, 'STATUS_RES', 'response', 5, false],
  [21, 'SUBMIT_JOB_HIGH', 'request', 3, true],
  [22, 'SET_CLIENT_ID', 'request', 1, false],
  [23, 'CAN_DO_TIMEOUT', 'request', 2, false],
  [24, 'ALL_YOURS', 'request', 0, false],
  [25, 'WORK_EXCEPTION', 'both', 2, true],
  [26, 'OPTION_REQ', 'request', 1, false],
  [27, 'OPTION_RES', 'response', 1, false],
  [28, 'WORK_DATA', 'both', 2, true],
  [29, 'WORK_WARNING', 'both', 2, true],
  [30, 'GRAB_JOB_UNIQ', 'request', 0, false],
  [31, 'JOB_ASSIGN_UNIQ', 'response', 4, true],
  [32, 'SUBMIT_JOB_HIGH_BG', 'request', 3, true],
  [33, 'SUBMIT_JOB_LOW', 'request', 3, true],
  [34, 'SUBMIT_JOB_LOW_BG', 'request', 3, true],
  [35, 'SUBMIT_JOB_SCHED', 'request', 8, true],
  [36, 'SUBMIT_JOB_EPOCH', 'request', 4, true],
  [37, 'SUBMIT_REDUCE_JOB', 'request', 5, true],
  [38, 'SUBMIT_REDUCE_JOB_BACKGROUND', 'request', 5, true],
  [39, 'GRAB_JOB_ALL', 'request', 0, false],
  [40, 'JOB_ASSIGN_ALL', 'response', 5, true],
  [41, 'GET_STATUS_UNIQUE', 'request', 1, false],
  [42, 'STATUS_RES_UNIQUE', 'response', 6, false],
];
const BY_CODE = new Map();
const BY_NAME = new Map();
for (const [code, name, direction, argc, opaque] of TABLE) {
  const e = { code, name, direction, argc, opaque };
  BY_CODE.set(code, e);
  BY_NAME.set(name, e);
}

function codeOf(type) {
  if (typeof type === 'number') return type;
  const e = BY_NAME.get(type);
  if (!e) throw new Error(`fake-server: unknown packet name ${type}`);
  return e.code;
}

/** A 12-byte header: magic (number or 4-byte string), type, claimed body length. */
function header(magic, type, length) {
  const h = Buffer.alloc(HEADER_LEN);
  if (typeof magic === 'string') h.write(magic, 0, 4, 'latin1');
  else h.writeUInt32BE(magic >>> 0, 0);
  h.writeUInt32BE(codeOf(type) >>> 0, 4);
  h.writeUInt32BE(length >>> 0, 8);
  return h;
}

/** A packet with any magic: the arguments (strings or Buffers) joined by NUL. */
function packet(magic, type, args = []) {
  const body = [];
  args.forEach((a, i) => {
    if (i > 0) body.push(Buffer.from([0]));
    body.push(Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8'));
  });
  const b = Buffer.concat(body);
  return Buffer.concat([header(magic, type, b.length), b]);
}

/** A server packet (`\0RES`). */
function res(type, args) {
  return packet(RES, type, args);
}

/** A client packet (`\0REQ`). */
function req(type, args) {
  return packet(REQ, type, args);
}

/**
 * Strictly parses a stream of client packets. Returns `{packets, rest, error}`: the whole packets
 * found (`{code, name, args: [Buffer], raw}`), the bytes of an unfinished packet, and the first
 * violation (then parsing stops: `rest` is what was not understood).
 */
function parseRequests(buf) {
  const packets = [];
  let at = 0;
  while (buf.length - at >= HEADER_LEN) {
    const magic = buf.readUInt32BE(at);
    const code = buf.readUInt32BE(at + 4);
    const len = buf.readUInt32BE(at + 8);
    const where = `packet #${packets.length} at byte ${at}`;
    if (magic !== REQ) return { packets, rest: buf.subarray(at), error: `${where}: magic 0x${magic.toString(16)} is not \\0REQ` };
    const spec = BY_CODE.get(code);
    if (!spec) return { packets, rest: buf.subarray(at), error: `${where}: unknown type ${code}` };
    if (spec.direction === 'response') return { packets, rest: buf.subarray(at), error: `${where}: ${spec.name} is a server packet` };
    if (buf.length - at - HEADER_LEN < len) break;
    const body = buf.subarray(at + HEADER_LEN, at + HEADER_LEN + len);
    const args = [];
    let p = 0;
    for (let i = 0; i < spec.argc; i++) {
      const last = i === spec.argc - 1;
      if (last) {
        const a = body.subarray(p);
        if (!spec.opaque && a.indexOf(0) !== -1) {
          return { packets, rest: buf.subarray(at), error: `${where}: ${spec.name} argument ${i} contains NUL` };
        }
        args.push(a);
        p = body.length;
      } else {
        const z = body.indexOf(0, p);
        if (z === -1) return { packets, rest: buf.subarray(at), error: `${where}: ${spec.name} has ${i + 1} of ${spec.argc} arguments` };
        args.push(body.subarray(p, z));
        p = z + 1;
      }
    }
    if (spec.argc === 0 && len !== 0) {
      return { packets, rest: buf.subarray(at), error: `${where}: ${spec.name} takes no arguments, body has ${len} bytes` };
    }
    packets.push({ code, name: spec.name, args, raw: buf.subarray(at, at + HEADER_LEN + len) });
    at += HEADER_LEN + len;
  }
  return { packets, rest: buf.subarray(at), error: null };
}

/** One accepted connection, as the script sees it. */
class FakeConnection {
  constructor(server, socket) {
    this.server = server;
    this.socket = socket;
    /** Every whole packet received, in order. */
    this.packets = [];
    this.bytesReceived = 0;
    this.closed = false;
    this._buf = Buffer.alloc(0);
    this._broken = false;
    this._waiters = [];
    this._read = 0;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this._onData(chunk));
    socket.on('error', () => {}); // a client reset is the client's business
    socket.on('close', () => {
      this.closed = true;
      for (const w of this._waiters.splice(0)) w.reject(new Error('fake-server: connection closed while waiting for ' + w.name));
    });
  }

  _onData(chunk) {
    this.bytesReceived += chunk.length;
    if (this._broken) return;
    this._buf = this._buf.length ? Buffer.concat([this._buf, chunk]) : chunk;
    const r = parseRequests(this._buf);
    this._buf = Buffer.from(r.rest);
    for (const p of r.packets) {
      this.packets.push(p);
      this.server.received.push(p);
    }
    if (r.error) {
      this._broken = true;
      this.server.malformed.push(r.error);
    }
    this._wake();
  }

  _wake() {
    for (let i = 0; i < this._waiters.length;) {
      const w = this._waiters[i];
      const idx = this.packets.findIndex((p, k) => k >= this._read && (w.name === undefined || p.name === w.name));
      if (idx === -1) {
        i++;
        continue;
      }
      this._read = idx + 1;
      this._waiters.splice(i, 1);
      w.resolve(this.packets[idx]);
    }
  }

  /** Resolves with the next packet (of type `name` if given) not returned before. */
  next(name) {
    return new Promise((resolve, reject) => {
      this._waiters.push({ name, resolve, reject });
      this._wake();
    });
  }

  write(buf) {
    if (!this.socket.destroyed) this.socket.write(buf);
  }

  /** Writes `buf` one byte per TCP segment (a short pause between bytes, Nagle off). */
  async writeBytewise(buf, pause = 1) {
    for (let i = 0; i < buf.length; i++) {
      if (this.socket.destroyed) return;
      this.socket.write(buf.subarray(i, i + 1));
      await sleep(pause);
    }
  }

  /** Writes the pieces with a pause between them (so that each arrives in its own read). */
  async writePieces(pieces, pause = 30) {
    for (let i = 0; i < pieces.length; i++) {
      if (this.socket.destroyed) return;
      if (i > 0) await sleep(pause);
      this.socket.write(pieces[i]);
    }
  }

  /** Bytes received after the last whole packet (an unfinished packet, or what broke the parse). */
  get pending() {
    return this._buf.length;
  }

  /** FIN. */
  end() {
    this.socket.end();
  }

  /** RST (the client sees ECONNRESET). */
  reset() {
    this.socket.resetAndDestroy();
  }

  /** Resolves when the client has closed its side (or the connection is gone). */
  waitClosed() {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', resolve));
  }
}

/**
 * Starts a fake server on 127.0.0.1 (an ephemeral port). `script(conn, server)` runs for each
 * accepted connection; a rejection of the script (other than "connection closed") is kept in
 * `server.scriptErrors`.
 */
function start(script) {
  return new Promise((resolve, reject) => {
    const server = {
      port: 0,
      host: '127.0.0.1',
      connections: [],
      received: [],
      malformed: [],
      scriptErrors: [],
      accepted: 0,
      _net: null,
      /** Resolves with the n-th accepted connection (1-based), once it exists. */
      connection(n = 1) {
        if (this.connections.length >= n) return Promise.resolve(this.connections[n - 1]);
        return new Promise((res2) => {
          const check = () => {
            if (this.connections.length >= n) {
              this._net.off('connection', onConn);
              res2(this.connections[n - 1]);
            }
          };
          const onConn = () => setImmediate(check);
          this._net.on('connection', onConn);
        });
      },
      /** Closes the listener and destroys every connection. */
      close() {
        for (const c of this.connections) c.socket.destroy();
        return new Promise((res2) => this._net.close(() => res2()));
      },
    };
    const srv = net.createServer((socket) => {
      server.accepted++;
      const conn = new FakeConnection(server, socket);
      server.connections.push(conn);
      if (typeof script === 'function') {
        Promise.resolve()
          .then(() => script(conn, server))
          .catch((err) => {
            if (!/connection closed while waiting/.test(err && err.message)) server.scriptErrors.push(err);
          });
      }
    });
    server._net = srv;
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      server.port = srv.address().port;
      resolve(server);
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { start, res, req, packet, header, parseRequests, TABLE, HEADER_LEN, REQ, RES, sleep };
