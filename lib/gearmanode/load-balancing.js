'use strict';
/**
 * Load balancing strategies (docs/COMPATIBILITY.md#load-balancing): `Sequence` and `RoundRobin`,
 * over their base class LBStrategy (reachable as `Sequence.super_`); beyond gearmanode 0.9.2,
 * `Hash` (a non-enumerable export, so the module's keys stay the original two).
 *
 * The objects keep gearmanode's plain, writable fields (`nodeCount`, `badNodes` of Dates keyed by
 * index strings, `recoverTime`, `lastIndex`) and every rule works on whatever values users put
 * there, with JavaScript's arithmetic. The common path (`nextIndex` on a good node) stays in JS; the
 * scan for a good node (`_searchNextGood`) is decided by the Rust balancer, and its effects (the
 * `goodOne` calls, the result) are applied here through the objects' current methods.
 */
const util = require('util');
const common = require('./common');
const loggers = require('../logger');
const core = require('../internal/native');

const Slot = core.DecisionSlot;

const hasOwn = Object.prototype.hasOwnProperty;
const sloppySet = common.sloppySet;

/** `delete obj[key]` with the same leniency. */
function sloppyDelete(obj, key) {
  if (obj === null || obj === undefined) {
    delete obj[key]; // TypeError, as in sloppy mode
  } else if (typeof obj === 'object' || typeof obj === 'function') {
    Reflect.deleteProperty(obj, key);
  }
}

/** The number a JS comparison (`age > value`) gives `value`; unlike `+`, comparisons take BigInt. */
function comparable(value) {
  return typeof value === 'bigint' ? Number(value) : +value;
}

/**
 * Base class of the strategies. `nodeCount` must pass isNumber, or the constructor returns (does not
 * throw) an Error. There is no range check: lax numbers behave as JavaScript makes them.
 */
function LBStrategy(nodeCount) {
  if (!common.isNumber(nodeCount)) {
    return new Error('count of nodes is not number');
  }
  this.nodeCount = nodeCount;
  this.badNodes = {};
  this.recoverTime = common.DEFAULT_RECOVER_TIME;
}

LBStrategy.logger = loggers.get('LBStrategy');

/** Abstract: the subclasses provide it. */
LBStrategy.prototype.nextIndex = common.abstractMethod;

/** Marks node `idx` good again. */
LBStrategy.prototype.goodOne = function goodOne(idx) {
  sloppyDelete(this.badNodes, idx);
};

/**
 * Marks node `idx` bad now (again: refreshes the time). Ignored unless `idx < nodeCount` and idx is
 * a number (negative and fractional ones are stored, and never match a node).
 */
LBStrategy.prototype.badOne = function badOne(idx) {
  if (idx < this.nodeCount && common.isNumber(idx)) {
    sloppySet(this.badNodes, idx, new Date());
  }
};

/**
 * Visits `(i + bad) % nodeCount` for i = 0 … nodeCount-1 (`bad` first): returns the first node not
 * in `badNodes` at once; a node whose mark is older than `recoverTime` ms is passed to `goodOne` and
 * remembered (a later one replaces it). Returns the remembered node, or null (after an `error` log).
 * The scan is decided in Rust (`lbSearchNextGood`), from a snapshot of the marks.
 */
LBStrategy.prototype._searchNextGood = function _searchNextGood(bad) {
  // gearmanode computes `i + bad`: numeric, or a concatenation when `bad` is (or converts to) a
  // string ('7' visits '07', '17', …). `0 + bad` tells which, and converts `bad` once.
  const first = 0 + bad;
  const base = typeof first === 'string' ? first.slice(1) : first;
  const marks = marksOf(this.badNodes);
  const rslt = core.lbSearchNextGood(base, +this.nodeCount, comparable(this.recoverTime), Date.now(), marks);
  return applyDecision(this, rslt);
};

/**
 * The bad marks as the core takes them: flat `[index, +mark, …]` for the own keys of `badNodes`
 * that are canonical number strings (a visit of x looks up the key String(x), so no other key can
 * match a node).
 */
function marksOf(badNodes) {
  const keys = Object.getOwnPropertyNames(badNodes);
  const marks = new Float64Array(keys.length * 2);
  let n = 0;
  for (const key of keys) {
    const idx = +key;
    if (String(idx) === key) {
      marks[n++] = idx;
      marks[n++] = +badNodes[key]; // as in `now - mark`
    }
  }
  return n === marks.length ? marks : marks.subarray(0, n);
}

