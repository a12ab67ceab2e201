// Every token of the .siri language, in one ordered list (order matters to the lexer:
// longer and more specific patterns first, keywords before Identifier).
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, line_breaks: true });
// Comments are kept in their own group so the formatter can put them back.
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: 'comments' });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });

// The few reserved words. Declaration kinds (`train`, `phase`, ...) are plain names: the parser
// accepts any name there and the checker says which kinds exist, with a "did you mean".
const keyword = (word: string, name: string): TokenType =>
  createToken({ name, pattern: new RegExp(word), longer_alt: Identifier, label: `\`${word}\`` });
export const Import = keyword('import', 'Import');
export const As = keyword('as', 'As');
export const With = keyword('with', 'With');
export const True = keyword('true', 'True');
export const False = keyword('false', 'False');

// Numbers: `_` separators, optional fraction/exponent, optional size suffix k (×1024) or M (×1024²).
// A suffix must not run into a name (`8kb` is not a number), which the lookahead enforces.
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /-?[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?[kM]?(?![A-Za-z0-9_])/,
  label: 'a number',
});
// `1K`, `16m`, `2G`: a size suffix the language doesn't have. Lexed as a number so parsing goes on;
// reported (E0106) with the suffix that exists.
export const WrongSuffixNumber = createToken({
  name: 'WrongSuffixNumber',
  pattern: /-?[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?[KmGgTt](?![A-Za-z0-9_])/,
  categories: [NumberLiteral],
  label: 'a number',
});
// A quoted string scanned by hand: what `"(?:[^"\\\n\r]|\\.)*"` matches (`closed`), or the
// unterminated prefix that the same pattern without the closing quote matches. V8 runs that
// alternation with one stack frame per character: a string of a few megabytes overflowed the stack.
function quoted(quote: string, closed: boolean): { exec: (text: string, offset: number) => [string] | null } {
  const isLineEnd = (c: string | undefined): boolean => c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029';
  return {
    exec(text, offset) {
      if (text[offset] !== quote) return null;
      let i = offset + 1;
      while (i < text.length) {
        const c = text[i];
        if (c === quote) return [closed ? text.slice(offset, i + 1) : text.slice(offset, i)];
        if (c === '\n' || c === '\r') break;
        if (c === '\\') {
          if (i + 1 >= text.length || isLineEnd(text[i + 1])) break;
          i += 2;
        } else i++;
      }
      return closed ? null : [text.slice(offset, i)];
    },
  };
}

export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: quoted('"', true),
  start_chars_hint: ['"'],
  line_breaks: false,
  label: 'a string',
});
// An unterminated string gets its own token so the parser can say exactly that.
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: quoted('"', false),
  start_chars_hint: ['"'],
  line_breaks: false,
  label: 'an unterminated string',
});

export const Equals = createToken({ name: 'Equals', pattern: /=/, label: '`=`' });
// Two common slips, lexed as what was meant so that parsing goes on without a cascade of errors;
// each is still reported (E0101) with the fix.
export const ColonInsteadOfEquals = createToken({ name: 'ColonInsteadOfEquals', pattern: /:/, categories: [Equals], label: '`=`' });
export const SingleQuotedString = createToken({ name: 'SingleQuotedString', pattern: quoted("'", true), start_chars_hint: ["'"], line_breaks: false, categories: [StringLiteral], label: 'a string' });

export const Arrow = createToken({ name: 'Arrow', pattern: /->/, label: '`->`' });
export const DotDot = createToken({ name: 'DotDot', pattern: /\.\./, label: '`..`' });
export const Dot = createToken({ name: 'Dot', pattern: /\./, label: '`.`' });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: '`,`' });
export const LCurly = createToken({ name: 'LCurly', pattern: /\{/, label: '`{`' });
export const RCurly = createToken({ name: 'RCurly', pattern: /\}/, label: '`}`' });
export const LSquare = createToken({ name: 'LSquare', pattern: /\[/, label: '`[`' });
export const RSquare = createToken({ name: 'RSquare', pattern: /\]/, label: '`]`' });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: '`(`' });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: '`)`' });

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  Import,
  As,
  With,
  True,
  False,
  Arrow,
  WrongSuffixNumber,
  NumberLiteral,
  Identifier,
  StringLiteral,
  UnterminatedString,
  SingleQuotedString,
  ColonInsteadOfEquals,
  DotDot,
  Dot,
  Equals,
  Comma,
  LCurly,
  RCurly,
  LSquare,
  RSquare,
  LParen,
  RParen,
];

// Lines end at \n (or \r\n); a lone \r is whitespace, as for the diagnostics renderer.
export const SiriLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false, lineTerminatorsPattern: /\n|\r\n/g, lineTerminatorCharacters: ['\n'] });

/** Words that may follow a number as its unit (`160 steps`, `8k tokens`); singular forms accepted. */
export const UNIT_WORDS: Record<string, string> = {
  step: 'steps',
  steps: 'steps',
  token: 'tokens',
  tokens: 'tokens',
  prompt: 'prompts',
  prompts: 'prompts',
  response: 'responses',
  responses: 'responses',
  row: 'rows',
  rows: 'rows',
};
