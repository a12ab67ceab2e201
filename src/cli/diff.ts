// `siric diff A B`: the semantic difference of two pipelines (files, REV:path, run directories).
// Exit codes as diff(1): 0 the same, 1 different, 2 trouble (a side that does not compile or load).
import { diffSides } from '../diff/compare.js';
import { renderDiff } from '../diff/render.js';
import { loadSide, type Side } from '../diff/side.js';
import { textconv } from '../diff/textconv.js';
import { canonicalJson } from '../ir/lower.js';
import { EXIT, printDiagnostics, type Outcome } from './common.js';

/** diff(1)'s exit codes, on the project's constants: 1 is also "errors in the input", 2 "bad command line". */
export const DIFF_EXIT = { same: EXIT.ok, different: EXIT.errors, trouble: EXIT.usage } as const;

export interface DiffOptions {
  json?: boolean;
  textconv?: string;
}

export function diffCommand(a: string | undefined, b: string | undefined, opts: DiffOptions): Outcome {
  // git runs the textconv with the file as its only argument; a failing textconv breaks `git diff`.
  if (opts.textconv !== undefined) {
    if (a !== undefined) return { code: DIFF_EXIT.trouble, stderr: `error: --textconv takes one file and no other argument, e.g. siric diff --textconv ${opts.textconv}\n` };
    return { code: EXIT.ok, stdout: textconv(opts.textconv) };
  }
  if (a === undefined || b === undefined) return { code: DIFF_EXIT.trouble, stderr: 'error: siric diff compares two pipelines: siric diff A B (files, REV:path or run directories), or prints one with --textconv FILE\n' };
  const sides: Side[] = [];
  let stderr = '';
  for (const arg of [a, b]) {
    const l = loadSide(arg);
    if ('side' in l) sides.push(l.side);
    else stderr += (l.diagnostics ? printDiagnostics(l.diagnostics, l.texts ?? new Map()) : '') + `error: ${l.trouble}\n`;
  }
  if (sides.length < 2) return { code: DIFF_EXIT.trouble, stderr };
  const d = diffSides(sides[0]!, sides[1]!);
  return { code: d.same ? DIFF_EXIT.same : DIFF_EXIT.different, stdout: opts.json ? canonicalJson(d) : renderDiff(d) };
}
