// Where a response states its final answer: its `\boxed{}`s (outside code, not empty), else the
// last answer label (`Answer: x`, `**Answer:** x`, `The final answer is $x$.`, `#### x`).

/** The response without its code: a `\boxed{your answer}` template in a code block is no answer. */
export function withoutCode(s: string): string {
  return s.replace(/```[\s\S]*?(?:```|$)/g, ' ').replace(/`[^`\n]*`/g, ' ');
}

const TOKEN = /[^\s$]+/y;

/** The contents of every complete `\boxed{...}` / `\fbox{...}` (nested braces kept) and `\boxed 5`, in order. */
export function allBoxed(s: string): string[] {
  const found: string[] = [];
  let braces: Map<number, number> | null = null;
  for (const m of s.matchAll(/\\(?:boxed|fbox)(?![A-Za-z])/g)) {
    let i = m.index + m[0].length;
    while (s[i] === ' ') i++;
    if (s[i] === '{') {
      braces ??= braceMatches(s);
      const end = braces.get(i);
      if (end !== undefined) found.push(s.slice(i + 1, end));
    } else if (i > m.index + m[0].length) {
      // `\boxed 5`: one token, up to a space or `$`.
      TOKEN.lastIndex = i;
      const tok = TOKEN.exec(s);
      if (tok) found.push(tok[0]);
    }
  }
  return found;
}

/** The content of the last complete, non-empty `\boxed{...}`, or null. */
export function lastBoxed(s: string): string | null {
  return allBoxed(s).filter((b) => b.trim() !== '').at(-1) ?? null;
}

/** For each `{`, the index of its matching `}` (-1 if never closed), in one pass: linear on any input. */
function braceMatches(s: string): Map<number, number> {
  const close = new Map<number, number>();
  const open: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') {
      i++; // `\{` and `\}` are literal braces
      continue;
    }
    if (s[i] === '{') open.push(i);
    else if (s[i] === '}' && open.length) close.set(open.pop()!, i);
  }
  return close;
}

// `Answer: x`, `answer : x`, `**Answer:** x`, `**Answer**: x`, `Final answer: x` (any case), the
// Minerva sentence `The final answer is $x$. I hope it is correct.`, `the answer is x`, `#### x`.
// No two quantifiers over the same characters next to each other: that backtracks quadratically.
const LABELS = [/\banswer[ \t*]*:[ \t*]*(?:\n[ \t]*)*([^\n]+)/gi, /\banswer\s+is[ \t]*(?::[ \t]*)?([^\n]+)/gi, /^#{4}[ \t]*([^\n]+)/gm];

/** The text after the last answer label, cut to the answer itself; null when there is none. */
export function labelledAnswer(s: string, depth = 0): string | null {
  let best: { at: number; text: string } | null = null;
  for (const re of LABELS) {
    for (const m of s.matchAll(re)) {
      if (!best || m.index > best.at) best = { at: m.index, text: m[1]! };
    }
  }
  if (!best) return null;
  // `Final Answer: The final answer is $5$.`: a label inside the labelled text (twice at most).
  const inner = depth < 2 ? labelledAnswer(best.text, depth + 1) : null;
  return inner ?? answerPhrase(best.text);
}

/** `$5$. I hope it is correct.` → `5`; `9, since 3^2 = 9.` → `9`; `**7**.` → `7`. */
function answerPhrase(text: string): string | null {
  let t = text.trim().replace(/^\*\*|\*\*$/g, '').trim();
  const math = /^(?:\$\$?([^$]+)\$\$?|\\\((.+?)\\\)|\\\[(.+?)\\\])/.exec(t);
  if (math) return (math[1] ?? math[2] ?? math[3]!).trim();
  t = t.split(/\.(?=\s|$)|[,;]?\s+(?:since|because|as|which|so|and\s+(?:the|this|that|it))\b|\s+I\s+hope\b/i)[0]!;
  t = t.replace(/\*\*/g, '').trim();
  return t === '' ? null : t;
}
