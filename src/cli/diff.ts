// `siric diff A B`: the semantic difference of two pipelines (files, REV:path, run directories).
// Exit codes as diff(1): 0 the same, 1 different, 2 trouble (a side that does not compile or load).
import { diffSides } from '../diff/compare.js';
import { renderDiff } from '../diff/render.js';
import { loadSide, type Side } from '../diff/side.js';
import { canonicalJson } from '../ir/lower.js';
import { EXIT, printDiagnostics, type Outcome } from './common.js';

/** diff(1)'s exit codes, on the project's constants: 1 is also "errors in the input", 2 "bad command line". */
export const DIFF_EXIT = { same: EXIT.ok, different: EXIT.errors, trouble: EXIT.usage } as const;

export interface DiffOptions {
  json?: boolean;
}

export function diffCommand(a: string, b: string, opts: DiffOptions): Outcome {
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
