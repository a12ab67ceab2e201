// The sections of docs/errors.md, one per diagnostic code (compile-time E/W and run-time R), as
// plain text for `siric explain`. The file is read from siric's package folder, so an installed
// siric finds it too (package.json `files` ships it).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../util/package-root.js';

export const ERRORS_DOC = path.join(PACKAGE_ROOT, 'docs', 'errors.md');

const CODE_HEADING = /^## ([A-Z]\d{4}): /;

/** Code → the markdown of its section, heading included. A `#` line inside a fenced block is an example, not a heading. */
export function sectionsOf(md: string): Map<string, string> {
  const out = new Map<string, string>();
  let code: string | undefined;
  let lines: string[] = [];
  let fenced = false;
  const flush = (): void => {
    if (code) out.set(code, lines.join('\n').trim());
    code = undefined;
    lines = [];
  };
  for (const line of md.split('\n')) {
    if (!fenced && /^#{1,2} /.test(line)) {
      flush();
      code = CODE_HEADING.exec(line)?.[1];
    }
    if (line.startsWith('```')) fenced = !fenced;
    if (code) lines.push(line);
  }
  flush();
  return out;
}

/** A section as a terminal shows it: fences dropped and their contents indented, emphasis and in-page links unwrapped. */
export function plainText(section: string): string {
  const out: string[] = [];
  let fenced = false;
  for (const line of section.split('\n')) {
    if (line.startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    if (fenced) out.push(line === '' ? '' : `    ${line}`);
    else if (line.startsWith('## ')) out.push(line.slice(3), '='.repeat(line.length - 3));
    else out.push(line.replace(/\*\*([^*]+)\*\*/g, '$1').replace(/\[([^\]]+)\]\(#[^)]*\)/g, '$1').replace(/\[([^\]]+)\]\(([^)]+)\)/g, '$1 ($2)'));
  }
  return out.join('\n') + '\n';
}

export function readErrorsDoc(): Map<string, string> {
  return sectionsOf(readFileSync(ERRORS_DOC, 'utf8'));
}
