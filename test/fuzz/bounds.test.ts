// Inputs that used to make the front end blow up in time, memory or stack: each gets an answer
// (diagnostics or ok) quickly, and says the true figures.
import { describe, expect, it } from 'vitest';
import { compileFile, type CompileOutput } from '../../src/compiler.js';
import { renderAllHuman, renderJson } from '../../src/diagnostics/render.js';
import { formatSource } from '../../src/format/printer.js';

function check(text: string): CompileOutput {
  const out = compileFile('bounds.siri', { mode: 'check', text, display: 'bounds.siri' });
  renderAllHuman(out.diagnostics, out.texts, { color: false });
  JSON.stringify(renderJson(out.diagnostics, out.texts));
  return out;
}
const timed = <T>(f: () => T): { value: T; ms: number } => {
  const t = performance.now();
  const value = f();
  return { value, ms: performance.now() - t };
};
const codes = (out: CompileOutput): string[] => out.diagnostics.map((d) => d.code);
const nest = (levels: number, count: number, inner: string): string => {
  let s = inner;
  for (let i = 0; i < levels; i++) s = `repeat ${count} {\n${s}\n}`;
  return s;
};
const PIPELINE = 'pipeline p { seed = 1 }\n';

describe('nested repeats', () => {
  it('a misspelt block inside 13 nested `repeat 10` is reported once, in well under a second', () => {
    check(PIPELINE); // warm up the parser
    const { value: out, ms } = timed(() => check(`${PIPELINE}schedule s {\n${nest(13, 10, 'phse a { steps = 1 }')}\n}\n`));
    expect(codes(out)).toEqual(['E0209']);
    expect(out.diagnostics[0]!.span!.start.line).toBe(16);
    expect(ms).toBeLessThan(1000);
  });

  it('an error inside a phase of nested repeats is reported once per place', () => {
    const out = check(`${PIPELINE}schedule s {\n${nest(6, 10, 'phase a { steps = 1\n max_tokens = 8\n lr = 1 }')}\n}\n`);
    expect(codes(out)).toEqual(['E0301']);
  });

  it('13 nested `repeat 10` around a valid phase: E0304 with the true total and the outermost repeat', () => {
    const { value: out, ms } = timed(() => check(`${PIPELINE}schedule s {\n${nest(13, 10, 'phase a { steps = 1\n max_tokens = 8 }')}\n}\n`));
    expect(codes(out)).toEqual(['E0304']);
    const d = out.diagnostics[0]!;
    expect(d.message).toBe('the schedule `s` lasts 10000000000000 steps, more than the 1000000 a stage may have');
    expect(d.span!.start.line).toBe(2);
    expect(d.related?.[0]?.span.start).toMatchObject({ line: 3, column: 1 });
    expect(ms).toBeLessThan(1000);
  });

  it('E0304 counts a schedule of 10^8 steps as 100000000, not where the expansion stopped', () => {
    // The expansion used to stop copying phases after a million and count the steps of those.
    const out = check(`${PIPELINE}schedule s { repeat 1000 { repeat 1000 { repeat 100 { phase a { steps = 1\n max_tokens = 8 } } } } }\n`);
    expect(out.diagnostics.map((d) => d.message)).toEqual(['the schedule `s` lasts 100000000 steps, more than the 1000000 a stage may have']);
  });

  it('E0304 names a total beyond exact integers as an approximation', () => {
    const out = check(`${PIPELINE}schedule s {\n${nest(20, 1000, 'phase a { steps = 1\n max_tokens = 8 }')}\n}\n`);
    expect(out.diagnostics.map((d) => d.message)).toEqual(['the schedule `s` lasts about 1.00e+60 steps, more than the 1000000 a stage may have']);
  });

  it('repeated phases keep their cycle numbers and unnamed phases their positional names', () => {
    const out = check(`${PIPELINE}schedule s { repeat 2 { phase a { steps = 1\n max_tokens = 8 } repeat 2 { phase { steps = 1\n max_tokens = 8 } } } }\n`);
    const list = out.result!.phases.get('schedule.s')!;
    expect(list.map((p) => `${p.name}#${p.cycle}`)).toEqual(['a#1', 'phase2#1', 'phase3#1', 'a#2', 'phase5#1', 'phase6#1']);
  });
});

describe('huge literals and long input', () => {
  const big = 10 * 1024 * 1024;
  const fmtAnswers = (text: string): void => {
    const r = formatSource('bounds.siri', text);
    if (r.ok) expect(formatSource('bounds.siri', r.text)).toMatchObject({ ok: true, text: r.text });
  };

  it('a 10 MB string literal: E0108 from check, and fmt answers', () => {
    const text = `${PIPELINE}model m { x = "${'a'.repeat(big)}" }\n`;
    const out = check(text);
    expect(codes(out)).toEqual(['E0108']);
    expect(out.diagnostics[0]!.message).toBe(`this string is ${big} characters long, more than the 100000 a string may have`);
    expect(renderAllHuman(out.diagnostics, out.texts).length).toBeLessThan(2000);
    fmtAnswers(text);
  });

  it('a 10 MB number, name and unterminated string: E0108', () => {
    for (const v of ['1'.repeat(big), 'a'.repeat(big), `"${'\\n'.repeat(big / 2)}`]) {
      const text = `${PIPELINE}model m { x = ${v}\n}\n`;
      expect(codes(check(text))).toEqual(['E0108']);
      fmtAnswers(text);
    }
  });

  it('a string just under the cap is lexed and checked like any other', () => {
    const out = check(`${PIPELINE}model m { x = "${'\\"'.repeat(49_000)}" }\n`);
    expect(codes(out)).toEqual(['E0305', 'E0301']);
  });

  it('a 10 MB line of many tokens: E0109, quoted in a short line', () => {
    const out = check(`${PIPELINE}model m { x = [${'1,'.repeat(big / 20)}1] }\n`);
    expect(codes(out)).toEqual(['E0109']);
    expect(renderAllHuman(out.diagnostics, out.texts).length).toBeLessThan(2000);
  });

  it('300,000 unexpected characters: the first 100 and a count', () => {
    const { value: out, ms } = timed(() => check(`${PIPELINE}${'@ '.repeat(300_000)}\n`));
    expect(out.diagnostics).toHaveLength(101);
    expect(out.diagnostics[100]!.message).toBe('299900 more runs of unexpected characters from here on');
    expect(ms).toBeLessThan(15_000);
  });

  it('500 `with` in a row: E0107, not a stack overflow in check or fmt', () => {
    const text = `${PIPELINE}model m = n${' with {}'.repeat(500)}\n`;
    expect(codes(check(text))).toEqual(['E0107']);
    fmtAnswers(text);
  });

  it('a template that instantiates itself: E0212, not a stack overflow', () => {
    expect(codes(check(`${PIPELINE}schedule a(x) = a(x)\nschedule b = a(1)\n`))).toContain('E0212');
    expect(codes(check(`${PIPELINE}schedule a(x) = c(x)\nschedule c(x) = a(x)\nschedule b = a(1)\n`))).toContain('E0212');
  });
});
