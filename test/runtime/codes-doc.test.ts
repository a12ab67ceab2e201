// docs/errors.md documents every run-time code of the catalog (src/runtime/codes.ts), under its
// catalog title, in the "Run-time errors" section, and no code that does not exist.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RUNTIME_CODES } from '../../src/runtime/codes.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8');
const section = doc.split(/^# Run-time errors$/m)[1] ?? '';
const headings = [...section.matchAll(/^## (\S+): (.*)$/gm)].map((m) => ({ code: m[1]!, title: m[2]! }));

describe('docs/errors.md, run-time errors', () => {
  it('has the section, with a heading under the catalog title for every code, each with a fix', () => {
    expect(section).not.toBe('');
    for (const [code, info] of Object.entries(RUNTIME_CODES)) {
      expect(headings, code).toContainEqual({ code, title: info.title });
      const body = section.split(`## ${code}: `)[1]!.split(/^## /m)[0]!;
      expect(body, code).toContain('**Fix:**');
    }
  });

  it('has no heading for a code that does not exist, and none twice', () => {
    for (const h of headings) expect(Object.keys(RUNTIME_CODES)).toContain(h.code);
    expect(new Set(headings.map((h) => h.code)).size).toBe(headings.length);
  });

  it('lists every code in its table, linking to its section', () => {
    for (const [code, info] of Object.entries(RUNTIME_CODES)) expect(section).toContain(`| [${code}](#${`${code}-${info.title}`.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')}) | ${info.title} |`);
  });
});
