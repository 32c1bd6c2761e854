'use strict';
/**
 * Status by unique id (beyond gearmanode 0.9.2): `client.getStatusUnique(unique)` sends
 * GET_STATUS_UNIQUE and gearmand answers STATUS_RES_UNIQUE with the unique id (not a handle), so the
 * answers are routed here by server and unique id, never to the client's `jobs`.
 *
 * Which servers are asked: under a strategy that places unique ids (`Hash`, with `indexFor`) the
 * one the id belongs to, then the next in its order if that one cannot be reached, as a job with
 * that id would go; otherwise every server, answering with the one that knows the job.
 */
const protocol = require('../gearmanode/protocol');
const errors = require('../errors');
const loggers = require('../logger');

const log = loggers.get('Client');
const GET_STATUS_UNIQUE = protocol.PACKETS.GET_STATUS_UNIQUE.code;

/** client → Map(server uid → Map(unique → callbacks waiting for an answer, oldest first)). */
const pending = new WeakMap();

function waitingOn(client, uid) {
  let servers = pending.get(client);
  if (servers === undefined) {
    servers = new Map();
    pending.set(client, servers);
  }
  let byUnique = servers.get(uid);
  if (byUnique === undefined) {
    byUnique = new Map();
    servers.set(uid, byUnique);
  }
  return byUnique;
}

/** The Error for a bad `unique`, or null. */
function badUnique(unique) {
  if (typeof unique !== 'string' || unique === '') {
    return new TypeError('getStatusUnique: the unique id must be a non-empty string');
  }
  if (errors.hasNul(unique)) return errors.nulError('unique id', unique);
  // Over errors.MAX_UNIQUE_BYTES (63) gearmand 1.1.20 sends no answer at all (docs/PROTOCOL.md#limits).
  return errors.uniqueTooLong(unique);
}

function closedError() {
  return errors.create(errors.CODES.CLOSED, 'client is closed');
}

/** Sends the request to one server; `cb(err)` if it cannot, `cb(null, status)` with the answer. */
function ask(client, jobServer, unique, packet, cb) {
  const rslt = jobServer.send(packet, function (err) {
    if (client.closed === true) {
      cb(closedError());
      return;
    }
    if (err) {
      cb(err);
      return;
    }
    const byUnique = waitingOn(client, jobServer.getUid());
    const list = byUnique.get(unique);
    if (list === undefined) byUnique.set(unique, [cb]);
    else list.push(cb);
  });
  if (rslt instanceof Error) cb(rslt);
}

/** A STATUS_RES_UNIQUE (`[length, unique, known, running, numerator, denominator, waiting]`). */
function answer(client, jobServer, parsed) {
  const uid = jobServer.getUid();
  const servers = pending.get(client);
  const byUnique = servers && servers.get(uid);
  const list = byUnique && byUnique.get(parsed[1]);
  if (!list) {
    log.log('warn', 'status answer nobody asked for, unique=%s, server=%s', parsed[1], uid);
    return;
  }
  const cb = list.shift();
  if (list.length === 0) byUnique.delete(parsed[1]);
  cb(null, {
    unique: parsed[1],
    known: parsed[2] === '1',
    running: parsed[3] === '1',
    numerator: Number(parsed[4]),
    denominator: Number(parsed[5]),
    waiting: Number(parsed[6]),
    jobServerUid: uid,
  });
}

/** Fails every request waiting on `jobServer` (its connection is gone: no answer will come). */
function serverLost(client, jobServer, cause) {
  const servers = pending.get(client);
  if (servers === undefined) return;
  const uid = jobServer.getUid();
  const byUnique = servers.get(uid);
  if (byUnique === undefined) return;
  servers.delete(uid);
  for (const list of byUnique.values()) {
    for (const cb of list) {
      cb(errors.create(errors.CODES.CONNECTION_LOST,
        `connection to ${uid} lost before the status answer`, { jobServerUid: uid, cause }));
    }
  }
}

/** Fails every waiting request: the client was closed. */
function closeAll(client) {
  const servers = pending.get(client);
  if (servers === undefined) return;
  pending.delete(client);
  for (const byUnique of servers.values()) {
    for (const list of byUnique.values()) for (const cb of list) cb(closedError());
  }
}

/** Under `Hash`: the id's server, then the next in its order while a server cannot be reached. */
function askPlaced(client, unique, packet, resolve, reject) {
  const lb = client.loadBalancer;
  let attempts = 0;
  const attempt = function (lastErr) {
    const idx = lb.indexFor(unique);
    const jobServer = idx === null || idx === undefined ? undefined : client.jobServers[idx];
    // Each failure marks its server bad, so the next attempt goes elsewhere; the bound covers a
    // server that fails without being marked (a disconnect by user code).
    if (jobServer === undefined || attempts++ > client.jobServers.length) {
      reject(errors.create(errors.CODES.ALL_SERVERS_FAILED, 'no job server could be asked for the status',
        { cause: lastErr }));
      return;
    }
    ask(client, jobServer, unique, packet, function (err, status) {
      if (!err) resolve(status);
      else if (err.code === errors.CODES.CLOSED) reject(err);
      else attempt(err);
    });
  };
  attempt(undefined);
}

/** Every server: the first answer that knows the job, else an answer that does not, else an error. */
function askAll(client, packet, unique, resolve, reject) {
  const servers = client.jobServers.slice();
  let left = servers.length;
  let unknown = null;
  let firstErr = null;
  let settled = false;
  const done = function () {
    if (settled || left > 0) return;
    settled = true;
    if (unknown !== null) resolve(unknown);
    else if (firstErr !== null && firstErr.code === errors.CODES.CLOSED) reject(firstErr);
    else reject(errors.create(errors.CODES.ALL_SERVERS_FAILED, 'no job server answered the status request',
      { cause: firstErr }));
  };
  for (const jobServer of servers) {
    ask(client, jobServer, unique, packet, function (err, status) {
      left--;
      if (settled) return;
      if (err) {
        if (firstErr === null) firstErr = err;
      } else if (status.known) {
        settled = true;
        resolve(status);
        return;
      } else if (unknown === null) {
        unknown = status;
      }
      done();
    });
  }
}

/**
 * `client.getStatusUnique(unique)`: a Promise of `{unique, known, running, numerator, denominator,
 * waiting, jobServerUid}` (`waiting`: how many clients wait for the job). Rejects with a TypeError
 * or GearmanError for a bad id, GEARMAN_CLOSED once the client is closed, and
 * GEARMAN_ALL_SERVERS_FAILED when no server could answer.
 */
function getStatusUnique(client, unique) {
  return new Promise(function (resolve, reject) {
    const bad = badUnique(unique);
    if (bad) {
      reject(bad);
      return;
    }
    if (client.closed === true) {
      reject(closedError());
      return;
    }
    const packet = protocol.encodePacket(GET_STATUS_UNIQUE, [unique]);
    const lb = client.loadBalancer;
    if (lb && typeof lb.indexFor === 'function') askPlaced(client, unique, packet, resolve, reject);
    else askAll(client, packet, unique, resolve, reject);
  });
}

module.exports = { getStatusUnique, answer, serverLost, closeAll };
