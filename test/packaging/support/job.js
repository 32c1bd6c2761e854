'use strict';
// Copied into a test project next to its node_modules/: one real job through gearmand with a worker
// and a client of the installed gearmanode. Prints
// {result, core, node, arch, glibc} as JSON (core: the .node file the library loaded) and exits by itself.
//   node job.js HOST PORT
const gearmanode = require('gearmanode');

const host = process.argv[2];
const port = Number(process.argv[3]);
const name = `reverse-${process.arch}-${process.pid}`;
const text = `hello from ${process.arch}`;

const guard = setTimeout(() => {
  console.error(`no result from ${host}:${port} in 60 s`);
  process.exit(2);
}, 60000);
guard.unref();

const worker = gearmanode.worker({ host, port });
worker.addFunction(name, (job) => job.workComplete(Buffer.from(job.payload).reverse()));
const client = gearmanode.client({ host, port });
const job = client.submitJob(name, text);
for (const ev of ['failed', 'exception', 'error']) {
  job.on(ev, (e) => {
    console.error(`job ${ev}: ${e && e.message ? e.message : e}`);
    process.exit(1);
  });
}
job.on('complete', () => {
  console.log(JSON.stringify({
    result: String(job.response),
    core: Object.keys(require.cache).find((k) => k.endsWith('.node')),
    node: process.version,
    arch: process.arch,
    glibc: process.report.getReport().header.glibcVersionRuntime,
  }));
  client.close();
  worker.close();
});
