// Diagnostics for people (rustc's layout) and for programs (Terraform's `validate -json` shape).
import type { Diagnostic } from './messages.js';
import type { Span } from '../ast/ast.js';

/** File name (as shown to the user) → source text, for quoting the offending line. */
export type SourceTexts = ReadonlyMap<string, string>;

export interface RenderOptions {
  color?: boolean;
}

const paint = (on: boolean, code: string, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

// The lines of the text rendered last: a file with thousands of diagnostics is split once, not once each.
let splitCache: { text: string; lines: string[] } | undefined;
function lineOf(text: string, line: number): string {
  if (splitCache?.text !== text) splitCache = { text, lines: text.split(/\r?\n/) };
  return splitCache.lines[line - 1] ?? '';
}

/** Quoted lines are cut to this many characters around the span (a 10 MB line is not printed). */
const MAX_QUOTE = 160;
function clipLine(src: string, col: number): { src: string; col: number } {
  if (src.length <= MAX_QUOTE) return { src, col };
  const from = Math.max(0, Math.min(col - 1 - 40, src.length - MAX_QUOTE));
  const head = from > 0 ? '…' : '';
  const tail = from + MAX_QUOTE < src.length ? '…' : '';
  return { src: head + src.slice(from, from + MAX_QUOTE) + tail, col: col - from + head.length };
}

function underline(span: Span, lineText: string): { col: number; width: number } {
  const col = span.start.column;
  const endCol = span.end.line === span.start.line ? span.end.column : lineText.length + 1;
  return { col, width: Math.max(1, endCol - col) };
}

export function renderHuman(d: Diagnostic, sources: SourceTexts, opts: RenderOptions = {}): string {
  const c = opts.color ?? false;
  const sevColor = d.severity === 'error' ? '1;31' : '1;33';
  const out: string[] = [];
  out.push(`${paint(c, sevColor, `${d.severity}[${d.code}]`)}${paint(c, '1', `: ${d.message}`)}`);
  if (d.span) {
    const text = sources.get(d.span.file);
    const gutterWidth = String(d.span.start.line).length;
    const pad = ' '.repeat(gutterWidth);
    out.push(`${pad}${paint(c, '1;34', '-->')} ${d.span.file}:${d.span.start.line}:${d.span.start.column}`);
    if (text !== undefined) {
      const line = lineOf(text, d.span.start.line);
      const clipped = clipLine(line, d.span.start.column);
      // Tabs as spaces, other control characters (a NUL byte) as their visible symbols: one column each.
      const src = clipped.src.replace(/\t/g, ' ').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (ch) => String.fromCharCode(ch === '\x7f' ? 0x2421 : 0x2400 + ch.charCodeAt(0)));
      const { width: fullWidth } = underline(d.span, line);
      const col = clipped.col;
      const width = Math.max(1, Math.min(fullWidth, src.length + 1 - (col - 1)));
      const bar = paint(c, '1;34', '|');
      out.push(`${pad} ${bar}`);
      out.push(`${paint(c, '1;34', String(d.span.start.line))} ${bar} ${src}`);
      const marks = paint(c, sevColor, '^'.repeat(width) + (d.label ? ` ${d.label}` : ''));
      out.push(`${pad} ${bar} ${' '.repeat(col - 1)}${marks}`);
    }
    for (const r of d.related ?? []) {
      out.push(`${pad} ${paint(c, '1;34', '=')} note: ${r.message} at ${r.span.file}:${r.span.start.line}:${r.span.start.column}`);
    }
    if (d.help) out.push(`${pad} ${paint(c, '1;34', '=')} ${paint(c, '1', 'help')}: ${d.help}`);
  } else {
    if (d.label) out.push(`  ${d.label}`);
    if (d.help) out.push(`  = help: ${d.help}`);
  }
  return out.join('\n');
}

export function renderSummary(ds: readonly Diagnostic[]): string {
  const e = ds.filter((d) => d.severity === 'error').length;
  const w = ds.length - e;
  const parts: string[] = [];
  if (e) parts.push(`${e} error${e === 1 ? '' : 's'}`);
  if (w) parts.push(`${w} warning${w === 1 ? '' : 's'}`);
  return parts.join(', ');
}

export function renderAllHuman(ds: readonly Diagnostic[], sources: SourceTexts, opts: RenderOptions = {}): string {
  if (ds.length === 0) return '';
  return ds.map((d) => renderHuman(d, sources, opts)).join('\n\n') + '\n\n' + renderSummary(ds) + '\n';
}

interface JsonPos {
  line: number;
  column: number;
  byte: number;
}

function byteOffset(text: string | undefined, charOffset: number): number {
  if (text === undefined) return charOffset;
  return Buffer.byteLength(text.slice(0, charOffset), 'utf8');
}

/** The shape of Terraform's `validate -json`, plus our `code`. */
export function renderJson(ds: readonly Diagnostic[], sources: SourceTexts): object {
  const errors = ds.filter((d) => d.severity === 'error').length;
  return {
    format_version: '1.0',
    valid: errors === 0,
    error_count: errors,
    warning_count: ds.length - errors,
    diagnostics: ds.map((d) => {
      const detail = [d.label, d.help ? `help: ${d.help}` : undefined].filter(Boolean).join('\n');
      const entry: Record<string, unknown> = { severity: d.severity, code: d.code, summary: d.message, detail };
      if (d.span) {
        const text = sources.get(d.span.file);
        const pos = (p: Span['start']): JsonPos => ({ line: p.line, column: p.column, byte: byteOffset(text, p.offset) });
        entry['range'] = { filename: d.span.file, start: pos(d.span.start), end: pos(d.span.end) };
        if (text !== undefined) {
          const code = lineOf(text, d.span.start.line);
          const { col, width } = underline(d.span, code);
          entry['snippet'] = {
            context: null,
            code,
            start_line: d.span.start.line,
            highlight_start_offset: col - 1,
            highlight_end_offset: col - 1 + width,
            values: [],
          };
        }
      }
      if (d.related) entry['related'] = d.related.map((r) => ({ message: r.message, filename: r.span.file, line: r.span.start.line, column: r.span.start.column }));
      return entry;
    }),
  };
}
