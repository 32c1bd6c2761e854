'use strict';
/**
 * Load balancing strategies (contract §5): `Sequence` and `RoundRobin`, over their base class
 * LBStrategy (reachable as `Sequence.super_`).
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
  // A visit of x looks up the own key String(x); only canonical number strings can match one.
  const badNodes = this.badNodes;
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
  const rslt = core.lbSearchNextGood(base, +this.nodeCount, comparable(this.recoverTime), Date.now(),
    n === marks.length ? marks : marks.subarray(0, n));
  const logger = LBStrategy.logger;
  for (let i = 2; i < rslt.length; i++) {
    logger.verbose('bad node recovered, idx=%d', rslt[i]); // formats nothing unless verbose is on
    this.goodOne(rslt[i]);
  }
  if (rslt[0] === 1) {
    logger.debug('found good node, idx=%d', rslt[1]);
    return rslt[1];
  }
  logger.error('all nodes invalid, no candidate more');
  return null;
};

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

module.exports = { Sequence, RoundRobin };
