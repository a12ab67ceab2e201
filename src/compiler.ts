// The compiler's front door: load → parse → resolve → check → lower → validate. Pure with respect
// to its inputs (files, overrides); never throws for a user's mistake, only returns diagnostics.
import * as path from 'node:path';
import type * as A from './ast/ast.js';
import { parseExpression } from './ast/build.js';
import { diag, hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics/messages.js';
import type { IR } from './ir/graph.js';
import { lower, type Override } from './ir/lower.js';
import { validateIR } from './ir/validate.js';
import { checkProgram, type CheckResult } from './semantics/check.js';
import { checkReferences } from './semantics/references.js';
import { loadProgram, nodeHost, type Host, type Program } from './semantics/loader.js';
import { didYouMean } from './util/suggest.js';

export interface CompileOptions {
  /** `path=value` strings from `--set`. */
  sets?: readonly string[];
  host?: Host;
  /** Source text to use instead of reading the file (stdin). */
  text?: string;
  /** The name to show for the file in diagnostics. */
  display?: string;
  /** `check` accepts library files without a pipeline; `compile` needs one and lowers it. */
  mode: 'check' | 'compile';
  /**
   * Check the files the pipeline references (data, model folders, tokenizers, reward modules):
   * `check`, `plan` and `run` do; `compile` does not, so a graph can be built where the data isn't.
   */
  readFiles?: boolean;
}

export interface CompileOutput {
  diagnostics: Diagnostic[];
  /** Display path → text, for rendering diagnostics. */
  texts: Map<string, string>;
  program?: Program;
  result?: CheckResult;
  ir?: IR;
}

interface ParsedSet {
  decl: A.Declaration;
  path: A.Ident[];
  value: A.Expr;
  raw: Override;
}

export function compileFile(file: string, opts: CompileOptions): CompileOutput {
  const host = opts.host ?? nodeHost;
  const abs = path.resolve(host.cwd, file);
  const loaded = loadProgram(abs, host, opts.text, opts.display);
  if ('error' in loaded) return { diagnostics: [loaded.error], texts: new Map() };
  const program = loaded;
  const diagnostics = [...program.diagnostics];
  const texts = program.texts;
  const done = (extra: Partial<CompileOutput> = {}): CompileOutput => ({ diagnostics: sortDiagnostics(dedupe(diagnostics)), texts, program, ...extra });
  // Stop after syntax errors: everything later would only repeat them in other words.
  if (hasErrors(diagnostics)) return done();

  const sets = parseSets(opts.sets ?? [], program, texts, diagnostics);
  if (hasErrors(diagnostics)) return done();

  const result = checkProgram(program, (elab) => {
    for (const s of sets) elab.addOverride(s.decl, s.path, s.value);
  });
  for (const d of result.diagnostics) diagnostics.push(d); // not push(...): a spread of 100k+ overflows the stack
  if (opts.readFiles) checkReferences(result.checked, { baseDir: path.dirname(abs), cwd: host.cwd }, diagnostics);
  const pipelines = [...program.entry.decls.values()].filter((d) => d.declKind.name === 'pipeline');
  if (opts.mode === 'compile' && pipelines.length === 0) {
    const first = program.entry.file.items.find((i) => i.kind === 'declaration');
    const span = first?.kind === 'declaration' ? first.name.span : undefined;
    diagnostics.push(diag('E0404', span, `\`${program.entry.display}\` declares no pipeline`, { label: 'a library file, not a pipeline', help: 'add `pipeline NAME { seed = 1 }`, or compile the file that imports this one' }));
  }
  if (hasErrors(diagnostics) || !result.pipeline || !result.complete) return done({ result });

  const lowered = lower(program, result, sets.map((s) => s.raw));
  for (const d of lowered.diagnostics) diagnostics.push(d);
  if (!lowered.ir) return done({ result });
  const valid = validateIR(lowered.ir);
  if (!valid.ok) {
    diagnostics.push(diag('E0999', undefined, 'the compiled graph does not match the IR schema (a bug in siric)', { label: valid.errors.slice(0, 5).join('; '), help: 'please report this with the .siri file that caused it' }));
    return done({ result });
  }
  return done({ result, ir: valid.ir });
}

/** Parse `decl.key.sub=value`; the value is .siri syntax and is checked like source. */
function parseSets(sets: readonly string[], program: Program, texts: Map<string, string>, diagnostics: Diagnostic[]): ParsedSet[] {
  const out: ParsedSet[] = [];
  sets.forEach((raw, i) => {
    const file = sets.length > 1 ? `--set #${i + 1}` : '--set';
    texts.set(file, raw);
    const eq = raw.indexOf('=');
    const whole: A.Span = { file, start: { offset: 0, line: 1, column: 1 }, end: { offset: raw.length, line: 1, column: raw.length + 1 } };
    const pathText = eq < 0 ? raw : raw.slice(0, eq).trim();
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(pathText)) {
      diagnostics.push(diag('E0407', whole, `\`${raw}\` is not an override`, { label: 'expected NAME.KEY=VALUE', help: 'e.g. `--set rl.lr=2e-6` or `--set pipeline.seed=7`' }));
      return;
    }
    const names = pathText.split('.');
    const idents = names.map((name, k) => {
      const start = names.slice(0, k).reduce((n, s) => n + s.length + 1, 0);
      return { name, span: { file, start: { offset: start, line: 1, column: start + 1 }, end: { offset: start + name.length, line: 1, column: start + name.length + 1 } } };
    });
    const decls = [...program.entry.decls.values()];
    const decl = names[0] === 'pipeline' ? decls.find((d) => d.declKind.name === 'pipeline') : program.entry.decls.get(names[0]!);
    if (!decl) {
      diagnostics.push(diag('E0407', idents[0]!.span, `there is no declaration \`${names[0]}\` to override`, { label: 'not declared in the pipeline file', help: didYouMean(names[0]!, decls.map((d) => d.name.name)) || `overridable names: pipeline, ${decls.map((d) => d.name.name).join(', ')}` }));
      return;
    }
    if (decl.params || decl.declKind.name === 'schedule') {
      diagnostics.push(diag('E0407', idents[0]!.span, `\`${names[0]}\` cannot be overridden with --set`, { label: decl.params ? 'a template' : 'a schedule is made of blocks', help: decl.params ? 'override the declaration that instantiates it' : 'edit the phases in the file, or point the stage at another schedule: `--set rl.max_tokens=other`' }));
      return;
    }
    // Pad the value with spaces so its columns match the original argument.
    const parsed = parseExpression(file, ' '.repeat(eq + 1) + raw.slice(eq + 1));
    for (const d of parsed.diagnostics) diagnostics.push(d);
    if (!parsed.expr) return;
    out.push({ decl, path: idents.slice(1), value: parsed.expr, raw: { path: pathText, value: raw.slice(eq + 1).trim() } });
  });
  return out;
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.code}|${d.span?.file}|${d.span?.start.offset}|${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
