#!/usr/bin/env node
// cardlab's command line. Which code runs:
// - the installed package (no TypeScript sources beside dist/): the compiled dist/, on plain node;
// - this repository (sources present): the .ts sources through tsx, so an edit counts at once and a
//   stale dist/ never shadows it; CARDLAB_USE_DIST=1 runs dist/ instead (after `npm run build`).
import { existsSync } from 'node:fs';

const sources = new URL('../scenarios/cli/cardlab.ts', import.meta.url);
const compiled = new URL('../dist/scenarios/cli/cardlab.js', import.meta.url);
const useDist = !existsSync(sources) || process.env.CARDLAB_USE_DIST === '1';

if (useDist && !existsSync(compiled)) {
  process.stderr.write('cardlab: dist/ is missing: run `npm run build` first\n');
  process.exit(2);
}
if (!useDist) (await import('tsx/esm/api')).register();
const { main } = await import(useDist ? compiled.href : sources.href);
await main(process.argv);
