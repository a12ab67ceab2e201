import { describe, expect, it } from 'vitest';
import { formatSource } from '../../src/format/printer.js';
import { checkInvariants, fmt } from './helpers.js';

describe('formatSource', () => {
  it('refuses a file with a syntax error', () => {
    const r = formatSource('bad.siri', 'model m { source = }\n');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostics.length).toBeGreaterThan(0);
      expect(r.diagnostics[0]?.span?.file).toBe('bad.siri');
    }
  });

  it('refuses an unclosed block and an unterminated string', () => {
    expect(formatSource('t.siri', 'model m {\n  x = 1\n').ok).toBe(false);
    expect(formatSource('t.siri', 'model m { x = "abc }\n').ok).toBe(false);
  });

  it('reports whether anything changed', () => {
    expect(formatSource('t.siri', 'model m {x=1}')).toEqual({ ok: true, text: 'model m {\n  x = 1\n}\n', changed: true });
    expect(formatSource('t.siri', 'model m {\n  x = 1\n}\n')).toEqual({ ok: true, text: 'model m {\n  x = 1\n}\n', changed: false });
  });

  it('turns CRLF into LF and trims trailing whitespace in comments', () => {
    const out = checkInvariants('# top   \r\nmodel m {\r\n  x = 1  # why \t\r\n\r\n\r\n  y = 2\r\n}\r\n\r\n\r\n');
    expect(out).toBe('# top\nmodel m {\n  x = 1  # why\n\n  y = 2\n}\n');
  });

  it('prints an empty file as empty and a comment-only file as its comments', () => {
    expect(fmt('')).toBe('');
    expect(fmt('\n\n  \n')).toBe('');
    expect(checkInvariants('\n\n# just a note   \n\n\n# another\n')).toBe('# just a note\n\n# another\n');
  });

  it('ends the file with exactly one newline', () => {
    expect(fmt('model m {}')).toBe('model m {}\n');
    expect(fmt('model m {}\n\n\n\n')).toBe('model m {}\n');
  });

  it('prints numbers, strings and units exactly as written', () => {
    const out = checkInvariants('x y { a = 1_000 b = 1e-6 c = 8k tokens d = "a\\tb {name}" e = 1 step f = false }');
    expect(out).toBe('x y {\n  a = 1_000\n  b = 1e-6\n  c = 8k tokens\n  d = "a\\tb {name}"\n  e = 1 step\n  f = false\n}\n');
  });

  it('keeps a number and its unit apart from the next item', () => {
    // Without commas, `x = 5 steps` + `phase {}` would re-read as `x = 5` + `steps phase {}`.
    expect(checkInvariants('a b { x = (5)\n steps {} }')).toBe('a b {\n  x = (5)\n  steps {}\n}\n');
    expect(checkInvariants('a b { x = 5, tokens t {} }')).toBe('a b {\n  x = (5)\n  tokens t {}\n}\n');
    expect(checkInvariants('a b { x = 5 steps, steps {} }')).toBe('a b {\n  x = (5 steps)\n  steps {}\n}\n');
    expect(checkInvariants('a b { x = 1..2 steps, step s {} }')).toBe('a b {\n  x = 1..(2 steps)\n  step s {}\n}\n');
    expect(checkInvariants('t a = 5\nsteps b {}')).toBe('t a = (5)\n\nsteps b {}\n');
    expect(checkInvariants('a b { x = 5 steps, phase {} }')).toBe('a b {\n  x = (5 steps)\n  phase {}\n}\n');
    expect(checkInvariants('a b { x = 5 steps\n phase c {} }')).toBe('a b {\n  x = 5 steps\n  phase c {}\n}\n');
  });

  it('moves a comment between a call name and its parenthesis into the call', () => {
    expect(checkInvariants('a b { x = f # why\n (1) }')).toBe('a b {\n  x = f(  # why\n    1,\n  )\n}\n');
  });

  it('keeps a comment inside a number-with-unit above its item', () => {
    expect(checkInvariants('a b { x = 160 # per phase\n steps }')).toBe('a b {\n  # per phase\n  x = 160 steps\n}\n');
  });
});
