import { describe, expect, it } from 'vitest';
import { parseFile } from '../../src/ast/build.js';

describe('parser', () => {
  it('parses a declaration with a record override', () => {
    const r = parseFile('t.siri', 'train rl = presets.dapo with { lr = 1e-6 }\n');
    expect(r.diagnostics).toEqual([]);
    const d = r.file.items[0];
    expect(d?.kind).toBe('declaration');
  });
});
