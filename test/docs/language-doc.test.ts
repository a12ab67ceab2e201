// docs/language.md's key reference is generated from the checker's tables: it must be current.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { LANGUAGE_DOC, regenerate } from '../../src/tools/gen-docs.js';
import { DECL_KINDS } from '../../src/semantics/schemas.js';

it('the key reference in docs/language.md is current (run `npm run gen` if this fails)', () => {
  const doc = readFileSync(LANGUAGE_DOC, 'utf8');
  expect(regenerate(doc)).toBe(doc);
});

it('docs/language.md has a section for every declaration kind', () => {
  const doc = readFileSync(LANGUAGE_DOC, 'utf8');
  for (const k of DECL_KINDS) expect(doc).toContain(`### \`${k}\``);
});
