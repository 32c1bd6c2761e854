'use strict';
/**
 * Runs `code` in a fresh node process (cwd: the package root, library logging at `error`) to show
 * that a program which closes everything exits by itself. The child writes 'closed\n' to stdout
 * once it has closed everything; from then on it has `exitMs` to exit, or it is killed. The whole
 * setup before that has `setupMs`.
 * `env` adds variables to the child's environment.
 * Resolves {code, signal, killed (why, or null), stdout, stderr}.
 */
const path = require('path');
const { spawn } = require('child_process');

const ROOT = path.join(__dirname, '..', '..');

function runChild(code, { setupMs = 20000, exitMs = 5000, env = {} } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', code], {
      cwd: ROOT,
      env: Object.assign({}, process.env, { GEARMANODE_LOG: 'error' }, env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = null;
    let exitTimer = null;
    const kill = (why) => {
      killed = why;
      child.kill('SIGKILL');
    };
    const setupTimer = setTimeout(() => kill('no result in time'), setupMs);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      if (exitTimer === null && stdout.includes('closed\n')) {
        clearTimeout(setupTimer);
        exitTimer = setTimeout(() => kill(`still running ${exitMs} ms after close()`), exitMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (exitCode, signal) => {
      clearTimeout(setupTimer);
      clearTimeout(exitTimer);
      resolve({ code: exitCode, signal, killed, stdout, stderr });
    });
  });
}

module.exports = { runChild };
