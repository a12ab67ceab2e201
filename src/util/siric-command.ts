// How hints spell the command that runs this siric, so that they run as printed: `siric` when that
// is what PATH finds, `npx siric` inside a project that has it (the clone itself, or a project with
// it in node_modules/.bin), else `node <path>/bin/siric.js`.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';

const real = (p: string): string | undefined => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

/** The folder npm treats as the project for `npx` (npm's localPrefix): the nearest with package.json or node_modules. */
function npmProject(cwd: string): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) || existsSync(path.join(dir, 'node_modules'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(cwd);
  }
}

function packageName(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

/** A word for a POSIX shell: as is when safe, else single-quoted. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function siricCommand(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const bin = real(path.join(PACKAGE_ROOT, 'bin', 'siric.js'));
  // The first `siric` on PATH is the one a shell runs; it must be this one.
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (!dir || !existsSync(path.join(dir, 'siric'))) continue;
    if (bin !== undefined && real(path.join(dir, 'siric')) === bin) return 'siric';
    break;
  }
  const project = npmProject(cwd);
  const own = packageName(project) === 'siric' && real(project) === real(PACKAGE_ROOT);
  if (own || (bin !== undefined && real(path.join(project, 'node_modules', '.bin', 'siric')) === bin)) return 'npx siric';
  const file = path.join(PACKAGE_ROOT, 'bin', 'siric.js');
  const rel = path.relative(cwd, file);
  return `node ${shellQuote(rel.startsWith('..') || path.isAbsolute(rel) ? file : rel)}`;
}
