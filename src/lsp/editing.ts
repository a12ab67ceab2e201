// The outline (document symbols), formatting through the canonical formatter, inlay hints with
// each phase's steps and budget, and quick fixes for "did you mean" hints.
import { CodeActionKind, InlayHintKind, LSPErrorCodes, ResponseError, SymbolKind, type CodeAction, type Diagnostic as LspDiagnostic, type DocumentSymbol, type InlayHint, type TextEdit } from 'vscode-languageserver';
import type * as A from '../ast/ast.js';
import { formatSource } from '../format/printer.js';
import type { FixData } from './convert.js';
import { toPosition, toRange } from './convert.js';
import { budgetOf, runsOfPhase, scheduleRuns, stepRange, type ScheduleRuns } from './schedule-info.js';
import type { Analysis } from './workspace.js';

const KIND_SYMBOL: Record<string, SymbolKind> = {
  pipeline: SymbolKind.Module,
  model: SymbolKind.Class,
  dataset: SymbolKind.Struct,
  reward: SymbolKind.Function,
  schedule: SymbolKind.Event,
  train: SymbolKind.Method,
  eval: SymbolKind.Interface,
};

export function documentSymbols(file: A.SourceFile): DocumentSymbol[] {
  return file.items.map((item) => {
    if (item.kind === 'import') return { name: `import ${item.path.raw}`, kind: SymbolKind.File, range: toRange(item.span), selectionRange: toRange(item.path.span) };
    const sym: DocumentSymbol = { name: item.name.name, detail: item.declKind.name, kind: KIND_SYMBOL[item.declKind.name] ?? SymbolKind.Object, range: toRange(item.span), selectionRange: toRange(item.name.span) };
    if (item.body) sym.children = blockSymbols(item.body);
    return sym;
  });
}

function blockSymbols(b: A.Block): DocumentSymbol[] {
  return b.items.map((item) => {
    if (item.kind === 'attribute') return { name: item.key.name, kind: SymbolKind.Property, range: toRange(item.span), selectionRange: toRange(item.key.span) };
    const label = item.label ? ('kind' in item.label ? item.label.raw : item.label.name) : '';
    return { name: `${item.keyword.name}${label ? ` ${label}` : ''}`, kind: item.keyword.name === 'phase' ? SymbolKind.Event : SymbolKind.Namespace, range: toRange(item.span), selectionRange: toRange(item.keyword.span), children: blockSymbols(item.body) };
  });
}

/** The whole document, formatted as `siric fmt` formats it (refused while it has syntax errors). */
export function formatDocument(display: string, text: string): TextEdit[] {
  const r = formatSource(display, text);
  if (!r.ok) throw new ResponseError(LSPErrorCodes.RequestFailed, `cannot format: the file has syntax errors (${r.diagnostics.length}; see the problems list)`);
  if (!r.changed) return [];
  const lines = text.split('\n');
  return [{ range: { start: { line: 0, character: 0 }, end: { line: lines.length - 1, character: lines[lines.length - 1]!.length } }, newText: r.text }];
}

/**
 * After each phase label: its steps and budget (`steps 1–20: 112 → 48 tokens`; a phase in a
 * `repeat` lists each cycle's steps). After a schedule's name: its whole span of steps.
 */
export function inlayHints(a: Analysis, all: readonly Analysis[]): InlayHint[] {
  const mod = a.module;
  if (!mod) return [];
  const out: InlayHint[] = [];
  const hint = (at: A.Pos, label: string): void => void out.push({ position: toPosition(at), label, kind: InlayHintKind.Type, paddingLeft: true });
  for (const item of mod.file.items) {
    if (item.kind !== 'declaration' || item.declKind.name !== 'schedule' || item.params) continue;
    const id = a.out.result?.elaborator.idOf(mod, item);
    const runs = id ? scheduleRuns(a, id) : undefined;
    if (runs?.runs.length) {
      const first = runs.runs[0]!;
      const last = runs.runs[runs.runs.length - 1]!;
      hint(item.name.span.end, `steps ${first.start + 1}–${last.end} (${runs.runs.length} phases)${runs.global ? '' : ' of the schedule'}`);
    }
    for (const phase of phasesOf(item.body?.items ?? [])) {
      const label = phase.label && !('kind' in phase.label) ? phase.label : undefined;
      const pr = runsOfPhase(all, label?.span ?? phase.keyword.span);
      if (pr?.runs.length) hint((label ?? phase.keyword).span.end, phaseLabel(pr));
    }
  }
  return out;
}

function phaseLabel(pr: ScheduleRuns): string {
  const budgets = [...new Set(pr.runs.map((r) => budgetOf(r.phase)))];
  return `steps ${pr.runs.map(stepRange).join(', ')}: ${budgets.join(' / ')}`;
}

function phasesOf(items: A.BlockItem[]): A.NestedBlock[] {
  return items.flatMap((i) => (i.kind !== 'nested' ? [] : i.keyword.name === 'phase' ? [i] : phasesOf(i.body.items)));
}

/** A quick fix for each diagnostic that proposes a name: replace the span with it. */
export function codeActions(uri: string, text: string, diagnostics: LspDiagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    const fix = (d.data as Partial<FixData> | undefined)?.fix;
    if (typeof fix !== 'string') continue;
    // The span of an import path includes its quotes.
    const lineText = text.split('\n')[d.range.start.line] ?? '';
    const quoted = lineText[d.range.start.character] === '"';
    const newText = quoted ? JSON.stringify(fix) : fix;
    out.push({ title: `Change to \`${fix}\``, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true, edit: { changes: { [uri]: [{ range: d.range, newText }] } } });
  }
  return out;
}
