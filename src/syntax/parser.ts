// The .siri grammar as a chevrotain CstParser. It is a "super grammar": any name may head a
// declaration or a nested block, and any key may appear in a block; the checker then says which
// kinds and keys are allowed. That keeps syntax errors about syntax, and lets the checker give
// precise, named messages ("unknown key `lrr`, did you mean `lr`").
import { CstParser, type CstNode, type IRecognitionException, type ILexingError, type IToken } from 'chevrotain';
import * as T from './tokens.js';
import { errorMessageProvider } from './errors.js';

export class SiriParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: 'full', errorMessageProvider });
    this.performSelfAnalysis();
  }

  /** After `key =`: the value is missing when what follows is the next `key =` or the end of the block. */
  private missingValue(): boolean {
    const a = this.LA(1).tokenType;
    return a === T.RCurly || a === T.Comma || (a === T.Identifier && this.LA(2).tokenType === T.Equals);
  }

  public file = this.RULE('file', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.declaration) },
      ]);
    });
  });

  // import "std/presets" as presets
  public importDecl = this.RULE('importDecl', () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral, { LABEL: 'path' });
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Identifier, { LABEL: 'alias' });
    });
  });

  // train rl = presets.dapo with { ... }   |   schedule cycle(low, high = 16k) { ... }
  public declaration = this.RULE('declaration', () => {
    this.CONSUME(T.Identifier, { LABEL: 'kind' });
    this.CONSUME2(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => this.SUBRULE(this.params));
    this.OR([
      { ALT: () => this.SUBRULE(this.block) },
      {
        ALT: () => {
          this.CONSUME(T.Equals);
          this.SUBRULE(this.expression, { LABEL: 'value' });
        },
      },
    ]);
  });

  public params = this.RULE('params', () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.param);
      this.MANY({ GATE: () => this.LA(2).tokenType !== T.RParen, DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.param);
      } });
      this.OPTION2(() => this.CONSUME2(T.Comma, { LABEL: 'trailingComma' }));
    });
    this.CONSUME(T.RParen);
  });

  public param = this.RULE('param', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression, { LABEL: 'default' });
    });
  });

  public block = this.RULE('block', () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.item));
    this.CONSUME(T.RCurly);
  });

  // key = value   |   phase compress { ... }   |   repeat 3 { ... }
  public item = this.RULE('item', () => {
    this.CONSUME(T.Identifier, { LABEL: 'key' });
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Equals);
          // `lr =` with the value forgotten, the next line's `batch = 32` following: leave the
          // value out (the AST builder reports it) rather than swallow the next key.
          this.OPTION3({ GATE: () => !this.missingValue(), DEF: () => this.SUBRULE(this.expression, { LABEL: 'value' }) });
        },
      },
      {
        ALT: () => {
          this.OPTION(() => {
            this.OR2([
              { ALT: () => this.CONSUME2(T.Identifier, { LABEL: 'label' }) },
              { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: 'label' }) },
            ]);
          });
          this.SUBRULE(this.block);
        },
      },
    ]);
    this.OPTION2(() => this.CONSUME(T.Comma));
  });

  // a -> b   (a curve's endpoints)
  public expression = this.RULE('expression', () => {
    this.SUBRULE(this.rangeExpr, { LABEL: 'lhs' });
    this.OPTION(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE2(this.rangeExpr, { LABEL: 'rhs' });
    });
  });

  // 2..4
  public rangeExpr = this.RULE('rangeExpr', () => {
    this.SUBRULE(this.withExpr, { LABEL: 'lhs' });
    this.OPTION(() => {
      this.CONSUME(T.DotDot);
      this.SUBRULE2(this.withExpr, { LABEL: 'rhs' });
    });
  });

  // preset with { lr = 1e-6 } with { ... }
  public withExpr = this.RULE('withExpr', () => {
    this.SUBRULE(this.primary, { LABEL: 'base' });
    this.MANY(() => {
      this.CONSUME(T.With);
      this.SUBRULE(this.record, { LABEL: 'override' });
    });
  });

  public primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.numberExpr) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.SUBRULE(this.referenceOrCall) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.record) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression, { LABEL: 'inner' });
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  // 160 steps: a unit is a name right after a number that is not itself the next key (`steps = `).
  public numberExpr = this.RULE('numberExpr', () => {
    this.CONSUME(T.NumberLiteral);
    this.OPTION({
      GATE: () => {
        // `160 steps` but not `steps = ...` (the next key) nor `step a { ... }` (a nested block).
        const next = this.LA(1);
        const after = this.LA(2).tokenType;
        if (next.tokenType !== T.Identifier || !Object.hasOwn(T.UNIT_WORDS, next.image)) return false;
        if (after === T.Equals || after === T.LCurly) return false;
        return !((after === T.Identifier || after === T.NumberLiteral) && this.LA(3).tokenType === T.LCurly);
      },
      DEF: () => this.CONSUME(T.Identifier, { LABEL: 'unit' }),
    });
  });

  // policy   |   presets.dapo   |   cosine(16k -> 8k)   |   scratch(layers = 2, d_model = 64)
  public referenceOrCall = this.RULE('referenceOrCall', () => {
    this.CONSUME(T.Identifier, { LABEL: 'part' });
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.Identifier, { LABEL: 'part' });
    });
    this.OPTION(() => this.SUBRULE(this.args));
  });

  public args = this.RULE('args', () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.arg);
      this.MANY({ GATE: () => this.LA(2).tokenType !== T.RParen, DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.arg);
      } });
      this.OPTION2(() => this.CONSUME2(T.Comma, { LABEL: 'trailingComma' }));
    });
    this.CONSUME(T.RParen);
  });

  public arg = this.RULE('arg', () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Equals,
      DEF: () => {
        this.CONSUME(T.Identifier, { LABEL: 'name' });
        this.CONSUME(T.Equals);
      },
    });
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  public list = this.RULE('list', () => {
    this.CONSUME(T.LSquare);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: 'element' });
      this.MANY({ GATE: () => this.LA(2).tokenType !== T.RSquare, DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression, { LABEL: 'element' });
      } });
      this.OPTION2(() => this.CONSUME2(T.Comma, { LABEL: 'trailingComma' }));
    });
    this.CONSUME(T.RSquare);
  });

  // { low = 0.2, high = 0.28 }: values only, commas optional.
  public record = this.RULE('record', () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.CONSUME(T.Identifier, { LABEL: 'key' });
      this.CONSUME(T.Equals);
      this.OPTION2({ GATE: () => !this.missingValue(), DEF: () => this.SUBRULE(this.expression, { LABEL: 'value' }) });
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RCurly);
  });
}

