// The folder of siric's package.json, found by walking up from this module, so that the same code
// finds stdlib/ and the version whether it runs from src/ (tests), dist/ or a bundle in dist/bundle/.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'siric') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the siric package folder');
    dir = up;
  }
}

export const PACKAGE_ROOT = find();
