// A canonical spelling of an answer: what two equal answers written differently have in common.
// Close to the public graders' normalisation (verl's hendrycks/minerva `strip_string`, open-r1's
// math_verify), with the forms they miss: mixed numbers, repeating decimals, unicode signs, units
// after a number, `or`-joined solutions.
import { lastBoxed } from './extract.js';

/** Longer answers are compared as written: normalising them would only cost time. */
export const MAX_ANSWER = 2000;

const TEXT = /\\(?:text|textbf|textit|textrm|textsf|texttt|textnormal|mathrm|mathbf|mathit|mathsf|mathtt|mbox|operatorname)\s*\{([^{}]*)\}/g;
// `5 cm`, `12 meters`, `15 km/h`, `5 cm^2`, `3 square units` after a number: the unit goes.
const WORD = String.raw`[A-Za-z]+(?:\s*\^\s*\{?\d\}?)?(?:\/[A-Za-z]+)?`;
const UNIT = new RegExp(String.raw`^([-+]?\d[\d.,]*(?:\s*\\(?:times|cdot)\s*10\^(?:\{-?\d+\}|-?\d))?)\s+${WORD}(?:\s+${WORD}){0,2}$`);

export function normalizeMath(input: string): string {
  let s = input.trim();
  if (s.length > MAX_ANSWER) return s;
  const boxed = lastBoxed(s);
  if (boxed !== null && /^\\(?:boxed|fbox)/.test(s)) s = boxed;
  s = s
    .replace(/[\u2212\u2012\u2013\u2014\ufe63\uff0d]/g, '-') // unicode minus and dashes
    .replace(/\u221e/g, '\\infty ')
    .replace(/\u00d7/g, '\\times ')
    .replace(/[\u00b7\u22c5]/g, '\\cdot ')
    .replace(/\u00b1/g, '\\pm ')
    .replace(/\u221a/g, '\\sqrt')
    .replace(/(?<!\\)\\[!,;: ]/g, '') // thin spaces, but not a `\\` row separator before a space
    .replace(/\\q?quad(?![A-Za-z])/g, ' ')
    .replace(/\\(?:displaystyle|textstyle)(?![A-Za-z])/g, '')
    .replace(/\\[dt]frac(?![A-Za-z])/g, '\\frac')
    .replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![A-Za-z])\.?/g, '')
    .replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\u00b0|\\degree(?![A-Za-z])/g, '') // degrees
    .replace(/\\?\$/g, '')
    .replace(/\\?%/g, '');
  // `\text{(B)}` → `(B)`, `5\text{ cm}` → `5 cm` (the unit goes below), `2 \text{ or } 3`.
  s = s.replace(TEXT, ' $1 ').replace(TEXT, ' $1 ').trim();
  s = s.replace(UNIT, '$1');
  s = s.replace(/\{,\}/g, ',');
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, ''); // 1,000 and 1{,}000 → 1000
  s = s.replace(/\s+(?:or|and)\s+/gi, ','); // `x = 2 or x = -1` is a list of solutions
  // Spaces go, except the one that ends a command before a letter (`\pi r`).
  s = s.replace(/\\(sqrt|frac)\s+/g, '\\$1').replace(/(\\[A-Za-z]+)\s+(?=[A-Za-z])/g, '$1\u0001');
  s = s.replace(/\s+/g, '').replace(/\u0001/g, ' ').replace(/\.$/, '');
  s = s.replace(/^[A-Za-z]\\in(?![A-Za-z])/, ''); // `x \in [1,3]`
  s = s.replace(/(^|[,(\[{=])\+\\infty/g, '$1\\infty');
  if (/^(?:infinity|inf)$/i.test(s)) s = '\\infty';
  // `\frac12` → `\frac{1}{2}`, `\sqrt2` → `\sqrt{2}` (one-character arguments without braces).
  s = s.replace(/\\frac([0-9A-Za-z])([0-9A-Za-z])/g, '\\frac{$1}{$2}').replace(/\\frac(\{[^{}]*\})([0-9A-Za-z])/g, '\\frac$1{$2}').replace(/\\frac([0-9A-Za-z])\{/g, '\\frac{$1}{');
  s = s.replace(/\\sqrt([0-9A-Za-z])/g, '\\sqrt{$1}');
  s = s.replace(/\^\{([^{}])\}/g, '^$1'); // `x^{2}` → `x^2`
  s = s.replace(/(\d{0,40})\.(\d{0,40})\\overline\{(\d{1,40})\}/g, (_, i: string, a: string, b: string) => repeating(i, a, b));
  // `2\frac{1}{2}` is the mixed number 2 + 1/2 (an integer before a fraction of integers).
  s = s.replace(/(^|[-+,(\[{=])(\d+)\\frac\{(\d+)\}\{(\d+)\}/g, '$1($2+\\frac{$3}{$4})');
  return s;
}

/** `I.A\overline{B}` (0.1\overline{6}) as the fraction it is (1/6). */
function repeating(int: string, fixed: string, rep: string): string {
  const whole = BigInt(int + fixed + rep) - BigInt((int + fixed) || '0');
  const den = 10n ** BigInt(fixed.length) * (10n ** BigInt(rep.length) - 1n);
  return `\\frac{${whole}}{${den}}`;
}
