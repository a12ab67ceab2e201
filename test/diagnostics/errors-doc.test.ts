// docs/errors.md documents exactly the codes of the catalog, under their catalog titles, and the
// output it shows is what siric prints for the fixtures (copied from the goldens).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CODES } from '../../src/diagnostics/messages.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8');
// The compile-time codes; the run-time ones, in their own section at the end, are checked in test/runtime/codes-doc.test.ts.
const compileTime = doc.split(/^# Run-time errors$/m)[0]!;
const headings = [...compileTime.matchAll(/^## (\S+): (.*)$/gm)].map((m) => ({ code: m[1]!, title: m[2]! }));

const goldenDir = fileURLToPath(new URL('../fixtures/diagnostics/', import.meta.url));
const goldens = readdirSync(goldenDir)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => readFileSync(goldenDir + f, 'utf8'));

describe('docs/errors.md', () => {
  it('has a heading with the catalog title for every code', () => {
    for (const [code, info] of Object.entries(CODES)) {
      expect(headings, code).toContainEqual({ code, title: info.title });
    }
  });

  it('has no heading for a code that does not exist, and none twice', () => {
    for (const h of headings) expect(Object.keys(CODES)).toContain(h.code);
    expect(new Set(headings.map((h) => h.code)).size).toBe(headings.length);
  });

  it('shows the output of the fixtures as siric prints it', () => {
    const shown = [...doc.matchAll(/^```console\n(\$ siric [^]*?)^```$/gm)].map((m) => m[1]!);
    expect(shown.length).toBeGreaterThan(0);
    for (const block of shown) expect(goldens.some((g) => g.startsWith(block)), block).toBe(true);
  });
});
