// A character-level tokenizer: id 0 = PAD, 1 = BOS, 2 = EOS, then one id per character (Unicode code
// point) of the alphabet, in code-point order. Saved as tokenizer.json: {"type":"chars","alphabet":…}.

import type { Tokenizer } from '../types.js';
import { RunError } from '../types.js';

export interface CharTokenizerJSON {
  type: 'chars';
  alphabet: string;
}

const SPECIALS = 3;

/** `'a' (U+0061)`; control characters are shown escaped. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const shown = cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? JSON.stringify(ch).slice(1, -1) : ch;
  return `'${shown}' (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}

export class CharTokenizer implements Tokenizer {
  readonly pad = 0;
  readonly bos = 1;
  readonly eos = 2;
  readonly chatTemplate = null;
  readonly vocabSize: number;
  /** The characters, sorted by code point, without duplicates. */
  readonly alphabet: string;
  private readonly chars: string[];
  private readonly ids: Map<string, number>;

  /** `alphabet`: any text; its distinct characters become the vocabulary. */
  constructor(alphabet: string) {
    this.chars = [...new Set(Array.from(alphabet))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    this.alphabet = this.chars.join('');
    this.ids = new Map(this.chars.map((c, i) => [c, i + SPECIALS]));
    this.vocabSize = this.chars.length + SPECIALS;
  }

  static fromAlphabet(text: string): CharTokenizer {
    return new CharTokenizer(text);
  }

  static fromJSON(json: unknown): CharTokenizer {
    const j = json as Partial<CharTokenizerJSON> | null;
    if (j === null || typeof j !== 'object' || j.type !== 'chars') throw new RunError(`not a chars tokenizer (type ${JSON.stringify(j?.type ?? null)})`);
    if (typeof j.alphabet !== 'string') throw new RunError('chars tokenizer: "alphabet" must be a string');
    const tok = new CharTokenizer(j.alphabet);
    if (tok.alphabet !== j.alphabet) throw new RunError('chars tokenizer: "alphabet" must be sorted by code point, without duplicates (the ids would change)', 'the tokenizer.json was edited by hand or written by another tool');
    return tok;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    let pos = 0;
    for (const ch of text) {
      const id = this.ids.get(ch);
      if (id === undefined) {
        throw new RunError(`character ${describeChar(ch)} at position ${pos} is not in the tokenizer's alphabet`, 'the chars tokenizer knows only the characters of the training data; remove the character or add an example containing it');
      }
      out.push(id);
      pos++;
    }
    return out;
  }

  /** Special tokens are dropped. */
  decode(ids: readonly number[]): string {
    let s = '';
    for (const id of ids) {
      if (id < SPECIALS && id >= 0 && Number.isInteger(id)) continue;
      const ch = this.chars[id - SPECIALS];
      if (ch === undefined) throw new RunError(`token id ${id} is outside the chars tokenizer's vocabulary (0..${this.vocabSize - 1})`);
      s += ch;
    }
    return s;
  }

  /** The text of one id (special tokens by name), for displays. */
  tokenText(id: number): string {
    if (id === this.pad) return '<pad>';
    if (id === this.bos) return '<bos>';
    if (id === this.eos) return '<eos>';
    return this.chars[id - SPECIALS] ?? `<unk:${id}>`;
  }

  toJSON(): CharTokenizerJSON {
    return { type: 'chars', alphabet: this.alphabet };
  }

  files(): Record<string, string> {
    return { 'tokenizer.json': JSON.stringify(this.toJSON()) + '\n' };
  }
}
