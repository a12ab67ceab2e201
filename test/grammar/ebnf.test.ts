// grammar/siri.ebnf is hand-written: these checks make a renamed or added parser rule or token
// (or a changed token regex) fail until the reference grammar is updated to match.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parserInstance } from '../../src/syntax/parser.js';
import { UNIT_WORDS, allTokens } from '../../src/syntax/tokens.js';
import { repoRoot } from '../../src/tools/grammar-artifacts.js';

const ebnf = readFileSync(join(repoRoot, 'grammar/siri.ebnf'), 'utf8');
/** The EBNF without its comments. */
const rules = ebnf.replace(/\/\*[\s\S]*?\*\//g, '');
const productions = [...rules.matchAll(/^([A-Za-z][A-Za-z0-9]*)\s*::=/gm)].map((m) => m[1]!);
/** The right-hand side of one production. */
function production(name: string): string {
  const m = new RegExp(`^${name}\\s*::=([\\s\\S]*?)(?=^[A-Za-z][A-Za-z0-9]*\\s*::=|(?![\\s\\S]))`, 'm').exec(rules);
  return m?.[1] ?? '';
}
/** A token's pattern as plain text when it matches exactly one string (`\{` is `{`). */
function literalOf(pattern: RegExp): string | undefined {
  return /^(?:\\[^A-Za-z0-9]|[^\\[\](){}*+?|^$.])+$/.test(pattern.source) ? pattern.source.replace(/\\(.)/g, '$1') : undefined;
}
const quoted = (s: string): boolean => rules.includes(`"${s}"`) || rules.includes(`'${s}'`);

describe('grammar/siri.ebnf matches the parser', () => {
  const parserRules = Object.keys(parserInstance.getGAstProductions());

  it('has a production for every parser rule', () => {
    expect(parserRules.length).toBeGreaterThan(10);
    for (const rule of parserRules) {
      expect(productions, `grammar/siri.ebnf has no production for parser rule \`${rule}\``).toContain(rule);
    }
  });

  it('has no syntax production that is not a parser rule (syntax rules are lowerCamel)', () => {
    const syntax = productions.filter((p) => /^[a-z]/.test(p));
    expect(syntax.sort()).toEqual([...parserRules].sort());
  });

  it('defines every token (by name or by its literal)', () => {
    for (const token of allTokens) {
      if (token.name === 'WhiteSpace') continue;
      const pattern = token.PATTERN;
      const literal = pattern instanceof RegExp ? literalOf(pattern) : typeof pattern === 'string' ? pattern : undefined;
      const found = productions.includes(token.name) || (literal !== undefined && quoted(literal));
      expect(found, `grammar/siri.ebnf does not mention token ${token.name}${literal ? ` or "${literal}"` : ''}`).toBe(true);
    }
  });

  it("quotes every token's regex as it is in tokens.ts", () => {
    for (const token of allTokens) {
      const pattern = token.PATTERN;
      if (!(pattern instanceof RegExp)) continue;
      expect(ebnf.includes('`' + pattern.source + '`'), `grammar/siri.ebnf does not show ${token.name}'s regex \`${pattern.source}\``).toBe(true);
    }
  });

  it('uses the keyword literals in the syntax rules', () => {
    for (const word of ['import', 'as', 'with', 'true', 'false', '->', '..']) expect(quoted(word)).toBe(true);
  });

  it('lists every unit word', () => {
    const units = production('UnitWord');
    for (const word of Object.keys(UNIT_WORDS)) {
      expect(units, `UnitWord lacks "${word}"`).toContain(`"${word}"`);
    }
  });

  it('documents comments, size suffixes, escapes and placeholders', () => {
    expect(production('Comment')).toContain('"#"');
    expect(production('SizeSuffix')).toMatch(/"k"[\s\S]*"M"/);
    expect(ebnf).toMatch(/k = x1024/);
    const escapes = production('Escape');
    for (const e of ['"\\n"', '"\\t"', `'\\"'`, '"\\\\"', '"\\{"', '"\\}"']) expect(escapes).toContain(e);
    expect(production('Placeholder')).toContain('"{"');
  });
});
