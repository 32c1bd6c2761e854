'use strict';
/**
 * What Client and Worker share beyond the ServerManager mixin of the original: the connection
 * options this library adds, deferred job errors, and methods kept off the enumerable surface.
 */

/** Options beyond gearmanode's, read by each job server's socket. */
const SOCKET_OPTIONS = ['connectTimeout', 'maxPacketSize'];

/**
 * Takes this library's own connection options out of `options` (so gearmanode's validation sees
 * only its own keys) and keeps them on the owner, hidden. `ownKeys` are further options of the
 * owner itself (already read by its constructor) that gearmanode's validation must not see.
 * @returns {object} what to pass to initServers: `options` itself when it has none of them
 */
function takeSocketOptions(owner, options, ownKeys) {
  const has = (k) => options && Object.prototype.hasOwnProperty.call(options, k);
  let found = null;
  for (const k of SOCKET_OPTIONS) {
    if (has(k)) {
      if (found === null) found = {};
      found[k] = options[k];
    }
  }
  hide(owner, '_socketOptions', found);
  const strip = SOCKET_OPTIONS.concat(ownKeys || []);
  if (!strip.some(has)) return options;
  const rest = Object.assign({}, options);
  for (const k of strip) delete rest[k];
  return rest;
}

/**
 * Emits `error` on a job one tick later, and only if it has an `error` listener then: existing
 * code listens on the client only, and a throw from a callback after the fact would take the
 * process down (contract §0, §11.1 #3).
 */
function deferJobError(job, err) {
  process.nextTick(function () {
    if (job.listenerCount('error') > 0) job.emit('error', err);
  });
}

/** Defines a writable, non-enumerable property (invisible to Object.keys and key-order checks). */
function hide(target, name, value) {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
}

module.exports = { takeSocketOptions, deferJobError, hide, SOCKET_OPTIONS };
