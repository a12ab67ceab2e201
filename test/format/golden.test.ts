// Golden files: test/fixtures/fmt/<name>.siri formats to <name>.golden.siri.
// UPDATE_GOLDEN=1 npx vitest run test/format rewrites the goldens; review the diff before committing.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatSource } from '../../src/format/printer.js';
import { checkInvariants, commentTexts, fmt, shape } from './helpers.js';

const dir = fileURLToPath(new URL('../fixtures/fmt/', import.meta.url));
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.siri') && !f.endsWith('.golden.siri'))
  .map((f) => f.slice(0, -'.siri'.length))
  .sort();
const update = process.env['UPDATE_GOLDEN'] === '1';

describe('golden files', () => {
  it('has the fixtures', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
  });

  describe.each(cases)('%s', (name) => {
    const input = readFileSync(join(dir, `${name}.siri`), 'utf8');
    const goldenPath = join(dir, `${name}.golden.siri`);

    it('formats to the golden file', () => {
      const out = fmt(input);
      if (update) writeFileSync(goldenPath, out);
      expect(out).toBe(readFileSync(goldenPath, 'utf8'));
    });

    it('is idempotent, keeps the meaning and every comment', () => {
      checkInvariants(input);
    });

    it('leaves the golden file unchanged', () => {
      const golden = readFileSync(goldenPath, 'utf8');
      const r = formatSource(`${name}.golden.siri`, golden);
      expect(r).toEqual({ ok: true, text: golden, changed: false });
    });

    it('keeps the comment count', () => {
      const out = fmt(input);
      expect(commentTexts(out).length).toBe(commentTexts(input).length);
      expect(shape(out)).toEqual(shape(input));
    });
  });
});
