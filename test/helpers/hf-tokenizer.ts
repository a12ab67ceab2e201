// A tiny Hugging Face tokenizer in Qwen2's layout, written by hand so that every id in the tests
// can be derived on paper: Qwen2's tokenizer.json structure (NFC normalizer, the Qwen/GPT-4-style
// Split regex, ByteLevel pre-tokenizer and decoder, BPE model, <|endoftext|> <|im_start|>
// <|im_end|> added tokens) with a vocabulary of the 256 byte-level characters and a few merges,
// and a tokenizer_config.json with Qwen2-Instruct's real chat template. Plus a tiny Qwen2-layout
// model folder around it (config.json + model.safetensors with random weights).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeHfConfig } from '../../src/runtime/model/hf-config.js';
import { writeSafetensors } from '../../src/runtime/model/safetensors.js';
import { Transformer } from '../../src/runtime/model/transformer.js';
import type { ModelConfig } from '../../src/runtime/types.js';
import { tinyConfig } from './model.js';

/**
 * GPT-2's bytes_to_unicode: printable bytes (0x21–0x7E, 0xA1–0xAC, 0xAE–0xFF) stand for
 * themselves; the others (0x00–0x20, 0x7F–0xA0, 0xAD), in order, become U+0100, U+0101, …
 * So a space (0x20, the 33rd of them) is U+0120 'Ġ' and a newline (0x0A) U+010A 'Ċ'.
 */
export function byteLevelChar(byte: number): string {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  if (printable(byte)) return String.fromCodePoint(byte);
  let n = 0;
  for (let b = 0; b < byte; b++) if (!printable(b)) n++;
  return String.fromCodePoint(0x100 + n);
}

/**
 * Merges in rank order (rank 0 applies first). The vocabulary gives byte b the id b (its
 * byte-level character), then each merge's result the next id: 256, 257, …
 */
export const MERGES: [string, string][] = [
  ['Ġ', 't'], //   rank 0 → 256 "Ġt"
  ['h', 'e'], //   rank 1 → 257 "he"
  ['Ġt', 'he'], // rank 2 → 258 "Ġthe"
  ['Ã', '©'], //   rank 3 → 259 "Ã©" = é (UTF-8 C3 A9)
  ['æ', 'Ĺ'], //   rank 4 → 260 "æĹ" (UTF-8 E6 97: the start of 日)
  ['æĹ', '¥'], //  rank 5 → 261 "æĹ¥" = 日 (UTF-8 E6 97 A5)
  ['Ċ', 'Ċ'], //   rank 6 → 262 "ĊĊ" = "\n\n"
  ['Ġ', 'Ġ'], //   rank 7 → 263 "ĠĠ" = two spaces
  ['1', '2'], //   rank 8 → 264 "12" (never used: the Split regex isolates every digit)
  ['t', 'h'], //   rank 9 → 265 "th" (ranks below "h e": "the" becomes t + he, not th + e)
];

export const SPECIAL = { endoftext: 266, im_start: 267, im_end: 268 } as const;
/** One past the largest id. */
export const TINY_VOCAB_SIZE = 269;

/** Qwen2's pre-tokenizer regex, as in its tokenizer.json. */
export const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** Qwen2-Instruct's chat template, as in its tokenizer_config.json. */
export const QWEN2_CHAT_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export function tinyTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[byteLevelChar(b)] = b;
  MERGES.forEach(([a, b], i) => (vocab[a + b] = 256 + i));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const added = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added('<|endoftext|>', SPECIAL.endoftext), added('<|im_start|>', SPECIAL.im_start), added('<|im_end|>', SPECIAL.im_end)],
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: QWEN2_SPLIT }, behavior: 'Isolated', invert: false }, byteLevel] },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: MERGES.map(([a, b]) => `${a} ${b}`) },
  };
}

/** Qwen2-Instruct's tokenizer_config.json (the base models end on <|endoftext|> instead). */
export function tinyTokenizerConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  for (const [content, id] of [['<|endoftext|>', SPECIAL.endoftext], ['<|im_start|>', SPECIAL.im_start], ['<|im_end|>', SPECIAL.im_end]] as const) {
    decoder[String(id)] = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  }
  return {
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    bos_token: null,
    chat_template: QWEN2_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 32768,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
    ...over,
  };
}

/** Writes tokenizer.json (and tokenizer_config.json unless `config` is null) into `dir`. */
export function writeTinyTokenizer(dir: string, config: Record<string, unknown> | null = tinyTokenizerConfig()): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson(), null, 2) + '\n');
  if (config) fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2) + '\n');
}

/**
 * A Qwen2-layout model folder: config.json (qwen2, attention biases), model.safetensors with
 * random weights from `seed`, and the tiny tokenizer. Like Qwen2's real checkpoints, the model
 * has a few more embedding rows (272) than the tokenizer has tokens (269).
 */
export async function writeTinyQwen2Folder(dir: string, seed = 7): Promise<ModelConfig> {
  const cfg = tinyConfig({
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    attention_bias: true,
    tie_word_embeddings: false,
    vocab_size: 272,
    max_position_embeddings: 256,
    bos_token_id: SPECIAL.endoftext,
    eos_token_id: SPECIAL.im_end,
    pad_token_id: SPECIAL.endoftext,
  });
  const model = new Transformer(cfg, undefined, seed);
  fs.mkdirSync(dir, { recursive: true });
  writeSafetensors(path.join(dir, 'model.safetensors'), await model.exportWeights(), { metadata: { format: 'pt' } });
  model.dispose();
  writeHfConfig(dir, cfg);
  writeTinyTokenizer(dir);
  return cfg;
}
