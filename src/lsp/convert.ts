// Between siric's positions (1-based lines and columns, as `siric check` prints them) and the
// protocol's (0-based lines, UTF-16 characters), and between file paths and URIs.
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type Position, type Range } from 'vscode-languageserver';
import type { Pos, Span } from '../ast/ast.js';
import type { Diagnostic } from '../diagnostics/messages.js';

export const toUri = (abs: string): string => pathToFileURL(abs).href;
export const toPath = (uri: string): string => path.resolve(fileURLToPath(uri));

export const toPosition = (p: Pos): Position => ({ line: p.line - 1, character: p.column - 1 });
export const toRange = (s: Span): Range => ({ start: toPosition(s.start), end: toPosition(s.end) });

/** The character offset of an LSP position in `text` (lines end at \n, as the lexer's do). */
export function offsetAt(text: string, p: Position): number {
  let offset = 0;
  for (let line = 0; line < p.line; line++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  const eol = text.indexOf('\n', offset);
  return Math.min(offset + p.character, eol < 0 ? text.length : eol);
}

/** What a quick fix needs: the text that replaces the diagnostic's range. */
export interface FixData {
  fix: string;
}

/** The name a "did you mean `x`?" hint proposes, if the hint has one. */
export function suggestedFix(help: string | undefined): string | undefined {
  return help?.match(/did you mean `([^`]+)`\?/)?.[1];
}

/**
 * One siric diagnostic as the editor shows it: the message and, under it, the label and the help
 * exactly as `siric check --json` gives `summary` and `detail`; notes become related information.
 */
export function toLspDiagnostic(d: Diagnostic, uriOf: (display: string) => string | undefined): LspDiagnostic {
  const detail = [d.label, d.help ? `help: ${d.help}` : undefined].filter(Boolean).join('\n');
  const out: LspDiagnostic = {
    range: d.span ? toRange(d.span) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: 'siric',
    message: detail ? `${d.message}\n${detail}` : d.message,
  };
  const related = (d.related ?? []).flatMap((r) => {
    const uri = uriOf(r.span.file);
    return uri ? [{ location: { uri, range: toRange(r.span) }, message: r.message }] : [];
  });
  if (related.length) out.relatedInformation = related;
  const fix = suggestedFix(d.help);
  if (fix !== undefined && d.span) out.data = { fix } satisfies FixData;
  return out;
}