/**
 * Applies a decision of the core (laid out as the core's DecisionSlot says): each recovered node
 * goes to the strategy's current `goodOne`; returns the chosen node, or null (after an `error` log).
 */
function applyDecision(strategy, rslt) {
  const logger = LBStrategy.logger;
  for (let i = Slot.Recovered; i < rslt.length; i++) {
    logger.verbose('bad node recovered, idx=%d', rslt[i]); // formats nothing unless verbose is on
    strategy.goodOne(rslt[i]);
  }
  if (rslt[Slot.Found] === 1) {
    logger.debug('found good node, idx=%d', rslt[Slot.Chosen]);
    return rslt[Slot.Chosen];
  }
  logger.error('all nodes invalid, no candidate more');
  return null;
}

/**
 * Sequence: the same node until it goes bad, then the next good one, where it stays (sticky).
 * After null it starts over at 0.
 */
function Sequence(nodeCount) {
  const rslt = Sequence.super_.call(this, nodeCount);
  if (rslt instanceof Error) {
    return rslt;
  }
}

util.inherits(Sequence, LBStrategy);

/** The index of the node to use, or null when every node is bad. */
Sequence.prototype.nextIndex = function nextIndex() {
  if (this.lastIndex === undefined || this.lastIndex === null) {
    this.lastIndex = 0;
  }
  if (hasOwn.call(this.badNodes, this.lastIndex)) {
    this.lastIndex = this._searchNextGood(this.lastIndex);
  }
  return this.lastIndex;
};

/** RoundRobin: the nodes in turn (0 first), skipping bad ones. After null it starts over at 0. */
function RoundRobin(nodeCount) {
  const rslt = RoundRobin.super_.call(this, nodeCount);
  if (rslt instanceof Error) {
    return rslt;
  }
}

util.inherits(RoundRobin, LBStrategy);

/** The index of the node to use, or null when every node is bad. */
RoundRobin.prototype.nextIndex = function nextIndex() {
  if (this.lastIndex === undefined || this.lastIndex === null) {
    this.lastIndex = -1;
  }
  this.lastIndex = (this.lastIndex + 1) % this.nodeCount;
  if (hasOwn.call(this.badNodes, this.lastIndex)) {
    this.lastIndex = this._searchNextGood(this.lastIndex);
  }
  return this.lastIndex;
};

/**
 * Hash (beyond gearmanode 0.9.2): a job with a unique id goes to the server that rendezvous hashing
 * of the id picks among the servers (by their names, `host:port`), so that every client naming
 * the same servers sends an id to the same server and gearmand coalesces the duplicates. When that
 * server is marked bad, the id goes to the next one in its own order of preference (the others' ids
 * stay where they are), and back as soon as the mark is older than `recoverTime`. A job without a
 * unique id goes round robin (`nextIndex`, inherited).
 * @param {number} nodeCount
 * @param {string[]} [nodeNames] the servers' names in index order (default: '0', '1', …)
 */
function Hash(nodeCount, nodeNames) {
  const rslt = Hash.super_.call(this, nodeCount);
  if (rslt instanceof Error) {
    return rslt;
  }
  let names = nodeNames;
  if (names === undefined || names === null) {
    names = [];
    for (let i = 0; i < nodeCount; i++) names.push(String(i));
  }
  if (!Array.isArray(names) || names.some((x) => typeof x !== 'string')) {
    return new Error('node names are not an array of strings');
  }
  // Hidden, so the strategy's own keys are those of RoundRobin.
  Object.defineProperty(this, '_hashKeys', { value: core.lbHashKeys(names), writable: true });
}

util.inherits(Hash, RoundRobin);

/** The wire bytes of a unique id as the core hashes them (a Buffer raw, anything else as text). */
function idOf(unique) {
  return Buffer.isBuffer(unique) ? unique : String(unique);
}

/**
 * The index of the server for a job with this unique id (round robin without one), or null when
 * every server is bad.
 */
Hash.prototype.indexFor = function indexFor(unique) {
  if (unique === undefined || unique === null || unique === '') return this.nextIndex();
  const marks = marksOf(this.badNodes);
  const rslt = core.lbHashPick(idOf(unique), this._hashKeys, comparable(this.recoverTime), Date.now(), marks);
  return applyDecision(this, rslt);
};

/** The server indexes in this unique id's order of preference (bad marks aside). */
Hash.prototype.orderFor = function orderFor(unique) {
  return Array.from(core.lbHashOrder(idOf(unique), this._hashKeys));
};

module.exports = { Sequence, RoundRobin };
Object.defineProperty(module.exports, 'Hash', { value: Hash, enumerable: false });
