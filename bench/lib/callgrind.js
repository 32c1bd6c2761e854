'use strict';
/**
 * callgrind for bench/profile.js: zero and dump the counters of a process running under
 * `valgrind --tool=callgrind`, and read a dump: its total instruction count (Ir) and the self cost
 * per function and per object file, with JIT'd JavaScript named from node's perf map
 * (`--perf-basic-prof` writes /tmp/perf-PID.map; callgrind only knows those functions by address).
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

/** Runs callgrind_control with `args` for `pid` (zero the counters: -z; dump them: -d). */
function control(args, pid) {
  const r = spawnSync('callgrind_control', [...args, String(pid)], { encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) throw new Error(`callgrind_control ${args.join(' ')} ${pid}: ${(r.stderr || r.stdout || '').trim().split('\n')[0]}`);
}

/**
 * The files of the newest numbered dump of `pid` (`<prefix><pid>.<n>-<thread>`, one per thread
 * with `--separate-threads=yes`, written by `callgrind_control -d`; the dump at exit has no
 * number): `[{thread, file}]`, thread 1 being the main (JavaScript) thread.
 */
function newestDump(dir, prefix, pid) {
  const base = `${prefix}${pid}.`;
  const files = [];
  let newest = -1;
  for (const f of fs.readdirSync(dir)) {
    const m = f.startsWith(base) && /^(\d+)(?:-(\d+))?$/.exec(f.slice(base.length));
    if (!m) continue;
    const n = Number(m[1]);
    if (n > newest) {
      newest = n;
      files.length = 0;
    }
    if (n === newest) files.push({ thread: m[2] ? Number(m[2]) : 1, file: path.join(dir, f) });
  }
  return files.sort((a, b) => a.thread - b.thread);
}

/** The total instruction count of a dump. */
function totalIr(file) {
  const m = /^(?:summary|totals):\s+(\d+)/m.exec(fs.readFileSync(file, 'utf8'));
  return m ? Number(m[1]) : null;
}

/** `[start, end, name]` entries of a perf map, sorted by start; [] when there is none. */
function perfMap(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) out.push([parseInt(m[1], 16), parseInt(m[1], 16) + parseInt(m[2], 16), m[3]]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

function lookup(map, addr) {
  let lo = 0;
  let hi = map.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map[mid][0] <= addr) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi >= 0 && addr < map[hi][1] ? map[hi][2] : null;
}

/**
 * Self cost (Ir) of every function and object file in a dump (the cost lines after `calls=` are
 * inclusive costs of the call and are skipped). Returns {total, byFunction, byObject} (Maps).
 */
function selfCosts(file, map = []) {
  const names = { ob: new Map(), fn: new Map() };
  const name = (kind, v) => {
    const m = /^\((\d+)\)\s*(.*)$/.exec(v);
    if (!m) return v;
    if (m[2]) names[kind].set(m[1], m[2]);
    return names[kind].get(m[1]) || '?';
  };
  const byFunction = new Map();
  const byObject = new Map();
  let ob = '?';
  let key = '?';
  let obOfFn = '?';
  let afterCall = false;
  let total = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const c = line.charCodeAt(0);
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42) { // digit, +, -, *
      if (afterCall) {
        afterCall = false;
        continue;
      }
      const cost = Number(line.split(' ')[1]);
      if (!Number.isFinite(cost)) continue;
      total += cost;
      byFunction.set(key, (byFunction.get(key) || 0) + cost);
      byObject.set(obOfFn, (byObject.get(obOfFn) || 0) + cost);
    } else if (line.startsWith('ob=')) {
      ob = name('ob', line.slice(3));
    } else if (line.startsWith('fn=')) {
      let fn = name('fn', line.slice(3));
      obOfFn = path.basename(ob);
      if (/^0x[0-9a-f]+$/.test(fn)) {
        const js = lookup(map, parseInt(fn, 16));
        if (js) {
          fn = js;
          obOfFn = 'JIT (JavaScript)';
        }
      }
      key = `${obOfFn}: ${fn}`;
    } else if (line.startsWith('cob=')) {
      name('ob', line.slice(4));
    } else if (line.startsWith('cfn=')) {
      name('fn', line.slice(4));
    } else if (line.startsWith('calls=')) {
      afterCall = true;
    }
  }
  return { total, byFunction, byObject };
}

/** Lines for a report: objects, then the `top` functions, per job. */
function report(costs, jobs, top = 25) {
  const pct = (v) => `${((v / costs.total) * 100).toFixed(1).padStart(5)}%`;
  const per = (v) => (v / jobs).toFixed(0).padStart(8);
  const lines = [];
  for (const [k, v] of [...costs.byObject].sort((a, b) => b[1] - a[1]).slice(0, 8)) lines.push(`    ${per(v)} ${pct(v)}  ${k}`);
  lines.push('    top functions (self instructions per job):');
  for (const [k, v] of [...costs.byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${per(v)} ${pct(v)}  ${k.slice(0, 140)}`);
  return lines;
}

module.exports = { control, newestDump, totalIr, perfMap, selfCosts, report };