/** One parser instance for the process; `parse` resets it through `input`. */
export const parserInstance = new SiriParser();

/** Longer files are refused before parsing: a pipeline has hundreds of tokens, and the parser's time and memory grow with them. */
export const MAX_TOKENS = 100_000;

/** Deeper nesting than this is refused before parsing: the recursive-descent parser would overflow the stack. */
export const MAX_NESTING = 64;

export interface ParseOutput {
  /** Absent when the input was refused (nested too deeply). */
  cst?: CstNode;
  /** The first opener beyond MAX_NESTING levels, when there is one. */
  tooDeep?: IToken;
  /** The first token beyond MAX_TOKENS, when there is one (the input was refused). */
  tooMany?: IToken;
  tokens: IToken[];
  comments: IToken[];
  lexErrors: ILexingError[];
  parseErrors: IRecognitionException[];
}

export function parseText(text: string): ParseOutput {
  const lexed = T.SiriLexer.tokenize(text);
  if (lexed.tokens.length > MAX_TOKENS) return { tooMany: lexed.tokens[MAX_TOKENS]!, tokens: lexed.tokens, comments: [], lexErrors: lexed.errors, parseErrors: [] };
  const tooDeep = firstTooDeep(lexed.tokens);
  if (tooDeep) return { tooDeep, tokens: lexed.tokens, comments: [], lexErrors: lexed.errors, parseErrors: [] };
  parserInstance.input = lexed.tokens;
  const cst = parserInstance.file();
  return {
    cst,
    tokens: lexed.tokens,
    comments: (lexed.groups['comments'] ?? []) as IToken[],
    lexErrors: lexed.errors,
    parseErrors: [...parserInstance.errors],
  };
}

export function firstTooDeep(tokens: readonly IToken[]): IToken | undefined {
  let depth = 0;
  for (const t of tokens) {
    if (t.tokenType === T.LCurly || t.tokenType === T.LSquare || t.tokenType === T.LParen) {
      if (++depth > MAX_NESTING) return t;
    } else if (t.tokenType === T.RCurly || t.tokenType === T.RSquare || t.tokenType === T.RParen) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** Longer strings, names and numbers are refused: nothing in a pipeline needs them, and quoting them in messages would not help. */
export const MAX_TOKEN_CHARS = 100_000;

export function firstTooLong(tokens: readonly IToken[]): IToken | undefined {
  return tokens.find((t) => t.image.length > MAX_TOKEN_CHARS);
}
