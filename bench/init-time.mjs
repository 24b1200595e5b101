// Imports one bundled function module in a fresh process and prints how long the import took (its top-level
// code included: clients built, the admin key read). Plain JavaScript, so no TypeScript loader is in the
// process, as in Lambda. `node bench/init-time.mjs <index.mjs>`
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
if (!file) throw new Error('usage: init-time.mjs <module>');
const started = performance.now();
const module = await import(pathToFileURL(file).href);
const ms = performance.now() - started;
if (typeof module.handler !== 'function') throw new Error(`${file} exports no handler`);
console.log(JSON.stringify({ init_ms: Math.round(ms * 10) / 10 }));
// The SDK keeps its connection open, as it would between invocations.
process.exit(0);
