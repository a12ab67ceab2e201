// Hugging Face tokenizers through tokenizers.js, on a hand-written Qwen2-style byte-level BPE
// (test/helpers/hf-tokenizer.ts): ids derived on paper from the BPE rules, lossless round trips,
// special tokens, the special tokens' roles from tokenizer_config.json, and clear errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePrompt } from '../../../src/runtime/tokenizer/chat.js';
import { HfTokenizer } from '../../../src/runtime/tokenizer/hf.js';
import { loadTokenizer, loadTokenizerFile } from '../../../src/runtime/tokenizer/index.js';
import { RunError } from '../../../src/runtime/types.js';
import { byteLevelChar, SPECIAL, TINY_VOCAB_SIZE, tinyTokenizerConfig, tinyTokenizerJson, writeTinyTokenizer } from '../../helpers/hf-tokenizer.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-hftok-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fresh folder with the tiny tokenizer (and the given tokenizer_config.json, or none). */
function folder(config: Record<string, unknown> | null = tinyTokenizerConfig()): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'tok-'));
  writeTinyTokenizer(dir, config);
  return dir;
}

const tok = loadTokenizerFile(path.join(folder(), 'tokenizer.json')) as HfTokenizer;

function errorOf(f: () => unknown): RunError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RunError);
    return e as RunError;
  }
  throw new Error('expected a RunError');
}

describe('byte-level BPE ids, derived by hand', () => {
  it('the byte-level alphabet is GPT-2\'s', () => {
    expect([byteLevelChar(0x20), byteLevelChar(0x0a), byteLevelChar(0x41), byteLevelChar(0xc3), byteLevelChar(0x97), byteLevelChar(0xad)]).toEqual(['Ġ', 'Ċ', 'A', 'Ã', 'Ĺ', 'Ń']);
    expect(tok).toBeInstanceOf(HfTokenizer);
    expect(tok.vocabSize).toBe(TINY_VOCAB_SIZE);
  });

  it('merges apply by rank within each pre-token', () => {
    // "the the": the Split regex gives "the" and " the" ([^\r\n\p{L}\p{N}]?\p{L}+ takes the space).
    //   "the"  = 74 68 65 → t h e; pairs (t,h) rank 9, (h,e) rank 1 → he first → t he; (t,he) no merge → [116, 257]
    //   " the" = 20 74 68 65 → Ġ t h e; (Ġ,t) rank 0 → Ġt h e; (h,e) rank 1 → Ġt he; (Ġt,he) rank 2 → Ġthe → [258]
    expect(tok.encode('the the')).toEqual([116, 257, 258]);
    // "them": one pre-token; t h e m → t he m (rank 1); no pair of (t,he), (he,m) is a merge → [116, 257, 109]
    expect(tok.encode('them')).toEqual([116, 257, 109]);
  });

  it('non-ASCII text goes through its UTF-8 bytes', () => {
    // "é" U+00E9 = C3 A9 → Ã © → rank 3 → [259]
    expect(tok.encode('é')).toEqual([259]);
    // "e" + U+0301 (combining acute): the NFC normalizer composes it into é first → [259]
    expect(tok.encode('e\u0301')).toEqual([259]);
    // "日本" = E6 97 A5 | E6 9C AC → æ Ĺ ¥ æ ľ ¬; (æ,Ĺ) rank 4 → æĹ ¥ æ ľ ¬; (æĹ,¥) rank 5 → æĹ¥ æ ľ ¬;
    // (æ,ľ) is no merge → [261, 0xE6, 0x9C, 0xAC] = [261, 230, 156, 172]
    expect(tok.encode('日本')).toEqual([261, 230, 156, 172]);
    // "😀" U+1F600 = F0 9F 98 80 → four byte tokens, no merges
    expect(tok.encode('😀')).toEqual([0xf0, 0x9f, 0x98, 0x80]);
  });

  it('digits are split one by one, whatever the merges', () => {
    // \p{N} matches a single digit: "12" → "1" "2"; the merge (1,2) never sees both → [49, 50]
    expect(tok.encode('12')).toEqual([49, 50]);
    // "x=12+3": "x", "=", "1", "2", "+", "3" ( ?[^\s\p{L}\p{N}]+ takes "=" and "+") → bytes
    expect(tok.encode('x=12+3')).toEqual([120, 61, 49, 50, 43, 51]);
  });

  it('spaces and newlines follow the Split regex', () => {
    // "a  b": "a", " " (\s+(?!\S) backs off to leave one space), " b" → Ġ and Ġ are in different
    // pre-tokens, so the merge (Ġ,Ġ) does not apply → [97, 32, 32, 98]
    expect(tok.encode('a  b')).toEqual([97, 32, 32, 98]);
    // "x  " (trailing): "x", "  " (\s+(?!\S) at the end takes both) → (Ġ,Ġ) rank 7 → [120, 263]
    expect(tok.encode('x  ')).toEqual([120, 263]);
    // "a\n\nb": "a", "\n\n" (\s*[\r\n]+), "b" → Ċ Ċ → rank 6 → [97, 262, 98]
    expect(tok.encode('a\n\nb')).toEqual([97, 262, 98]);
    expect(tok.encode('')).toEqual([]);
  });

  it('special tokens in the text encode to their single ids', () => {
    // "<|im_start|>user\nhi<|im_end|>": the added tokens are cut out before the regex; "user",
    // "\n", "hi" are bytes (no merges apply)
    expect(tok.encode('<|im_start|>user\nhi<|im_end|>')).toEqual([SPECIAL.im_start, 117, 115, 101, 114, 10, 104, 105, SPECIAL.im_end]);
    expect(tok.encode('<|endoftext|>')).toEqual([SPECIAL.endoftext]);
  });
});

