// `siric diff --textconv FILE`: one pipeline as git's textconv wants it (docs/diff.md). Git hands the
// textconv a copy of the file, often in a temporary folder (/tmp/git-blob-XXXXXX/NAME.siri), where its
// relative imports do not resolve. So the copy is compiled as if it stood where a file of the same
// name stands in the repository (git runs the textconv at the top of the work tree), with the
// imports as they are there now. A textconv that fails breaks `git diff`: whatever goes wrong, this
// prints what it can, with a one-line note, and never throws.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileFile } from '../compiler.js';
import { formatSource } from '../format/printer.js';
import { describeSide } from './describe.js';
import { compiled } from './side.js';

const NOTE = '# siric diff --textconv:';

export function textconv(file: string, cwd: string = process.cwd()): string {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (e) {
    return `${NOTE} cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})\n`;
  }
  let first: string | undefined;
  for (const at of placesFor(file, cwd)) {
    const rel = path.relative(cwd, at);
    const display = rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(at) : rel.split(path.sep).join('/');
    const l = compiled(display, 'file', compileFile(at, { mode: 'compile', text, display }));
    if ('side' in l) return describeSide(l.side);
    first ??= l.diagnostics?.find((d) => d.severity === 'error')?.message ?? l.trouble;
  }
  // No place where it compiles: its canonical formatting still hides re-indenting.
  const f = formatSource(path.basename(file), text);
  const note = `${NOTE} ${path.basename(file)} does not compile here (${first ?? 'unknown reason'}); showing its ${f.ok ? 'canonical formatting' : 'text'}`;
  return `${note}\n${f.ok ? f.text : text}`;
}

/** The file where it is, then each file of the git repository at `cwd` with its name (git's older temporary names have a `XXXXXX_` prefix). */
function placesFor(file: string, cwd: string): string[] {
  const places = [path.resolve(cwd, file)];
  const base = path.basename(file);
  const names = new Set([base, base.replace(/^[A-Za-z0-9]{6}_/, '')]);
  try {
    const listed = execFileSync('git', ['-C', cwd, 'ls-files', '-z', '--full-name'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    const top = execFileSync('git', ['-C', cwd, 'rev-parse', '--show-toplevel'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    for (const p of listed.split('\0')) if (p && names.has(path.posix.basename(p))) places.push(path.join(top, p));
  } catch {
    // Not in a git repository (or no git): the file where it is is all there is.
  }
  return [...new Set(places)];
}
