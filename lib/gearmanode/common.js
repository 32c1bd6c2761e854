'use strict';
/**
 * Helpers shared by the gearmanode modules (docs/COMPATIBILITY.md#common-module): option checks,
 * type tests, copies, hex dumps and UUIDs. Plain JavaScript: nothing here is worth a crossing into
 * the Rust core.
 *
 * gearmanode 0.9.2 ran in sloppy mode, where writing a property of a primitive or a read-only
 * property does nothing. This module is strict, so the writes that user data can reach go through
 * `sloppySet`, which keeps that behaviour instead of throwing.
 */

const hasOwn = Object.prototype.hasOwnProperty;

/** `obj[key] = value` as sloppy-mode code does it: silent on primitives and read-only properties. */
function sloppySet(obj, key, value) {
  if (obj === null || obj === undefined) {
    obj[key] = value; // TypeError, as in sloppy mode
  } else if (typeof obj === 'object' || typeof obj === 'function') {
    if (key === '__proto__') {
      // An own `__proto__` key (JSON.parse makes them) is copied as data, not as a new prototype.
      Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
    } else {
      Reflect.set(obj, key, value);
    }
  }
}

/**
 * Checks `options` against `pattern` and returns `options` unmodified, or returns (not throws) an
 * Error. A pattern value `'mandatory'` requires the option to be present and neither undefined nor
 * null; an Array lists the allowed values (strict equality) and requires the key; anything else
 * (`'optional'`, a default value) only allows the key.
 */
function verifyOptions(options, pattern) {
  if (options === undefined || options === null) {
    return new Error('options not presented');
  }
  if (pattern === undefined || pattern === null) {
    return new Error('pattern not presented');
  }
  // for-in + own check, as the original: enumerable own keys; a string iterates its indexes.
  for (const key in options) {
    if (hasOwn.call(options, key)) {
      if (!hasOwn.call(pattern, key)) {
        return new Error('unknow option: ' + key);
      }
      const allowed = pattern[key];
      if (Array.isArray(allowed) && allowed.indexOf(options[key]) === -1) {
        return new Error('value \'' + options[key] + '\' not in defined range, key=' + key);
      }
    }
  }
  for (const key in pattern) {
    if (hasOwn.call(pattern, key)) {
      const rule = pattern[key];
      if (rule === 'mandatory'
          && (!hasOwn.call(options, key) || options[key] === undefined || options[key] === null)) {
        return new Error('missing mandatory option: ' + key);
      }
      if (Array.isArray(rule) && !hasOwn.call(options, key)) {
        return new Error('missing mandatory Array option: ' + key);
      }
    }
  }
  return options;
}

/**
 * verifyOptions, then fills in the defaults of `pattern` (values other than undefined, 'optional'
 * and 'mandatory') where `options[k] === undefined`. Mutates and returns `options`, or returns the
 * Error. It calls `this.verifyOptions` (users stub it through the module object); called standalone,
 * it uses the module's current `verifyOptions`.
 */
function verifyAndSanitizeOptions(options, pattern) {
  const self = (this !== undefined && this !== null && typeof this.verifyOptions === 'function')
    ? this : module.exports;
  const rslt = self.verifyOptions(options, pattern);
  if (rslt instanceof Error) {
    return rslt;
  }
  for (const key in pattern) {
    if (hasOwn.call(pattern, key)) {
      const dflt = pattern[key];
      if (dflt !== undefined && dflt !== 'optional' && dflt !== 'mandatory' && options[key] === undefined) {
        sloppySet(options, key, dflt);
      }
    }
  }
  return options;
}

/** A primitive string or an object whose `constructor` is String (null and undefined: false). */
function isString(x) {
  return typeof x === 'string' || (x !== undefined && x !== null && x.constructor === String);
}

/** A primitive number (NaN and Infinity included) or an object whose `constructor` is Number. */
function isNumber(x) {
  return typeof x === 'number' || (x !== undefined && x !== null && x.constructor === Number);
}

/**
 * A shallow copy: a non-object is returned as is, an Array gives `slice()`, any other object (a
 * function, a Date, a Buffer…) a plain object with its own enumerable properties.
 */
function clone(obj) {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
    return obj;
  }
  if (Array.isArray(obj)) {
    return obj.slice();
  }
  const copy = {};
  for (const key in obj) {
    if (hasOwn.call(obj, key)) {
      sloppySet(copy, key, obj[key]);
    }
  }
  return copy;
}

/** Copies the own enumerable properties of `source` onto `destination`, and returns `destination`. */
function mixin(source, destination) {
  for (const key in source) {
    if (hasOwn.call(source, key)) {
      sloppySet(destination, key, source[key]);
    }
  }
  return destination;
}

/**
 * Unpadded lowercase hex of the first `max` (default 40, also for null) bytes, a space after every
 * byte but the buffer's last: `bufferAsHex(Buffer.from([1, 2, 3, 4]), 2) === '1 2 '`. Any indexable
 * byte source works (Buffer, Uint8Array, Array of numbers).
 */
function bufferAsHex(buff, max) {
  if (max === undefined || max === null) {
    max = 40;
  }
  const last = buff.length - 1;
  let rslt = '';
  for (let i = 0; i < buff.length && i < max; i++) {
    rslt += buff[i].toString(16);
    if (i < last) {
      rslt += ' ';
    }
  }
  return rslt;
}

/** Does nothing. */
function nullFunction() {}

/** Placeholder for a method a subclass must provide: throws. */
function abstractMethod() {
  throw new Error('unimplemented abstract method');
}

/** A random (Math.random) version-4 UUID: `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`, lowercase. */
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const UUID_BYTES = Buffer.from('xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx', 'latin1');
const HEX_AT = [];
for (let i = 0; i < UUID_BYTES.length; i++) if (UUID_BYTES[i] === 0x78 /* x */) HEX_AT.push(i);
const VARIANT_AT = UUID_BYTES.indexOf(0x79 /* y */);

// One job gets one uuid, and a job may live long: the digits are written into a scratch buffer and
// read out as one flat string (string concatenation would keep a rope of ten pieces per job), with
// Math.random() as the source of randomness, 32 bits at a time.
function createUUID() {
  let bits = 0;
  let left = 0;
  for (let i = 0; i < HEX_AT.length; i++) {
    if (left === 0) {
      bits = Math.floor(Math.random() * 0x100000000);
      left = 8;
    }
    UUID_BYTES[HEX_AT[i]] = HEX[bits & 0xf];
    bits >>>= 4;
    left--;
  }
  UUID_BYTES[VARIANT_AT] = HEX[8 + (Math.random() * 4 | 0)];
  return UUID_BYTES.latin1Slice(0, UUID_BYTES.length);
}

module.exports = {
  verifyOptions,
  verifyAndSanitizeOptions,
  isString,
  isNumber,
  clone,
  mixin,
  bufferAsHex,
  nullFunction,
  abstractMethod,
  createUUID,
};

/** How long a failed job server stays marked bad (ms) when no `recoverTime` is given (0.9.2's 30 s). */
const DEFAULT_RECOVER_TIME = 30000;

// Beyond 0.9.2, for the library's own modules (not enumerable: the module's keys stay 0.9.2's).
const extras = { sloppySet, DEFAULT_RECOVER_TIME };
for (const k of Object.keys(extras)) {
  Object.defineProperty(module.exports, k, { value: extras[k], enumerable: false });
}
