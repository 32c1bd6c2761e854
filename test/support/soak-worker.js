'use strict';
// A soak worker (child process of soak-run.js): registers FUNCTION on HOST:PORT, answers each job
// with its payload, and on the 'stop' message reports its figures and closes (then exits by itself).

const path = require('path');
const g = require(path.join(__dirname, '..', '..'));

const [host, port, fn] = process.argv.slice(2);
const worker = g.worker({ host, port: Number(port) });
if (worker instanceof Error) throw worker;
const warnings = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
worker.on('error', (e) => warnings.push(`worker error: ${e.message}`));

let jobs = 0;
let rssWarm = null;
worker.addFunction(fn, (job) => {
  jobs++;
  if (jobs === 1000) rssWarm = process.memoryUsage().rss;
  job.workComplete(job.payload);
});
worker.once('socketConnect', () => process.send({ ready: true }));

process.on('message', (m) => {
  if (m && m.stop) {
    const rssEnd = process.memoryUsage().rss;
    worker.close();
    process.send({ jobs, rssWarm, rssEnd, warnings }, () => process.disconnect());
  }
});