describe('decode', () => {
  it('drops special tokens, and ids past the vocabulary (a model\'s padding rows)', () => {
    expect(tok.decode([SPECIAL.im_start, 104, 105, SPECIAL.im_end, SPECIAL.endoftext])).toBe('hi');
    expect(tok.decode([104, 270, 105, 271])).toBe('hi');
    expect(tok.decode([])).toBe('');
    expect(tok.decode([SPECIAL.im_end])).toBe('');
  });

  it('round-trips any text (after NFC), spaces and punctuation untouched', () => {
    expect(tok.decode(tok.encode(" it 's  a test ,ok ? \n\t x"))).toBe(" it 's  a test ,ok ? \n\t x");
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(tok.decode(tok.encode(s))).toBe(s.normalize('NFC'));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        expect(tok.decode(tok.encode(s))).toBe(s.normalize('NFC'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('special tokens from tokenizer_config.json', () => {
  it('Qwen2-Instruct: EOS <|im_end|>, PAD <|endoftext|>, no BOS', () => {
    expect([tok.eos, tok.pad, tok.bos]).toEqual([SPECIAL.im_end, SPECIAL.endoftext, null]);
    // Without a chat template, a prompt is its text alone (no BOS to prepend).
    const raw = loadTokenizerFile(path.join(folder(), 'tokenizer.json'), { chatTemplate: 'none' });
    expect(raw.chatTemplate).toBeNull();
    expect(encodePrompt(raw, 'hi')).toEqual([104, 105]);
  });

  it('a Qwen2 base model ends on <|endoftext|>', () => {
    const base = loadTokenizerFile(path.join(folder(tinyTokenizerConfig({ eos_token: '<|endoftext|>' })), 'tokenizer.json'));
    expect([base.eos, base.pad]).toEqual([SPECIAL.endoftext, SPECIAL.endoftext]);
  });

  it('a BOS token is prepended to raw prompts unless add_bos_token is false; tokens may be {"content": …}', () => {
    const withBos = loadTokenizerFile(path.join(folder(tinyTokenizerConfig({ bos_token: { __type: 'AddedToken', content: '<|endoftext|>' }, chat_template: null })), 'tokenizer.json'));
    expect(withBos.bos).toBe(SPECIAL.endoftext);
    expect(encodePrompt(withBos, 'hi')).toEqual([SPECIAL.endoftext, 104, 105]);
    const noAdd = loadTokenizerFile(path.join(folder(tinyTokenizerConfig({ bos_token: '<|endoftext|>', add_bos_token: false, chat_template: null })), 'tokenizer.json'));
    expect(encodePrompt(noAdd, 'hi')).toEqual([104, 105]);
  });

  it('without tokenizer_config.json: EOS from the known end-of-text tokens, no BOS, no template', () => {
    const bare = loadTokenizerFile(path.join(folder(null), 'tokenizer.json'));
    expect([bare.eos, bare.pad, bare.bos, bare.chatTemplate]).toEqual([SPECIAL.endoftext, SPECIAL.endoftext, null, null]);
    // Saved with a tokenizer_config.json that records those roles, so it reloads the same.
    const saved = bare.files();
    expect(JSON.parse(saved['tokenizer_config.json']!)).toMatchObject({ eos_token: '<|endoftext|>', pad_token: '<|endoftext|>', bos_token: null });
  });

  it('files() gives back the files exactly as read', () => {
    const dir = folder();
    const t = loadTokenizerFile(path.join(dir, 'tokenizer.json'));
    expect(t.files()).toEqual({ 'tokenizer.json': fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'), 'tokenizer_config.json': fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8') });
  });

  it('loadTokenizer takes a parsed tokenizer.json and config', () => {
    const t = loadTokenizer(tinyTokenizerJson(), { config: tinyTokenizerConfig() });
    expect(t.encode(' the')).toEqual([258]);
    expect(t.eos).toBe(SPECIAL.im_end);
  });
});

describe('errors name the file', () => {
  it('malformed JSON', () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), '{"eos_token": ');
    expect(errorOf(() => loadTokenizerFile(path.join(dir, 'tokenizer.json'))).message).toMatch(new RegExp(`^${escape(path.join(dir, 'tokenizer_config.json'))}: the tokenizer config is not valid JSON`));
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": {"type": "BPE", ');
    expect(errorOf(() => loadTokenizerFile(path.join(dir, 'tokenizer.json'))).message).toMatch(new RegExp(`^${escape(path.join(dir, 'tokenizer.json'))}: cannot read the tokenizer`));
  });

  it('an unsupported tokenizer model type', () => {
    const dir = folder();
    const json = tinyTokenizerJson();
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify({ ...json, model: { type: 'WordLevel', vocab: { a: 0 }, unk_token: 'a' } }));
    const e = errorOf(() => loadTokenizerFile(path.join(dir, 'tokenizer.json')));
    expect(e.message).toBe(`${path.join(dir, 'tokenizer.json')}: tokenizer model type "WordLevel" is not supported`);
    expect(e.hint).toMatch(/BPE/);
  });

  it('a component tokenizers.js does not know', () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify({ ...tinyTokenizerJson(), normalizer: { type: 'Frobnicate' } }));
    expect(errorOf(() => loadTokenizerFile(path.join(dir, 'tokenizer.json'))).message).toMatch(/tokenizer\.json: cannot load the tokenizer: .*Frobnicate/);
  });

  it('a special token the vocabulary lacks, or none that ends a response', () => {
    const e = errorOf(() => loadTokenizerFile(path.join(folder(tinyTokenizerConfig({ eos_token: '</s>' })), 'tokenizer.json')));
    expect(e.message).toMatch(/tokenizer_config\.json: eos_token "<\/s>" is not a token of .*tokenizer\.json$/);
    const noEos = errorOf(() => new HfTokenizer({ 'tokenizer.json': JSON.stringify({ ...tinyTokenizerJson(), added_tokens: [] }) }));
    expect(noEos.message).toMatch(/no "eos_token"/);
  });
});

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
