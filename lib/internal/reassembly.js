'use strict';
/**
 * Reassembly of what a job server sends: the chunks its socket delivers become whole packets,
 * handed on in order. The core has already found the packets of a chunk it read (a frame table,
 * see native-socket.js), so the common case scans nothing here.
 *
 * The bytes of an unfinished packet stay visible on the JobServer as gearmanode 0.9.2 kept them
 * (COMPATIBILITY.md#jobserver): `headerfrag` while fewer than 12 bytes of its header have come,
 * then `segmentedPacket` while its body is incomplete, neither when nothing is pending. Every byte
 * is copied at most once (COMPATIBILITY.md#fixed-4), and user code may replace those fields between
 * chunks (the fields, not the hidden buffer, say what is pending).
 */
const native = require('./native');
const nativeSocket = require('./native-socket');
const owners = require('./owner');

const { ScanSlot, ScanError } = native;
const HEADER_LEN = 12;

/** The packet being filled, per server: `{buf, have, view}` (view is what `segmentedPacket` shows). */
const pending = new WeakMap();

/**
 * Handles one chunk: dispatches every complete packet in order with `deliver(js, buf, frames, at,
 * end)` (frames: the frame table, `at`..`end` the part of it to dispatch) and keeps the rest.
 * Stops as soon as the server is no longer connected (a dispatched packet may disconnect it).
 */
function push(js, chunk, deliver) {
  let data = chunk;
  const seg = js.segmentedPacket;
  const frag = js.headerfrag;
  if (seg === undefined && frag === undefined) {
    pending.delete(js);
    const frames = nativeSocket.framesOf(chunk);
    if (frames !== null) {
      deliver(js, chunk, frames, 0, frames.length);
      return;
    }
  } else {
    let p = pending.get(js);
    const view = seg !== undefined ? seg : frag;
    if (p !== undefined && p.view !== view) p = undefined;
    delete js.segmentedPacket;
    delete js.headerfrag;
    pending.delete(js);
    if (seg !== undefined && p !== undefined) {
      // Fill the buffer allocated for this packet.
      const take = Math.min(p.buf.length - p.have, chunk.length);
      chunk.copy(p.buf, p.have, 0, take);
      p.have += take;
      if (p.have < p.buf.length) {
        keep(js, p.buf, p.have);
        return;
      }
      scanAndDeliver(js, p.buf, deliver);
      if (!js.connected || take === chunk.length) return;
      data = chunk.subarray(take);
    } else {
      data = Buffer.concat([view, chunk]);
    }
  }
  scanAndDeliver(js, data, deliver);
}

/** Scans `data` (which starts at a packet boundary), delivers its packets, keeps the rest. */
function scanAndDeliver(js, data, deliver) {
  const max = owners.maxPacketSize(js.clientOrWorker);
  const r = native.scanPackets(data, max);
  const consumed = r[ScanSlot.Consumed];
  if (r[ScanSlot.Packets] > 0) deliver(js, data, r, ScanSlot.Frames, r.length);
  if (!js.connected) return;
  const error = r[ScanSlot.Error];
  if (error !== ScanError.None) {
    const owner = js.clientOrWorker;
    if (error === ScanError.BadMagic) owner._unrecoverableError('out of sync with server');
    else owner._unrecoverableError(`packet too large (limit ${max} bytes), server=${js.getUid()}`);
    return;
  }
  const rest = data.length - consumed;
  if (rest === 0) return;
  if (rest < HEADER_LEN) {
    js.headerfrag = Buffer.from(data.subarray(consumed));
    return;
  }
  const buf = Buffer.allocUnsafe(r[ScanSlot.PendingTotal]);
  data.copy(buf, 0, consumed);
  keep(js, buf, rest);
}

function keep(js, buf, have) {
  const view = buf.subarray(0, have);
  pending.set(js, { buf, have, view });
  js.segmentedPacket = view;
}

/** Forgets pending bytes (a new connection starts at a packet boundary: COMPATIBILITY.md#fixed-6). */
function reset(js) {
  delete js.segmentedPacket;
  delete js.headerfrag;
  pending.delete(js);
}

module.exports = { push, reset };
