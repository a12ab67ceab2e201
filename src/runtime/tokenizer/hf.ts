// Hugging Face tokenizers: tokenizer.json run by tokenizers.js (@huggingface/tokenizers, pure JS),
// with tokenizer_config.json for the special tokens' roles and the chat template. The files are
// kept as read, so a checkpoint writes them back unchanged and opens with transformers'
// AutoTokenizer. Byte-level BPE (Qwen2, DeepSeek-R1-Distill, Llama 3) is what the tests pin down
// token by token; WordPiece and Unigram models load through the same library.
import * as path from 'node:path';
import { Tokenizer as TokenizersJs } from '@huggingface/tokenizers';
import type { Tokenizer } from '../types.js';
import { RunError } from '../types.js';
import { ChatTemplate } from './chat.js';
import { describeChar } from './chars.js';

/** `auto`: the tokenizer's chat template when it has one; `none`: raw prompts. */
export type ChatTemplateSetting = 'auto' | 'none';

/** A tokenizer folder's files, as text (the optional ones when present). */
export interface HfTokenizerFiles {
  'tokenizer.json': string;
  'tokenizer_config.json'?: string;
  /** Newer transformers save the chat template here instead of in tokenizer_config.json. */
  'chat_template.jinja'?: string;
}

export interface HfTokenizerOptions {
  /** The folder the files came from, for error messages. */
  dir?: string;
  chatTemplate?: ChatTemplateSetting;
}

/** The model types tokenizers.js implements. */
const MODEL_TYPES = ['BPE', 'WordPiece', 'Unigram'];

/** End-of-text tokens of common families, for a tokenizer.json without a tokenizer_config.json. */
const KNOWN_EOS = ['<|endoftext|>', '<|end_of_text|>', '<｜end▁of▁sentence｜>', '</s>', '<eos>'];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number;
  readonly pad: number;
  readonly chatTemplate: ChatTemplate | null;
  /** The special tokens by role, as text (what chat templates call them). */
  readonly specialTokens: Record<string, string>;
  private readonly impl: TokenizersJs;
  private readonly cleanUpSpaces: boolean;
  private readonly sources: HfTokenizerFiles;

  constructor(files: HfTokenizerFiles, opts: HfTokenizerOptions = {}) {
    const where = (f: string): string => (opts.dir ? path.join(opts.dir, f) : f);
    const tokFile = where('tokenizer.json');
    const cfgFile = where('tokenizer_config.json');
    const json = parseObject(files['tokenizer.json'], tokFile, 'the tokenizer');
    const config = files['tokenizer_config.json'] === undefined ? {} : parseObject(files['tokenizer_config.json'], cfgFile, 'the tokenizer config');
    checkModel(json, tokFile);

    // Special tokens by role: strings, or {"content": …} objects in older configs.
    const role = (key: string): string | null => {
      const v = config[key];
      if (v === undefined || v === null) return null;
      if (typeof v === 'string') return v;
      if (isObject(v) && typeof v['content'] === 'string') return v['content'];
      throw new RunError(`${cfgFile}: "${key}" must be a token (a string or {"content": ...}), got ${JSON.stringify(v)}`);
    };
    const extra = Array.isArray(config['additional_special_tokens']) ? config['additional_special_tokens'].map((t) => (isObject(t) ? t['content'] : t)).filter((t): t is string => typeof t === 'string') : [];
    const roles: Record<string, string> = {};
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
      const t = role(key);
      if (t !== null) roles[key] = t;
    }
    // tokenizers.js reads the same config; it gets the tokens as plain strings. Decoding is
    // lossless unless the config asks for transformers' old space clean-up.
    this.cleanUpSpaces = config['clean_up_tokenization_spaces'] === true;
    try {
      this.impl = new TokenizersJs(
        { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json },
        { ...config, ...roles, additional_special_tokens: extra, clean_up_tokenization_spaces: this.cleanUpSpaces },
      );
    } catch (e) {
      throw new RunError(`${tokFile}: cannot load the tokenizer: ${(e as Error).message}`, 'siric reads tokenizer.json files written by Hugging Face `tokenizers` (BPE, WordPiece, Unigram)');
    }

    const idOf = (key: string, token: string): number => {
      const id = this.impl.token_to_id(token);
      if (id === undefined) throw new RunError(`${cfgFile}: ${key} ${JSON.stringify(token)} is not a token of ${tokFile}`);
      return id;
    };
    let eosToken: string | undefined = roles['eos_token'];
    if (eosToken === undefined) {
      eosToken = KNOWN_EOS.find((t) => this.impl.token_to_id(t) !== undefined);
      if (eosToken === undefined) throw new RunError(`${cfgFile}: no "eos_token"; siric needs the token that ends a response`, 'add e.g. "eos_token": "<|endoftext|>" to tokenizer_config.json (the model\'s own file has it)');
      roles['eos_token'] = eosToken;
    }
    this.eos = idOf('eos_token', eosToken);
    this.pad = roles['pad_token'] === undefined ? this.eos : idOf('pad_token', roles['pad_token']);
    const bos = roles['bos_token'] === undefined ? null : idOf('bos_token', roles['bos_token']);
    // `add_bos_token: false` keeps the token (templates may write it) but raw prompts go without.
    this.bos = config['add_bos_token'] === false ? null : bos;
    this.specialTokens = roles;
    this.vocabSize = vocabSize(json, tokFile);

    this.sources = { ...files };
    if (files['tokenizer_config.json'] === undefined) this.sources['tokenizer_config.json'] = minimalConfig(roles);
    this.chatTemplate = opts.chatTemplate === 'none' ? null : chatTemplateOf(files, config, roles, where);
  }

  encode(text: string): number[] {
    // Typed here: tokenizers.js gives undefined for a piece it has no id for (no unk_token).
    const { ids, tokens }: { ids: (number | undefined)[]; tokens: string[] } = this.impl.encode(text, { add_special_tokens: false });
    const bad = ids.findIndex((id) => typeof id !== 'number');
    if (bad >= 0) {
      const piece = tokens[bad] ?? '';
      throw new RunError(`the tokenizer has no token for ${describeChar(Array.from(piece)[0] ?? '?')} in ${JSON.stringify(piece)}, and no unk_token`);
    }
    return ids as number[];
  }

  /** Special tokens are dropped, and so are ids past the tokenizer's vocabulary (a model's padding rows). */
  decode(ids: readonly number[]): string {
    const known = ids.filter((id) => Number.isInteger(id) && id >= 0 && this.impl.id_to_token(id) !== undefined);
    if (known.length === 0) return '';
    return this.impl.decode(known, { skip_special_tokens: true, clean_up_tokenization_spaces: this.cleanUpSpaces });
  }

  /** The text of one token as stored in the vocabulary (byte-level: `Ġ` for a space), for displays. */
  tokenText(id: number): string {
    return this.impl.id_to_token(id) ?? `<unk:${id}>`;
  }

  files(): Record<string, string> {
    return { ...this.sources } as Record<string, string>;
  }
}

