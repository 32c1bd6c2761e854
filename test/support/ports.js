'use strict';
// Loopback port helpers for the test harness: is a port free, pick a free one, wait until a port
// opens or closes. Plain `net`, no external tools.

const net = require('net');
const dns = require('dns');

// Ports handed out by freePort() in this process, so two calls in a row (before either port is
// actually bound) never return the same port.
const reserved = new Set();

/** Resolves true when nothing listens on host:port (we could bind it), false when it is taken. */
function isPortFree(port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      // The address does not exist here (e.g. ::1 on a host without IPv6): nothing can listen there.
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT') resolve(true);
      else reject(err);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Tries one TCP connection. Resolves 'open' (accepted), 'refused' (ECONNREFUSED, or the address does
 * not exist here), or 'timeout'.
 */
function probe(port, host = '127.0.0.1', timeout = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host, autoSelectFamily: false });
    const done = (state) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => done('timeout'), timeout);
    sock.once('connect', () => done('open'));
    sock.once('error', (err) => {
      if (['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH', 'EAFNOSUPPORT', 'ECONNRESET'].includes(err.code)) {
        done('refused');
      } else {
        done(`error:${err.code || err.message}`);
      }
    });
  });
}

/**
 * Waits until host:port accepts connections ({open: true}, the default) or refuses them
 * ({open: false}). Rejects after `timeout` ms.
 */
async function waitPort(port, { open = true, host = '127.0.0.1', timeout = 10000, interval = 50 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await probe(port, host, Math.min(1000, Math.max(100, deadline - Date.now())));
    if (open ? last === 'open' : last === 'refused') return;
    if (Date.now() >= deadline) {
      throw new Error(`port ${host}:${port} did not ${open ? 'open' : 'close'} within ${timeout} ms (last probe: ${last})`);
    }
    await sleep(interval);
  }
}

/**
 * Picks a port >= base on which nothing listens (checked on `host`), and reserves it for this
 * process so the next call returns another one. Use it for suites that start their own gearmand
 * (4740 and up).
 */
async function freePort(base = 4740, { host = '127.0.0.1', max = 500 } = {}) {
  for (let port = base; port < base + max && port <= 65535; port++) {
    if (reserved.has(port)) continue;
    if (await isPortFree(port, host)) {
      reserved.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${base}..${base + max - 1} on ${host}`);
}

/** Forgets a reservation made by freePort(). */
function releasePort(port) {
  reserved.delete(port);
}

/** All addresses `name` resolves to, in resolver order: [{address, family}]. */
function lookupAll(name) {
  return new Promise((resolve, reject) => {
    dns.lookup(name, { all: true }, (err, addrs) => (err ? reject(err) : resolve(addrs)));
  });
}

/**
 * What 'localhost' resolves to here, which of those addresses exist, and the -L value that makes
 * gearmand listen on all of them. gearmand binds every address its -L name resolves to, so
 * `-L localhost` covers 127.0.0.1 and ::1 where /etc/hosts maps localhost to both (Docker does, and
 * Node then tries ::1 first).
 */
async function localhostAddresses() {
  let resolved = [];
  try {
    resolved = [...new Set((await lookupAll('localhost')).map((a) => a.address))];
  } catch {
    // no resolver entry: 127.0.0.1 only
  }
  const all = [...new Set(['127.0.0.1', ...resolved])];
  const bindable = [];
  for (const host of all) if (await addressExists(host)) bindable.push(host);
  let listen;
  if (resolved.length === 0 || (resolved.length === 1 && resolved[0] === '127.0.0.1')) listen = '127.0.0.1';
  else if (resolved.includes('127.0.0.1') && resolved.every((a) => bindable.includes(a))) listen = 'localhost';
  else if (resolved.includes('127.0.0.1')) listen = '127.0.0.1'; // the other address cannot be bound here
  else listen = null; // localhost is not 127.0.0.1: listen everywhere to cover both
  return { resolved, all, bindable, listen };
}

/** Whether a local socket can be bound to `host` (::1 is missing where IPv6 is disabled). */
function addressExists(host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port: 0, host }, () => server.close(() => resolve(true)));
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { isPortFree, probe, waitPort, freePort, releasePort, lookupAll, localhostAddresses, addressExists, sleep };
