'use strict';
/**
 * The library's loggers (docs/COMPATIBILITY.md#logging): gearmanode's logger surface without winston.
 *
 *   const loggers = require('gearmanode/lib/logger');
 *   const log = loggers.get('Client');          // one object per name
 *   log.debug('sent %d bytes', n);              // util.format style; nothing is formatted when off
 *   log.isLevelEnabled('debug');                // true when debug lines are written
 *   log.transports.console.level = 'error';     // ONE level shared by every logger (and the core)
 *   loggers.setLevel('info'); loggers.getLevel();
 *   loggers.setLogger(sink);                    // the one way to replace where lines go
 *
 * Levels are npm's: error 0, warn 1, info 2, verbose 3, debug 4, silly 5; a line is written when its
 * level is at least as important as the current one. The default is `warn`; the environment
 * variable `GEARMANODE_LOG=<level>` sets it at load. As with gearmanode 0.9.2's winston 2, setting
 * `transports.console.level` to a name that is no level (`'none'`, `'off'`) turns logging off; the
 * level then reads back as that name.
 *
 * The default sink writes `<level>: [<logger name>] <message>` lines to stderr, whatever the level:
 * log lines are diagnostics, and stdout belongs to the application. A sink set with `setLogger` is
 * either a function `(level, message, meta)` or an object: one with `log(level, message, meta)` (a
 * winston logger) gets that call, one with level methods only (pino-like) gets `sink[level](message)`
 * (`verbose` falls back to `debug`, `silly` to `trace` then `debug`). `meta` is `{ logger: name }`.
 *
 * The Rust core logs with `tracing`; its events follow the same level (the level is pushed to the core
 * whenever it changes) and arrive here on the JS thread, named after their tracing target
 * (for example `gearmanode::transport`).
 */
const util = require('util');

/** The levels, most important first. */
const LEVELS = Object.freeze({ error: 0, warn: 1, info: 2, verbose: 3, debug: 4, silly: 5 });
const NAMES = Object.freeze(Object.keys(LEVELS));
/** Level name → number, without inherited keys (`'constructor'` is no level). */
const RANK = Object.assign(Object.create(null), LEVELS);
const DEFAULT_LEVEL = 'warn';

/** The current level as a number (OFF: nothing is written): every check is one comparison against it. */
let current = LEVELS[DEFAULT_LEVEL];
/** Below every level: no line passes `n <= current`. */
const OFF = -1;
/** While logging is off, the name that turned it off (it reads back as the level, as in winston 2). */
let offName = null;
/** The user's sink, or null for the default one. */
let sink = null;
const registry = new Map();

/** The Rust core, when it loads; the JS loggers work without it. */
let core = null;
try {
  core = require('./internal/native');
} catch (err) {
  core = null;
}

function defaultSink(level, message, meta) {
  process.stderr.write(level + ': [' + meta.logger + '] ' + message + '\n');
}

const PINO_FALLBACKS = { verbose: ['debug', 'info'], silly: ['trace', 'debug'] };

/** Hands one formatted line to the sink; a throwing sink never breaks the library's own paths. */
function write(level, name, message) {
  const meta = { logger: name };
  if (sink === null) {
    defaultSink(level, message, meta);
    return;
  }
  try {
    if (typeof sink === 'function') {
      sink(level, message, meta);
    } else if (typeof sink.log === 'function') {
      sink.log(level, message, meta);
    } else {
      const method = [level].concat(PINO_FALLBACKS[level] || []).find((m) => typeof sink[m] === 'function');
      if (method !== undefined) {
        sink[method](message);
      }
    }
  } catch (err) {
    defaultSink('error', 'log sink failed: ' + (err && err.stack ? err.stack : err) + '; line was: ' + message,
      { logger: 'logger' });
  }
}

/** A line from the Rust core: `level` is a level number, `target` the tracing target. */
function fromCore(level, target, message) {
  // The level may have been lowered while the line was queued.
  if (level <= current) {
    write(NAMES[level], target, message);
  }
}

function pushLevelToCore() {
  if (core !== null && typeof core.setLogLevel === 'function') {
    try {
      // The core has no "off": it keeps only its error lines (rare), which fromCore then drops.
      core.setLogLevel(current === OFF ? LEVELS.error : current);
    } catch (err) {
      // The core logs nothing then; the JS loggers keep working.
    }
  }
}