function parseObject(text: string, file: string, what: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new RunError(`${file}: ${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(v)) throw new RunError(`${file}: ${what} is not a JSON object`);
  return v;
}

function checkModel(json: Json, file: string): void {
  const model = json['model'];
  if (!isObject(model)) throw new RunError(`${file}: no "model" object; not a Hugging Face tokenizer.json`);
  const type = model['type'];
  if (typeof type !== 'string' || !MODEL_TYPES.includes(type)) {
    throw new RunError(`${file}: tokenizer model type ${JSON.stringify(type ?? null)} is not supported`, `siric runs ${MODEL_TYPES.join(', ')} tokenizers (through tokenizers.js)`);
  }
  const added = json['added_tokens'];
  if (added !== undefined && !(Array.isArray(added) && added.every((t) => isObject(t) && Number.isInteger(t['id']) && typeof t['content'] === 'string'))) {
    throw new RunError(`${file}: "added_tokens" must be a list of {"id": …, "content": …}`);
  }
}

/** One past the largest id, counting the model's vocabulary and the added tokens. */
function vocabSize(json: Json, file: string): number {
  const model = json['model'] as Json;
  const vocab = model['vocab'];
  let max = -1;
  if (Array.isArray(vocab)) {
    max = vocab.length - 1; // Unigram: [piece, score] pairs, id = index
  } else if (isObject(vocab)) {
    for (const id of Object.values(vocab)) if (typeof id === 'number' && id > max) max = id;
  } else {
    throw new RunError(`${file}: the model has no "vocab"`);
  }
  for (const t of (json['added_tokens'] ?? []) as { id: number }[]) max = Math.max(max, t.id);
  if (max < 0) throw new RunError(`${file}: the vocabulary is empty`);
  return max + 1;
}

/** The chat template: chat_template.jinja, else tokenizer_config.json's `chat_template`, else none. */
function chatTemplateOf(files: HfTokenizerFiles, config: Json, specials: Record<string, string>, where: (f: string) => string): ChatTemplate | null {
  if (files['chat_template.jinja'] !== undefined) return new ChatTemplate(files['chat_template.jinja'], specials, where('chat_template.jinja'));
  const file = where('tokenizer_config.json');
  const t = config['chat_template'];
  if (t === undefined || t === null) return null;
  if (typeof t === 'string') return new ChatTemplate(t, specials, file);
  // Several named templates: transformers uses the one named "default".
  if (Array.isArray(t)) {
    const named = t.find((x) => isObject(x) && x['name'] === 'default');
    if (isObject(named) && typeof named['template'] === 'string') return new ChatTemplate(named['template'], specials, file);
    throw new RunError(`${file}: "chat_template" lists templates but none is named "default"`, 'siric renders the default template; set `chat_template = none` for raw prompts');
  }
  throw new RunError(`${file}: "chat_template" must be a string, got ${JSON.stringify(t).slice(0, 40)}`);
}

/** What a checkpoint needs when the tokenizer came without a config: the roles siric used. */
function minimalConfig(roles: Record<string, string>): string {
  const config = { tokenizer_class: 'PreTrainedTokenizerFast', bos_token: roles['bos_token'] ?? null, eos_token: roles['eos_token'], pad_token: roles['pad_token'] ?? roles['eos_token'], clean_up_tokenization_spaces: false };
  return JSON.stringify(config, null, 2) + '\n';
}
