// Shared checks for the formatter tests: what "same meaning" and "same comments" mean.
import { expect } from 'vitest';
import { parseFile } from '../../src/ast/build.js';
import { formatSource } from '../../src/format/printer.js';

/** The file's items with every span dropped: two texts mean the same iff their shapes are equal. */
export function shape(text: string): unknown {
  const r = parseFile('t.siri', text);
  expect(r.diagnostics).toEqual([]);
  return JSON.parse(JSON.stringify(r.file.items, (k, v: unknown) => (k === 'span' ? undefined : v)));
}

/** Comment texts as the formatter prints them (trailing whitespace trimmed), in a stable order. */
export function commentTexts(text: string): string[] {
  return parseFile('t.siri', text)
    .file.comments.map((c) => c.text.trimEnd())
    .sort();
}

/** Formats, failing the test if the file is refused. */
export function fmt(text: string): string {
  const r = formatSource('t.siri', text);
  if (!r.ok) throw new Error(`refused: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.text;
}

/** Everything the formatter promises about one input. */
export function checkInvariants(input: string): string {
  const out = fmt(input);
  expect(fmt(out)).toBe(out);
  expect(shape(out)).toEqual(shape(input));
  expect(commentTexts(out)).toEqual(commentTexts(input));
  expect(out).not.toMatch(/[ \t]+$/m);
  expect(out).not.toContain('\r');
  if (out !== '') expect(out).toMatch(/[^\n]\n$/);
  return out;
}
