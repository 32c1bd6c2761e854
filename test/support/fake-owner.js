'use strict';
/**
 * A minimal owner for JobServer / ServerManager tests: an own `_type` and an `emit` that records
 * (initServers, closeServers and JobServer.disconnect use nothing else of the owner,
 * COMPATIBILITY.md#servermanager), plus optional `_response` / `_unrecoverableError` recorders and
 * a `jobs` map for _processData.
 *
 *   const owner = fakeOwner();                       // {_type: 'Worker', emit, events}
 *   const owner = fakeOwner({ type: 'Client', responses: true });
 *   owner.events  // [['socketDisconnect', 'h:1', undefined], ...] in emit order
 *   owner.calls   // every recorded call in order: ['emit', ...args] / ['_response', js, type, parsed] / ...
 */
const { JobServer } = require('../../lib/gearmanode/job-server');

/**
 * @param {object} [o] `type` (default 'Worker'), `responses` (add `_response`, `_unrecoverableError`
 *   recorders and `jobs = {}`)
 */
function fakeOwner(o = {}) {
  const owner = { _type: o.type || 'Worker' };
  const events = [];
  const calls = [];
  owner.emit = function emit(...args) {
    events.push(args);
    calls.push(['emit', ...args]);
    return true;
  };
  if (o.responses) {
    owner.jobs = {};
    owner.responses = [];
    owner.unrecoverable = [];
    owner._response = function _response(js, type, parsed) {
      owner.responses.push([type, parsed]);
      calls.push(['_response', js, type, parsed]);
    };
    owner._unrecoverableError = function _unrecoverableError(msg) {
      owner.unrecoverable.push(msg);
      calls.push(['_unrecoverableError', msg]);
    };
  }
  Object.defineProperty(owner, 'events', { value: events, enumerable: false });
  Object.defineProperty(owner, 'calls', { value: calls, enumerable: false });
  return owner;
}

/**
 * A JobServer with a fake owner, flagged connected without a socket (enough for _processData).
 * @returns {{js: JobServer, owner: object}}
 */
function connectedServer(o = {}) {
  const owner = fakeOwner(Object.assign({ responses: true }, o));
  const js = new JobServer({ host: o.host || 'fake', port: o.port || 1 });
  js.clientOrWorker = owner;
  js.connected = true;
  return { js, owner };
}

/** A server→client packet: \0RES, `code`, the fields joined by NUL (strings or Buffers). */
function resPacket(code, fields = []) {
  const parts = [];
  fields.forEach((f, i) => {
    if (i > 0) parts.push(Buffer.from([0]));
    parts.push(Buffer.isBuffer(f) ? f : Buffer.from(String(f)));
  });
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(12);
  h.writeUInt32BE(0x00524553, 0);
  h.writeUInt32BE(code, 4);
  h.writeUInt32BE(body.length, 8);
  return Buffer.concat([h, body]);
}

module.exports = { fakeOwner, connectedServer, resPacket };
