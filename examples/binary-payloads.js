'use strict';
// Binary data both ways. Payloads and results travel as raw bytes: a Buffer is sent as it is, and by
// default the worker's job.payload, the client's job.response and the workData are Buffers. With the
// option toStringEncoding (on addFunction for the worker, on submitJob for the client) they arrive as
// strings decoded with that encoding instead.
//
//   node examples/binary-payloads.js
//
// Environment: GEARMAN_HOST / GEARMAN_PORT (default localhost:4730), GEARMANODE_EXAMPLE_SUFFIX
// (appended to the function names, so that concurrent runs do not serve each other's jobs).

const assert = require('assert');
const gearmanode = require('..');

const host = process.env.GEARMAN_HOST || 'localhost';
const port = Number(process.env.GEARMAN_PORT || 4730);
const suffix = process.env.GEARMANODE_EXAMPLE_SUFFIX || '';
const REVERSE_BYTES = 'reverse-bytes' + suffix;
const DESCRIBE = 'describe-text' + suffix;

const worker = gearmanode.worker({ host, port });
const client = gearmanode.client({ host, port });

// Worker 1: no toStringEncoding, so job.payload is a Buffer. The result is a Buffer too: it is
// sent raw (no text conversion on the way), and so is the partial data.
worker.addFunction(REVERSE_BYTES, (job) => {
  const data = job.payload;
  console.log(`[worker] ${REVERSE_BYTES}: got a ${data.constructor.name} of ${data.length} bytes`);
  job.sendWorkData(data.subarray(0, 4)); // the first four bytes, as partial data
  job.workComplete(Buffer.from(data).reverse());
});

// Worker 2: toStringEncoding 'utf8', so job.payload is a string.
worker.addFunction(DESCRIBE, (job) => {
  const text = job.payload;
  console.log(`[worker] ${DESCRIBE}: got a ${typeof text}: '${text}'`);
  job.workComplete(`${[...text].length} characters, ${Buffer.byteLength(text)} bytes in UTF-8`);
}, { toStringEncoding: 'utf8' });

/** Submits a job and resolves with the job once it completed. */
function run(name, payload, options) {
  return new Promise((resolve, reject) => {
    const job = client.submitJob(name, payload, options);
    if (job instanceof Error) return reject(job);
    const partial = [];
    job.on('workData', (data) => partial.push(data));
    job.on('complete', () => resolve({ job, partial }));
    job.on('failed', () => reject(new Error(`${name} failed`)));
    job.on('error', reject);
  });
}

async function main() {
  // 1. Every byte value, 0 to 255, there and back.
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  const { job, partial } = await run(REVERSE_BYTES, all);
  const response = job.response;
  console.log(`[client] response: a ${response.constructor.name} of ${response.length} bytes, ` +
    `starts with ${response.subarray(0, 4).toString('hex')}, ends with ${response.subarray(-4).toString('hex')}`);
  assert.ok(Buffer.isBuffer(response));
  assert.deepStrictEqual(response, Buffer.from(all).reverse());
  assert.deepStrictEqual(partial, [all.subarray(0, 4)]);
  console.log(`[client] partial data: ${partial[0].toString('hex')} (a Buffer)`);
  console.log('[client] all 256 byte values made the round trip unchanged');

  // 2. The same bytes, with the response decoded by the client: toStringEncoding 'hex'.
  const hex = (await run(REVERSE_BYTES, Buffer.from([0x00, 0xff, 0x80, 0x7f]), { toStringEncoding: 'hex' })).job;
  console.log(`[client] with toStringEncoding 'hex': ${typeof hex.response} '${hex.response}'`);
  assert.strictEqual(hex.response, '7f80ff00');

  // 3. Text: a string payload is sent as UTF-8; both sides decode with toStringEncoding.
  const text = 'Žluťoučký kůň 🐎';
  const described = (await run(DESCRIBE, text, { toStringEncoding: 'utf8' })).job;
  console.log(`[client] '${text}' -> ${typeof described.response} '${described.response}'`);
  assert.strictEqual(described.response, '15 characters, 24 bytes in UTF-8');

  // 4. Without toStringEncoding, the client gets the same answer as raw bytes.
  const raw = (await run(DESCRIBE, Buffer.from(text, 'utf8'))).job;
  console.log(`[client] without toStringEncoding: a ${raw.response.constructor.name} of ${raw.response.length} bytes`);
  assert.ok(Buffer.isBuffer(raw.response));
}

const watchdog = setTimeout(() => {
  console.error('No answer within 10 s; giving up.');
  process.exit(1);
}, 10000);

main().then(
  () => console.log('Done; closing the client and the worker.'),
  (err) => {
    console.error(`Failed: ${err.stack}`);
    process.exitCode = 1;
  },
).finally(() => {
  clearTimeout(watchdog);
  client.close();
  worker.close();
});