/**
 * Sets the level shared by every logger and by the core: a level name (or its number 0–5). Returns
 * undefined, or an Error (not thrown) for an unknown level, leaving the level unchanged.
 */
function setLevel(level) {
  let n;
  if (typeof level === 'string' && RANK[level] !== undefined) {
    n = RANK[level];
  } else if (Number.isInteger(level) && level >= 0 && level < NAMES.length) {
    n = level;
  } else {
    return new Error('invalid log level: ' + String(level) + ' (one of ' + NAMES.join(', ') + ')');
  }
  offName = null;
  if (n !== current) {
    current = n;
    pushLevelToCore();
  }
  return undefined;
}

/** Turns logging off; `name` (not a level) is what the level reads back as. */
function turnOff(name) {
  offName = name;
  if (current !== OFF) {
    current = OFF;
    pushLevelToCore();
  }
}

/** The current level's name; while logging is off, the name that turned it off. */
function getLevel() {
  return offName !== null ? offName : NAMES[current];
}

/**
 * Replaces the sink (see the module comment); `null` or `undefined` restores the default. Returns the
 * previous sink (null for the default). Throws TypeError for anything that cannot take a line.
 */
function setLogger(newSink) {
  if (newSink === undefined) {
    newSink = null;
  }
  if (newSink !== null && typeof newSink !== 'function') {
    const usable = typeof newSink === 'object'
      && (typeof newSink.log === 'function' || NAMES.concat('trace').some((m) => typeof newSink[m] === 'function'));
    if (!usable) {
      throw new TypeError('a log sink is a function (level, message, meta) or an object with log() or level methods');
    }
  }
  const previous = sink;
  sink = newSink;
  return previous;
}

/**
 * The `transports.console` of every logger: one object, so that gearmanode's documented knob
 * `Client.logger.transports.console.level = 'error'` sets the level of all of them. A string that is
 * not a level name turns logging off without a word, as winston 2 did for 0.9.2 (applications
 * silence the library with `'none'`); any other invalid value is ignored with a warning.
 */
const consoleTransport = Object.defineProperties({}, {
  level: {
    enumerable: true,
    get: getLevel,
    set(level) {
      if (typeof level === 'string' && RANK[level] === undefined) {
        turnOff(level);
        return;
      }
      const err = setLevel(level);
      if (err !== undefined && current >= LEVELS.warn) {
        write('warn', 'logger', 'ignored: ' + err.message);
      }
    },
  },
});
const transports = Object.freeze({ console: consoleTransport });

/** A named logger. Use `get(name)`. */
class Logger {
  constructor(name) {
    this.name = name;
    this.transports = transports;
  }

  /** Writes `util.format(format, ...args)` at `level` when that level is enabled. */
  log(level, format, ...args) {
    const n = RANK[level];
    if (n !== undefined && n <= current) {
      write(level, this.name, util.format(format, ...args));
    }
    return this;
  }

  /** True when lines of `level` are written (gearmanode's was inverted, COMPATIBILITY.md#fixed-13). */
  isLevelEnabled(level) {
    const n = RANK[level];
    return n !== undefined && n <= current;
  }
}

// The shortcuts check the level before they touch their arguments.
for (const [name, n] of Object.entries(LEVELS)) {
  Object.defineProperty(Logger.prototype, name, {
    configurable: true,
    writable: true,
    value: {
      [name](format, ...args) {
        if (n <= current) {
          write(name, this.name, util.format(format, ...args));
        }
        return this;
      },
    }[name],
  });
}

/** The logger called `name` (any string); the same object for the same name. */
function get(name) {
  const key = String(name);
  let logger = registry.get(key);
  if (logger === undefined) {
    logger = new Logger(key);
    registry.set(key, logger);
  }
  return logger;
}

// Level from the environment, then the core's routing.
const fromEnv = process.env.GEARMANODE_LOG;
if (fromEnv !== undefined && fromEnv.trim() !== '') {
  const err = setLevel(fromEnv.trim().toLowerCase());
  if (err !== undefined) {
    write('warn', 'logger', 'GEARMANODE_LOG ignored: ' + err.message);
  }
}
if (core !== null && typeof core.setLogSink === 'function') {
  try {
    core.setLogSink(fromCore);
  } catch (err) {
    write('warn', 'logger', 'the core\'s log lines cannot be routed: ' + err.message);
  }
}
pushLevelToCore();

module.exports = { get, setLevel, getLevel, setLogger, LEVELS };
