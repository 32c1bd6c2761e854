'use strict';
/**
 * ServerManager: what Client and Worker share about their job servers (a mixin).
 */
const common = require('./common');
const JobServer = require('./job-server').JobServer;

/** No-op constructor; use `ServerManager.mixin(Ctor)`. */
function ServerManager() {}

/**
 * Creates `this.jobServers` from `host`/`port` or `servers`.
 * @param {object} [options] `host`, `port`, `servers: [{host?, port?}, ...]`
 * @returns {undefined|Error}
 */
ServerManager.prototype.initServers = function (options) {
  if (!Object.prototype.hasOwnProperty.call(this, '_type')) {
    return new Error('this object is neither Client nor Worker');
  }
  const opts = common.clone(options || {});
  const rslt = common.verifyAndSanitizeOptions(opts, { host: 'localhost', port: 4730, servers: 'optional' });
  if (rslt instanceof Error) return rslt;

  let servers;
  if (Object.prototype.hasOwnProperty.call(opts, 'servers')) {
    if (!Array.isArray(opts.servers)) return new Error('servers: not an array');
    if (opts.servers.length === 0) return new Error('servers: empty array');
    servers = opts.servers;
  } else {
    servers = [{ host: opts.host, port: opts.port }];
  }

  this.jobServers = [];
  for (let i = 0; i < servers.length; i++) {
    const entry = servers[i];
    // Defaults go into the caller's entry; a bad entry is reported by JobServer below.
    if (entry !== null && typeof entry === 'object') {
      common.verifyAndSanitizeOptions(entry, { host: 'localhost', port: 4730 });
    }
    const jobServer = new JobServer(entry);
    if (jobServer instanceof Error) return jobServer;
    const uid = jobServer.getUid();
    for (let j = 0; j < this.jobServers.length; j++) {
      if (this.jobServers[j].getUid() === uid) return new Error('duplicate server, uid=' + uid);
    }
    jobServer.clientOrWorker = this;
    this.jobServers.push(jobServer);
  }
  return undefined;
};

/** Disconnects every job server and drops its link to this owner. */
ServerManager.prototype.closeServers = function () {
  const servers = this.jobServers || [];
  for (let i = 0; i < servers.length; i++) {
    servers[i].disconnect();
    delete servers[i].clientOrWorker;
  }
};

/** @returns {number|undefined} the index of the job server with this uid */
ServerManager.prototype._getJobServerIndexByUid = function (uid) {
  const servers = this.jobServers || [];
  for (let i = 0; i < servers.length; i++) {
    if (servers[i].getUid() === uid) return i;
  }
  return undefined;
};

/** @returns {JobServer|undefined} the job server with this uid */
ServerManager.prototype._getJobServerByUid = function (uid) {
  const idx = this._getJobServerIndexByUid(uid);
  return idx === undefined ? undefined : this.jobServers[idx];
};

ServerManager.prototype._response = common.abstractMethod;
ServerManager.prototype._unrecoverableError = common.abstractMethod;

/** Copies the ServerManager methods onto `Ctor.prototype`. */
ServerManager.mixin = function (Ctor) {
  common.mixin(ServerManager.prototype, Ctor.prototype);
};

module.exports = { ServerManager };
