'use strict';
// A recording TCP relay between one client or worker and a real gearmand: every byte is forwarded
// unchanged, and the packets of both directions are logged in the order the relay sees them, with
// the read (chunk) they arrived in. Packets are parsed here from the header alone (magic, type,
// length), independently of the library's codec.
//
//   const tap = await wireTap.start(defaultServer.port);
//   const w = new Worker({ host: '127.0.0.1', port: tap.port });
//   ...
//   tap.packets          // [{from: 'peer'|'server', type: 9, chunk: 3}, ...] in the relay's order
//   tap.sent()           // types the peer sent, in order
//   await tap.until((packets) => ..., 'what')
//   await tap.close();

const net = require('net');
const ports = require('./ports');

const HEADER_LEN = 12;

/** Splits a direction's byte stream into packets (header only; a packet may span chunks). */
class Splitter {
  constructor(onPacket) {
    this.buf = Buffer.alloc(0);
    this.onPacket = onPacket;
  }

  push(chunk, chunkNo) {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= HEADER_LEN) {
      const len = HEADER_LEN + this.buf.readUInt32BE(8);
      if (this.buf.length < len) return;
      this.onPacket(this.buf.readUInt32BE(0), this.buf.readUInt32BE(4), chunkNo);
      this.buf = this.buf.subarray(len);
    }
  }
}

class WireTap {
  constructor(serverPort) {
    this.serverPort = serverPort;
    this.packets = [];
    this.malformed = [];
    this.port = 0;
    this._server = null;
    this._sockets = new Set();
    this._waiters = [];
  }

  async listen() {
    this.port = await ports.freePort(4740);
    this._server = net.createServer((peer) => this._relay(peer));
    await new Promise((resolve, reject) => {
      this._server.once('error', reject);
      this._server.listen({ port: this.port, host: '127.0.0.1', exclusive: true }, resolve);
    });
    ports.releasePort(this.port);
    return this;
  }

  _relay(peer) {
    const server = net.connect({ port: this.serverPort, host: '127.0.0.1' });
    peer.setNoDelay(true);
    server.setNoDelay(true);
    this._sockets.add(peer);
    this._sockets.add(server);
    let chunks = 0;
    const record = (from, magic) => (type, chunk) => {
      if (magic !== 0x00524551 && from === 'peer') this.malformed.push({ from, magic, type });
      this.packets.push({ from, type, chunk });
      this._check();
    };
    const up = new Splitter((magic, type, chunk) => record('peer', magic)(type, chunk));
    const down = new Splitter((magic, type, chunk) => record('server', magic)(type, chunk));
    peer.on('data', (d) => {
      up.push(d, ++chunks);
      server.write(d);
    });
    server.on('data', (d) => {
      down.push(d, ++chunks);
      peer.write(d);
    });
    const end = () => {
      peer.destroy();
      server.destroy();
    };
    for (const s of [peer, server]) {
      s.on('error', end);
      s.on('close', end);
    }
  }

  /** The types the client or worker sent, in order. */
  sent() {
    return this.packets.filter((p) => p.from === 'peer').map((p) => p.type);
  }

  /** Resolves once `pred(packets)` holds (rejects after `ms`, naming `what`). */
  until(pred, what, ms = 5000) {
    if (pred(this.packets)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { pred, resolve, timer: null };
      w.timer = setTimeout(() => {
        this._waiters.splice(this._waiters.indexOf(w), 1);
        reject(new Error(`${what} not seen within ${ms} ms; packets: ${JSON.stringify(this.packets)}`));
      }, ms);
      this._waiters.push(w);
    });
  }

  _check() {
    for (const w of this._waiters.slice()) {
      if (w.pred(this.packets)) {
        clearTimeout(w.timer);
        this._waiters.splice(this._waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  close() {
    for (const s of this._sockets) s.destroy();
    return new Promise((resolve) => this._server.close(() => resolve()));
  }
}

/** Starts a relay to the gearmand on 127.0.0.1:`serverPort`. */
function start(serverPort) {
  return new WireTap(serverPort).listen();
}

module.exports = { start };
