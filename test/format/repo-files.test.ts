// Every example and stdlib file is already in canonical form, and formatting is idempotent on it.
import { readFileSync, readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { formatSource } from '../../src/format/printer.js';

const files = [...readdirSync('examples').map((f) => `examples/${f}`), ...readdirSync('stdlib/std').map((f) => `stdlib/std/${f}`)].filter((f) => f.endsWith('.siri'));

it.each(files)('%s is fmt-clean', (f) => {
  const text = readFileSync(f, 'utf8');
  const r = formatSource(f, text);
  expect(r.ok).toBe(true);
  if (r.ok) {
    expect(r.changed).toBe(false);
    expect(r.text).toBe(text);
  }
});
