// `siric check FILE...`: diagnostics only.
import { compileFile } from '../compiler.js';
import { hasErrors, type Diagnostic } from '../diagnostics/messages.js';
import { EXIT, diagnosticsJson, printDiagnostics, type Outcome } from './common.js';

export interface CheckOptions {
  json?: boolean;
  set?: string[];
}

export function checkCommand(files: string[], opts: CheckOptions): Outcome {
  const all: Diagnostic[] = [];
  const texts = new Map<string, string>();
  const lines: string[] = [];
  for (const f of files) {
    const out = compileFile(f, { mode: 'check', sets: opts.set ?? [], readFiles: true });
    for (const d of out.diagnostics) all.push(d);
    for (const [k, v] of out.texts) texts.set(k, v);
    if (!hasErrors(out.diagnostics)) lines.push(`${f}: ok${out.diagnostics.length ? ` (${out.diagnostics.length} warning${out.diagnostics.length === 1 ? '' : 's'})` : ''}`);
  }
  const code = hasErrors(all) ? EXIT.errors : EXIT.ok;
  if (opts.json) return { code, stdout: diagnosticsJson(all, texts) };
  return { code, stdout: lines.length ? lines.join('\n') + '\n' : '', stderr: printDiagnostics(all, texts) };
}
