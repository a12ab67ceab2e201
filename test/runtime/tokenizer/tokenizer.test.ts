// The chars tokenizer (PAD 0, BOS 1, EOS 2, then the sorted alphabet) and loadTokenizer's dispatch.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '../../../src/runtime/tokenizer/chars.js';
import { HfTokenizer, loadTokenizer, loadTokenizerFile } from '../../../src/runtime/tokenizer/index.js';
import { RunError } from '../../../src/runtime/types.js';

function errorOf(f: () => unknown): RunError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RunError);
    return e as RunError;
  }
  throw new Error('expected a RunError');
}

describe('CharTokenizer', () => {
  it('specials first, then the alphabet sorted and deduplicated', () => {
    const t = CharTokenizer.fromAlphabet('cabbage 12+');
    expect([t.pad, t.bos, t.eos]).toEqual([0, 1, 2]);
    expect(t.alphabet).toBe(' +12abceg');
    expect(t.vocabSize).toBe(3 + 9);
    expect(t.encode(' ')).toEqual([3]);
    expect(t.encode('g')).toEqual([11]);
    expect(t.encode('')).toEqual([]);
  });

  it('round-trips text, dropping specials on decode', () => {
    const t = new CharTokenizer('0123456789+-=*/ Answer:\n');
    const text = 'Answer: 12+7=19\n';
    const ids = t.encode(text);
    expect(ids.every((id) => id >= 3 && id < t.vocabSize)).toBe(true);
    expect(t.decode(ids)).toBe(text);
    expect(t.decode([t.bos, ...ids, t.eos, t.pad, t.pad])).toBe(text);
  });

  it('treats characters as code points (astral characters are one token)', () => {
    const t = new CharTokenizer('a😀é');
    expect(t.vocabSize).toBe(6);
    expect(t.alphabet).toBe('aé😀');
    expect(t.encode('😀a')).toEqual([5, 3]);
    expect(t.decode(t.encode('é😀'))).toBe('é😀');
  });

  it('an unknown character names the character and its code point', () => {
    const t = new CharTokenizer('abc');
    const e = errorOf(() => t.encode('abé'));
    expect(e.message).toBe("character 'é' (U+00E9) at position 2 is not in the tokenizer's alphabet");
    expect(e.hint).toBeDefined();
    expect(errorOf(() => t.encode('a\tb')).message).toContain("'\\t' (U+0009)");
  });

  it('decode rejects ids outside the vocabulary', () => {
    const t = new CharTokenizer('ab');
    expect(errorOf(() => t.decode([3, 5])).message).toMatch(/token id 5 is outside the chars tokenizer's vocabulary \(0\.\.4\)/);
    expect(errorOf(() => t.decode([-1])).message).toMatch(/token id -1/);
  });

  it('toJSON / fromJSON round trip', () => {
    const t = CharTokenizer.fromAlphabet('hello, world');
    const json = JSON.parse(JSON.stringify(t.toJSON())) as unknown;
    expect(json).toEqual({ type: 'chars', alphabet: ' ,dehlorw' });
    const u = CharTokenizer.fromJSON(json);
    expect(u.vocabSize).toBe(t.vocabSize);
    expect(u.encode('hello')).toEqual(t.encode('hello'));
    expect(errorOf(() => CharTokenizer.fromJSON({ type: 'chars', alphabet: 'ba' })).message).toMatch(/sorted by code point/);
    expect(errorOf(() => CharTokenizer.fromJSON({ type: 'chars' })).message).toMatch(/"alphabet" must be a string/);
  });
});

describe('loadTokenizer', () => {
  it('dispatches on type', () => {
    const t = loadTokenizer({ type: 'chars', alphabet: 'ab' });
    expect(t).toBeInstanceOf(CharTokenizer);
    expect(t.encode('ba')).toEqual([4, 3]);
  });

  it('hands a Hugging Face tokenizer.json to HfTokenizer (more in hf.test.ts)', () => {
    const hf = { version: '1.0', added_tokens: [{ id: 1, content: '</s>', special: true }], model: { type: 'BPE', vocab: { a: 0 }, merges: [] } };
    const t = loadTokenizer(hf);
    expect(t).toBeInstanceOf(HfTokenizer);
    expect([t.encode('aa'), t.eos, t.vocabSize]).toEqual([[0, 0], 1, 2]);
    expect(errorOf(() => loadTokenizer({ ...hf, model: { type: 'WordLevel', vocab: { a: 0 } } })).message).toMatch(/tokenizer model type "WordLevel" is not supported/);
  });

  it('rejects unknown shapes', () => {
    expect(errorOf(() => loadTokenizer({ type: 'sentencepiece' })).message).toMatch(/unknown type "sentencepiece"/);
    expect(errorOf(() => loadTokenizer(null)).message).toMatch(/expected a JSON object/);
  });

  it('loads a tokenizer.json file, naming it in errors', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-tok-'));
    try {
      const file = path.join(dir, 'tokenizer.json');
      fs.writeFileSync(file, JSON.stringify(new CharTokenizer('xyz').toJSON()));
      expect(loadTokenizerFile(file).decode([3, 4, 5])).toBe('xyz');
      fs.writeFileSync(file, JSON.stringify({ type: 'nope' }));
      expect(errorOf(() => loadTokenizerFile(file)).message).toBe(`${file}: tokenizer: unknown type "nope"`);
      expect(errorOf(() => loadTokenizerFile(path.join(dir, 'missing.json'))).message).toMatch(/missing\.json: no such file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
