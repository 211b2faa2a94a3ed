// Fails when src/graphql/generated.ts is not what graphql-codegen makes from
// the gateway's schema and our operations now: the page and the gateway drifted
// apart, or someone edited the generated file. Fix with `npm run codegen`.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import config from '../codegen.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
process.chdir(root);

let outputs;
try {
  outputs = await generate({ ...config, silent: true }, false);
} catch (err) {
  console.error('codegen:check: graphql-codegen failed (do the operations still fit the gateway schema?)');
  console.error(err?.message ?? err);
  process.exit(1);
}

let stale = 0;
for (const { filename, content } of outputs) {
  const committed = await readFile(path.resolve(root, filename), 'utf8').catch(() => null);
  if (committed !== content) {
    stale++;
    console.error(`codegen:check: ${filename} is out of date; run \`npm run codegen\` and commit it`);
  }
}
if (stale > 0) process.exit(1);
console.log(`codegen:check: ${outputs.length} generated file(s) up to date`);
