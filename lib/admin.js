'use strict';
/**
 * Admin: the job server's admin text protocol (`status`, `workers`, `version`, …) with a promise
 * per command. Commands are pipelined on one connection (opened on the first command, reopened
 * after a failure); replies are parsed by the Rust core.
 *
 *   const admin = gearmanode.admin({ port: 4730 });
 *   console.log(await admin.status());   // [{ function, total, running, availableWorkers }]
 *   admin.close();
 */
const EventEmitter = require('events').EventEmitter;
const native = require('./internal/native');
const errors = require('./errors');
const owners = require('./internal/owner');

const { EventKind } = native;

class Admin extends EventEmitter {
  /**
   * @param {object} [options] `host` ('localhost'), `port` (4730), `connectTimeout` (ms), `tls`
   *   (as for a client)
   */
  constructor(options) {
    super();
    const o = options || {};
    this.host = o.host || 'localhost';
    this.port = o.port === undefined ? 4730 : Number(o.port);
    this.connectTimeout = o.connectTimeout;
    const tls = owners.normaliseTls(o.tls);
    if (tls instanceof Error) throw tls;
    this.tls = tls;
    this._conn = null;
    this._parser = null;
    this._pending = [];
    this.closed = false;
  }

  _connection() {
    if (this._conn !== null) return this._conn;
    const conn = new native.NativeConnection();
    const parser = new native.AdminParser();
    this._conn = conn;
    this._parser = parser;
    const self = this;
    conn.connect(this.host, this.port, { raw: true, connectTimeout: this.connectTimeout, tls: this.tls }, function (kind, a) {
      if (self._conn !== conn) return;
      switch (kind) {
        case EventKind.Connect:
          self.emit('connect');
          break;
        case EventKind.Data:
          for (const reply of parser.push(a)) self._settle(reply);
          break;
        case EventKind.Error:
          self._drop(errors.fromCore(a));
          break;
        case EventKind.End:
        case EventKind.Close: {
          const e = errors.create(errors.CODES.NOT_CONNECTED, `admin connection to ${self.host}:${self.port} closed`);
          self._drop(e);
          break;
        }
        default:
      }
    });
    return conn;
  }

  _settle(reply) {
    const p = this._pending.shift();
    if (reply.ok) {
      if (p) p.resolve(p.shape(reply));
      return;
    }
    // A server ERR keeps its code in `serverCode`; a malformed reply has a GEARMAN_ADMIN_* code.
    const ours = /^GEARMAN_/.test(reply.code || '');
    const err = ours
      ? errors.create(reply.code, reply.message)
      : errors.create(errors.CODES.SERVER_ERROR, `${reply.code} ${reply.message || ''}`.trim(),
        { serverCode: reply.code });
    if (p) p.reject(err);
    if (reply.fatal) this._drop(err);
  }

  /** Forgets the connection (the next command opens a new one) and fails what was waiting. */
  _drop(err) {
    const conn = this._conn;
    this._conn = null;
    this._parser = null;
    if (conn) conn.destroy();
    const pending = this._pending;
    this._pending = [];
    for (const p of pending) p.reject(err);
  }

  _command(name, args, shape) {
    if (this.closed) {
      return Promise.reject(errors.create(errors.CODES.CLOSED, 'admin connection is closed'));
    }
    let line;
    try {
      line = native.adminEncode(name, args.map(String));
    } catch (err) {
      return Promise.reject(errors.fromCore(err));
    }
    const conn = this._connection();
    this._parser.expect(name);
    return new Promise((resolve, reject) => {
      this._pending.push({ resolve, reject, shape });
      conn.write(line);
    });
  }

  /** @returns {Promise<Array<{function, total, running, availableWorkers}>>} */
  status() { return this._command('status', [], (r) => r.status); }

  /** @returns {Promise<Array<{function, high, normal, low, availableWorkers}>>} */
  priorityStatus() { return this._command('prioritystatus', [], (r) => r.priorityStatus); }

  /** @returns {Promise<Array<{fd, ip, clientId, functions}>>} one row per connection */
  workers() { return this._command('workers', [], (r) => r.workers); }

  /** @returns {Promise<string>} the server version */
  version() { return this._command('version', [], (r) => r.text); }

  /** @returns {Promise<number>} the server's process id */
  getPid() { return this._command('getpid', [], (r) => r.pid); }

  /** @returns {Promise<string>} the server's log level */
  verbose() { return this._command('verbose', [], (r) => r.text); }

  /** @returns {Promise<string[]>} raw lines of `show jobs` */
  showJobs() { return this._command('show jobs', [], (r) => r.lines); }

  /** @returns {Promise<string[]>} raw lines of `show unique jobs` */
  showUniqueJobs() { return this._command('show unique jobs', [], (r) => r.lines); }

  /** Removes a queued background job. */
  cancelJob(handle) { return this._command('cancel job', [handle], () => undefined); }

  /** Creates a function (queue) on the server. */
  createFunction(name) { return this._command('create function', [name], () => undefined); }

  /** Drops a function's queue on the server. */
  dropFunction(name) { return this._command('drop function', [name], () => undefined); }

  /**
   * Limits a function's queue: `maxQueue(name)` clears it, `maxQueue(name, max)` limits every
   * priority, `maxQueue(name, {high, normal, low})` each one.
   */
  maxQueue(name, limits) {
    let args = [name];
    if (typeof limits === 'number') args = [name, limits];
    else if (limits && typeof limits === 'object') args = [name, limits.high, limits.normal, limits.low];
    return this._command('maxqueue', args, () => undefined);
  }

  /** Closes the connection; commands still waiting are rejected (GEARMAN_CLOSED). */
  close() {
    if (this.closed) return;
    this.closed = true;
    this._drop(errors.create(errors.CODES.CLOSED, 'admin connection closed'));
    this.emit('close');
  }
}

/** @returns {Admin} */
function admin(options) {
  return new Admin(options);
}

module.exports = { Admin, admin };
