// grammar/siri.tmLanguage.json: valid JSON, regexes that JavaScript compiles, and the expected
// scopes on sample lines when its patterns are applied by a small, naive TextMate-like scanner.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/tools/grammar-artifacts.js';

interface Captures {
  [group: string]: { name?: string };
}
interface Rule {
  include?: string;
  match?: string;
  begin?: string;
  end?: string;
  name?: string;
  captures?: Captures;
  beginCaptures?: Captures;
  endCaptures?: Captures;
  patterns?: Rule[];
}
interface Grammar {
  scopeName: string;
  fileTypes: string[];
  patterns: Rule[];
  repository: Record<string, Rule>;
}

const path = join(repoRoot, 'grammar/siri.tmLanguage.json');
const grammar = JSON.parse(readFileSync(path, 'utf8')) as Grammar;

/** Every rule in the grammar, wherever it is. */
function allRules(): Rule[] {
  const out: Rule[] = [];
  const walk = (r: Rule): void => {
    out.push(r);
    r.patterns?.forEach(walk);
  };
  grammar.patterns.forEach(walk);
  Object.values(grammar.repository).forEach(walk);
  return out;
}

/** Resolves `include`s (only `#name` ones are used) into the rules that really match. */
function resolve(rules: Rule[]): Rule[] {
  return rules.flatMap((r) => {
    if (r.include === undefined) return [r];
    const target = grammar.repository[r.include.replace(/^#/, '')];
    if (!target) throw new Error(`unknown include ${r.include}`);
    return target.match !== undefined || target.begin !== undefined ? [target] : resolve(target.patterns ?? []);
  });
}

/**
 * The scopes of every character of one line. Simplified TextMate semantics: at each position the
 * rule whose match starts first wins (the earlier rule on a tie, the enclosing `end` before all);
 * begin/end rules must close on the same line (true of .siri strings).
 */
function scopesOfLine(line: string): string[][] {
  const scopes: string[][] = Array.from({ length: line.length }, () => [grammar.scopeName]);
  const paint = (from: number, to: number, name: string | undefined): void => {
    if (name) for (let i = from; i < to; i++) scopes[i]!.push(name);
  };
  const paintMatch = (m: RegExpExecArray, name: string | undefined, captures: Captures | undefined): void => {
    paint(m.index, m.index + m[0].length, name);
    for (const [group, c] of Object.entries(captures ?? {})) {
      const span = m.indices?.[Number(group)];
      if (span) paint(span[0], span[1], c.name);
    }
  };
  const exec = (source: string, from: number): RegExpExecArray | null => {
    const re = new RegExp(source, 'gd');
    re.lastIndex = from;
    return re.exec(line);
  };
  const scan = (from: number, rules: Rule[], end: Rule | undefined, name: string | undefined, paintFrom = from): number => {
    let pos = from;
    while (pos <= line.length) {
      let best: { m: RegExpExecArray; rule: Rule | undefined } | undefined;
      const endMatch = end?.end !== undefined ? exec(end.end, pos) : null;
      if (endMatch) best = { m: endMatch, rule: undefined };
      for (const rule of resolve(rules)) {
        const m = exec((rule.match ?? rule.begin)!, pos);
        if (m && (!best || m.index < best.m.index)) best = { m, rule };
      }
      if (!best) return line.length;
      const { m, rule } = best;
      const after = m.index + m[0].length;
      if (!rule) {
        paintMatch(m, undefined, end!.endCaptures);
        if (name) paint(paintFrom, after, name);
        return after;
      }
      if (rule.match !== undefined) {
        paintMatch(m, rule.name, rule.captures);
        pos = after > m.index ? after : m.index + 1;
      } else {
        paintMatch(m, undefined, rule.beginCaptures);
        pos = scan(after, rule.patterns ?? [], rule, rule.name, m.index);
        if (pos === m.index) pos++;
      }
    }
    return line.length;
  };
  scan(0, grammar.patterns, undefined, undefined);
  return scopes;
}

/** The scopes that every character of `text` (its first occurrence in `line`) has. */
function scopesOf(line: string, text: string, occurrence = 0): string[] {
  let at = -1;
  for (let k = 0; k <= occurrence; k++) at = line.indexOf(text, at + 1);
  if (at < 0) throw new Error(`${text} not in ${line}`);
  const all = scopesOfLine(line).slice(at, at + text.length);
  return all[0]!.filter((s) => all.every((c) => c.includes(s)));
}

describe('grammar/siri.tmLanguage.json', () => {
  it('is a TextMate grammar for .siri files', () => {
    expect(grammar.scopeName).toBe('source.siri');
    expect(grammar.fileTypes).toEqual(['siri']);
    expect(grammar.patterns.length).toBeGreaterThan(0);
  });

  it('has regexes that JavaScript compiles (also in unicode mode, which rejects Oniguruma-only escapes)', () => {
    const sources = allRules().flatMap((r) => [r.match, r.begin, r.end].filter((s): s is string => s !== undefined));
    expect(sources.length).toBeGreaterThan(10);
    for (const source of sources) {
      expect(() => new RegExp(source), source).not.toThrow();
      expect(() => new RegExp(source, 'u'), source).not.toThrow();
      expect(source, 'Oniguruma-only syntax').not.toMatch(/\\[AGzZhH]|\(\?[imx-]+[):]|\(\?>|[*+?}]\+/);
    }
  });

  it('every include resolves', () => {
    for (const r of allRules()) {
      if (r.include !== undefined) expect(grammar.repository[r.include.replace(/^#/, '')], r.include).toBeDefined();
    }
  });

  it('scopes comments', () => {
    const line = "# the paper's setup";
    expect(scopesOf(line, line)).toContain('comment.line.number-sign.siri');
    expect(scopesOf('pipeline p { seed = 42 } # tail', '# tail')).toContain('comment.line.number-sign.siri');
    expect(scopesOf('pipeline p { seed = 42 } # tail', '42')).not.toContain('comment.line.number-sign.siri');
  });

  it('scopes strings, escapes and {field} placeholders', () => {
    const line = String.raw`  prompt = "{problem} Let's think \\boxed{} \" \q"`;
    expect(scopesOf(line, 'prompt')).toContain('variable.other.property.siri');
    expect(scopesOf(line, '{problem}')).toEqual(expect.arrayContaining(['string.quoted.double.siri', 'variable.other.placeholder.siri']));
    expect(scopesOf(line, 'problem')).toContain('variable.other.field.siri');
    expect(scopesOf(line, "Let's")).toEqual(['source.siri', 'string.quoted.double.siri']);
    expect(scopesOf(line, '\\\\')).toContain('constant.character.escape.siri');
    expect(scopesOf(line, '{}')).not.toContain('variable.other.placeholder.siri');
    expect(scopesOf(line, '\\"')).toContain('constant.character.escape.siri');
    expect(scopesOf(line, '\\q')).toContain('invalid.illegal.unknown-escape.siri');
    expect(scopesOf('import "std/presets" as presets', 'std/presets')).toContain('string.quoted.double.siri');
    // An unterminated string ends with its line.
    expect(scopesOf('x = "open', 'open')).toContain('string.quoted.double.siri');
  });

  it('scopes numbers, size suffixes and unit words', () => {
    const line = 'phase compress { steps = 160  max_tokens = cosine(16k -> 8M) }';
    expect(scopesOf(line, '16k')).toContain('constant.numeric.decimal.siri');
    expect(scopesOf(line, 'k')).not.toContain('keyword.other.unit.suffix.siri'); // the k of "max_tokens"
    expect(scopesOf(line, 'k', 1)).toContain('keyword.other.unit.suffix.siri'); // the k of "16k"
    expect(scopesOf(line, 'M')).toContain('keyword.other.unit.suffix.siri');
    expect(scopesOf(line, '160')).toContain('constant.numeric.decimal.siri');
    expect(scopesOf(line, 'cosine')).toContain('support.function.builtin.siri');
    expect(scopesOf(line, '->')).toContain('keyword.operator.arrow.siri');
    expect(scopesOf('lr = 1e-6  seed = -1_000', '1e-6')).toContain('constant.numeric.decimal.siri');
    expect(scopesOf('lr = 1e-6  seed = -1_000', '-1_000')).toContain('constant.numeric.decimal.siri');
    expect(scopesOf('x = 8kb', '8kb')).not.toContain('constant.numeric.decimal.siri');
    expect(scopesOf('x = d_2', '2')).not.toContain('constant.numeric.decimal.siri');

    const units = 'batch = 128 prompts  steps = 160 steps max_tokens = 8k tokens';
    expect(scopesOf(units, 'prompts')).toContain('keyword.other.unit.siri');
    expect(scopesOf(units, 'steps', 1)).toContain('keyword.other.unit.siri');
    expect(scopesOf(units, 'tokens', 1)).toContain('keyword.other.unit.siri');
    // A unit word before `=` is the next key, as in the parser.
    const key = 'group = 16  steps = 3';
    expect(scopesOf(key, 'steps')).toContain('variable.other.property.siri');
    expect(scopesOf(key, 'steps')).not.toContain('keyword.other.unit.siri');
    expect(scopesOf('range = 2..4', '..')).toContain('keyword.operator.range.siri');
    expect(scopesOf('range = 2..4', '2')).toContain('constant.numeric.decimal.siri');
  });

  it('scopes declaration kinds, their names and nested block words', () => {
    expect(scopesOf('schedule budget {', 'schedule')).toContain('storage.type.declaration.siri');
    expect(scopesOf('schedule budget {', 'budget')).toContain('entity.name.type.declaration.siri');
    expect(scopesOf('schedule cycle(low, high = 16k) {', 'cycle')).toContain('entity.name.type.declaration.siri');
    const train = 'train rl = presets.dapo with {';
    expect(scopesOf(train, 'train')).toContain('storage.type.declaration.siri');
    expect(scopesOf(train, 'rl')).toContain('entity.name.type.declaration.siri');
    expect(scopesOf(train, 'with')).toContain('keyword.other.with.siri');
    for (const kind of ['pipeline', 'model', 'dataset', 'reward', 'eval']) {
      expect(scopesOf(`${kind} x { }`, kind), kind).toContain('storage.type.declaration.siri');
    }
    // A kind word used as a key is a key.
    expect(scopesOf('  model = policy', 'model')).toEqual(['source.siri', 'variable.other.property.siri']);
    expect(scopesOf('  phase compress {', 'phase')).toContain('keyword.other.block.siri');
    expect(scopesOf('  phase compress {', 'compress')).toContain('entity.name.section.siri');
    expect(scopesOf('  repeat 3 {', 'repeat')).toContain('keyword.other.block.siri');
    expect(scopesOf('  repeat 3 {', '3')).toContain('constant.numeric.decimal.siri');
  });

  it('scopes keywords and built-in functions', () => {
    const imp = 'import "std/presets" as presets';
    expect(scopesOf(imp, 'import')).toContain('keyword.control.import.siri');
    expect(scopesOf(imp, 'as')).toContain('keyword.control.import.siri');
    expect(scopesOf('  a = true  b = false', 'true')).toContain('constant.language.boolean.siri');
    expect(scopesOf('  a = true  b = false', 'false')).toContain('constant.language.boolean.siri');
    for (const fn of ['hf', 'scratch', 'jsonl', 'parquet', 'generated', 'constant', 'linear', 'cosine']) {
      expect(scopesOf(`  x = ${fn}("a")`, fn), fn).toContain('support.function.builtin.siri');
    }
    expect(scopesOf('  x = custom(1)', 'custom')).toContain('entity.name.function.siri');
    expect(scopesOf('  x = scratch(layers = 2)', 'layers')).toContain('variable.other.property.siri');
  });
});
