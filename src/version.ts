// The package version, read once from package.json so `--version` and the IR agree with it.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_ROOT } from './util/package-root.js';

export const VERSION: string = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
