'use strict';
// Real network partitions on loopback: iptables drops every packet to and from a TCP port (no FIN,
// no RST: the peer just goes silent), as a cable cut or a dead NAT gateway would.
//
//   const { partition } = require('./support/partition');
//   const heal = partition(4741);     // drop both directions
//   try { ... } finally { heal(); }    // always remove the rule, even when the test fails
//
// Every rule carries the comment `gearmanode-test`; rules left by a killed run are removed at the
// next load, and the rules of this process are removed when it exits. Needs root and iptables
// (Debian package `iptables`, installed by .ci/run); `available()` says whether it works here.
const { execFileSync } = require('child_process');

const TAG = 'gearmanode-test';
const active = new Set();

function iptables(args) {
  return execFileSync('iptables', ['-w', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

function rules(port) {
  return [
    ['INPUT', '-i', 'lo', '-p', 'tcp', '--dport', String(port)],
    ['INPUT', '-i', 'lo', '-p', 'tcp', '--sport', String(port)],
  ].map((r) => [...r, '-m', 'comment', '--comment', TAG, '-j', 'DROP']);
}

/** Whether iptables can add and remove a rule here (root, the binary, a kernel that lets it). */
function available() {
  try {
    const probe = ['INPUT', '-i', 'lo', '-p', 'tcp', '--dport', '1', '-m', 'comment', '--comment', TAG, '-j', 'DROP'];
    iptables(['-I', ...probe]);
    iptables(['-D', ...probe]);
    return true;
  } catch (err) {
    return false;
  }
}

/** Drops every packet to and from `port` on loopback; returns the function that heals it. */
function partition(port) {
  for (const r of rules(port)) iptables(['-I', ...r]);
  active.add(port);
  let healed = false;
  return function heal() {
    if (healed) return;
    healed = true;
    active.delete(port);
    for (const r of rules(port)) {
      try {
        iptables(['-D', ...r]);
      } catch (err) {
        // Already gone.
      }
    }
  };
}

/** Removes every rule this harness ever added (by its comment), this process's or a dead run's. */
function removeAll() {
  let listing;
  try {
    listing = iptables(['-S', 'INPUT']);
  } catch (err) {
    return;
  }
  for (const line of listing.split('\n')) {
    if (!line.includes(TAG) || !line.startsWith('-A ')) continue;
    try {
      iptables(['-D', ...line.slice(3).split(' ').map((w) => w.replace(/^"|"$/g, ''))]);
    } catch (err) {
      // Already gone.
    }
  }
}

process.on('exit', function () {
  if (active.size > 0) removeAll();
});

module.exports = { partition, available, removeAll };
