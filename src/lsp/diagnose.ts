// The one path from a document to the diagnostics an editor shows: compile it as `siric check`
// does, then sort each diagnostic into the file its span is in (an error in an imported file is
// shown there, and in the importer when the compiler moved it to the user's line).
import type { Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { CompileOutput } from '../compiler.js';
import { sortDiagnostics, type Diagnostic } from '../diagnostics/messages.js';
import { verlDiagnostics } from '../targets/verl/check.js';
import { toLspDiagnostic, toUri } from './convert.js';
import { absOfDisplay, type Analysis, type Workspace } from './workspace.js';

/** The compile target the editor checks for (`initializationOptions.target`, setting `siric.target`). */
export type Target = 'ir' | 'verl';
export const TARGETS: readonly Target[] = ['ir', 'verl'];

export interface Diagnosed {
  analysis: Analysis;
  /** File URI → its diagnostics from this document's compilation (the document's own URI always present). */
  byUri: Map<string, LspDiagnostic[]>;
}

export function diagnose(ws: Workspace, uri: string, target: Target): Diagnosed | undefined {
  const analysis = ws.analyse(uri);
  if (!analysis) return undefined;
  const diagnostics = forTarget(analysis.out, target);
  const uriOf = (display: string): string | undefined => {
    const abs = absOfDisplay(analysis, display);
    return abs ? toUri(abs) : undefined;
  };
  const byUri = new Map<string, LspDiagnostic[]>([[uri, []]]);
  for (const d of diagnostics) {
    const file = d.span ? uriOf(d.span.file) ?? uri : uri;
    const list = byUri.get(file) ?? [];
    list.push(toLspDiagnostic(d, uriOf));
    byUri.set(file, list);
  }
  return { analysis, byUri };
}

/**
 * A compilation's diagnostics for a target. `ir` is exactly what `siric check` reports; `verl` adds
 * what `siric check --target verl` adds (a pure function of the same output, on the default
 * cluster of one 8-GPU node and siric's built-in verl key table).
 */
function forTarget(out: CompileOutput, target: Target): Diagnostic[] {
  return target === 'ir' ? out.diagnostics : sortDiagnostics([...out.diagnostics, ...verlDiagnostics(out)]);
}
