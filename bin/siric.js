#!/usr/bin/env node
// Entry point of the `siric` command. The TypeScript sources are compiled to dist/ on install, and
// the CLI is bundled into dist/bundle/ so that it starts without opening a thousand module files.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/bundle/main.js', import.meta.url);
const modules = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(bundle) ? bundle : modules;
if (!existsSync(entry)) {
  process.stderr.write('siric: dist/ is missing: run `npm install` (or `npm run build`) in the siric folder first.\n');
  process.exit(70); // EXIT.internal: siric itself cannot run
}
const { main } = await import(entry.href);
const code = await main(process.argv);
// Let pending output drain before exiting with the command's code.
process.exitCode = code;
