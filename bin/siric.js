#!/usr/bin/env node
// Entry point of the `siric` command. The TypeScript sources are compiled to dist/ on install.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('siric: dist/ is missing: run `npm install` (or `npm run build`) in the siric folder first.\n');
  process.exit(2);
}
const { main } = await import(entry.href);
const code = await main(process.argv);
// Let pending output drain before exiting with the command's code.
process.exitCode = code;
