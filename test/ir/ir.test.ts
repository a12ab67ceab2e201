// The execution graph: schema freshness, validation, determinism.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../../src/compiler.js';
import { canonicalJson } from '../../src/ir/lower.js';
import { validateIR } from '../../src/ir/validate.js';
import { generateSchemaJson, generateValidator, SCHEMA_PATH, VALIDATOR_PATH } from '../../src/tools/gen-schema.js';
import { curveAt } from '../../src/ir/schedule.js';
import { BASE, compileMem } from '../helpers/memory.js';

const examples = readdirSync('examples').filter((f) => f.endsWith('.siri')).map((f) => `examples/${f}`);

describe('IR schema', () => {
  it('schema.json is generated from the TypeBox definition (run `npm run gen:schema` if this fails)', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(generateSchemaJson());
  });

  it('the precompiled validator is generated from the same schema (run `npm run gen:schema` if this fails)', () => {
    expect(readFileSync(VALIDATOR_PATH, 'utf8')).toBe(generateValidator());
  });

  it('accepts every compiled example', () => {
    for (const f of examples) {
      const out = compileFile(f, { mode: 'compile' });
      expect(out.ir, f).toBeDefined();
      expect(validateIR(JSON.parse(canonicalJson(out.ir))).ok, f).toBe(true);
    }
  });

  it('rejects graphs that break the contract', () => {
    const ir = JSON.parse(canonicalJson(compileMem(BASE).ir));
    const bad = [
      { ...ir, siri_ir: 2 },
      { ...ir, extra: 1 },
      { ...ir, pipeline: { ...ir.pipeline, backend: 'tpu' } },
      { ...ir, nodes: ir.nodes.map((n: { type: string }) => (n.type === 'train' ? { ...n, steps: 0 } : n)) },
      { ...ir, source_hash: 'md5:abc' },
    ];
    for (const b of bad) expect(validateIR(b).ok).toBe(false);
  });
});

describe('determinism', () => {
  it('compiles the same sources to byte-identical JSON', () => {
    for (const f of examples) {
      const a = canonicalJson(compileFile(f, { mode: 'compile' }).ir);
      const b = canonicalJson(compileFile(f, { mode: 'compile' }).ir);
      expect(a).toBe(b);
      expect(a).not.toContain(process.cwd());
    }
  });

  it('does not depend on the order declarations are written in', () => {
    const parts = BASE.split(/\n(?=(?:model|dataset|schedule|train|eval) )/);
    const shuffled = [parts[0], ...parts.slice(1).reverse()].join('\n');
    const a = JSON.parse(canonicalJson(compileMem(BASE).ir));
    const b = JSON.parse(canonicalJson(compileMem(shuffled).ir));
    // Only the content hash of the (reordered) source differs.
    expect({ ...b, source_hash: '', sources: [] }).toEqual({ ...a, source_hash: '', sources: [] });
    expect(b.source_hash).not.toBe(a.source_hash);
  });

  it('changes the source hash when an override changes', () => {
    const a = compileMem(BASE).ir!;
    const b = compileMem(BASE, { sets: ['rl.lr=3e-6'] }).ir!;
    expect(a.source_hash).not.toBe(b.source_hash);
  });
});

describe('budget curves', () => {
  it('cosine starts at `from`, ends at `to`, and passes the midpoint halfway', () => {
    const c = { kind: 'cosine' as const, from: 16384, to: 8192 };
    expect(curveAt(c, 0, 161)).toBe(16384);
    expect(curveAt(c, 160, 161)).toBe(8192);
    expect(curveAt(c, 80, 161)).toBe(12288);
    // flat at both ends: the first step moves less than the middle one
    expect(curveAt(c, 0, 161) - curveAt(c, 1, 161)).toBeLessThan(curveAt(c, 80, 161) - curveAt(c, 81, 161));
  });

  it('linear moves by equal steps; constant does not move', () => {
    const l = { kind: 'linear' as const, from: 100, to: 50 };
    expect([0, 1, 2, 3, 4, 5].map((k) => curveAt(l, k, 6))).toEqual([100, 90, 80, 70, 60, 50]);
    expect(curveAt({ kind: 'constant', from: 7, to: 7 }, 3, 9)).toBe(7);
  });
});
