// Property: for generated well-formed sources with messy layout and comments everywhere, the
// formatter is idempotent and keeps the tree (spans aside) and every comment.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFile } from '../../src/ast/build.js';
import { checkInvariants } from './helpers.js';

type Toks = string[];
const UNIT = new Set(['step', 'steps', 'token', 'tokens']);

const name = fc.constantFrom('a', 'lr', 'policy', 'max_tokens', 'x_1', 'steps', 'tokens');
const ref = fc.array(name, { minLength: 1, maxLength: 3 }).map((p) => [p.join('.')]);
const num = fc.tuple(
  fc.constantFrom('0', '42', '8k', '1_000', '1e-6', '-3', '2M', '0.28', '16k'),
  fc.option(fc.constantFrom('step', 'steps', 'tokens', 'prompts'), { nil: undefined }),
).map(([n, u]): Toks => (u ? [n, u] : [n]));
const atom: fc.Arbitrary<Toks> = fc.oneof(
  num,
  fc.constantFrom('"s"', '"{problem} x"', '"a # not a comment"', '"q\\"q"', 'true', 'false').map((s) => [s]),
  ref,
);
const commas = (parts: Toks[], sep = ','): Toks => parts.flatMap((p, i) => (i === 0 ? p : [sep, ...p]));

// Mirrors the grammar's precedence levels, so every generated text parses. One shared depth
// budget keeps the sources small (a few hundred characters).
const deep = { maxDepth: 8, depthIdentifier: 'expr' };
const { expr } = fc.letrec<{ expr: Toks; range: Toks; withE: Toks; primary: Toks; record: Toks }>((tie) => ({
  expr: fc.oneof(deep, tie('range'), fc.tuple(tie('range'), tie('range')).map(([a, b]) => [...a, '->', ...b])),
  range: fc.oneof(deep, tie('withE'), fc.tuple(tie('withE'), tie('withE')).map(([a, b]) => [...a, '..', ...b])),
  withE: fc.oneof(
    deep,
    tie('primary'),
    fc.tuple(tie('primary'), fc.array(tie('record'), { minLength: 1, maxLength: 2, depthIdentifier: 'expr' })).map(([b, rs]) => [...b, ...rs.flatMap((r) => ['with', ...r])]),
  ),
  primary: fc.oneof(
    deep,
    atom,
    fc.array(tie('expr'), { maxLength: 3, depthIdentifier: 'expr' }).map((es) => ['[', ...commas(es), ']']),
    tie('record'),
    fc
      .tuple(ref, fc.array(fc.tuple(fc.option(name, { nil: undefined }), tie('expr')), { maxLength: 3, depthIdentifier: 'expr' }))
      .map(([f, args]) => [...f, '(', ...commas(args.map(([n, v]) => (n ? [n, '=', ...v] : v))), ')']),
    tie('expr').map((e) => ['(', ...e, ')']),
  ),
  record: fc
    .array(fc.tuple(name, tie('expr'), fc.boolean()), { maxLength: 3, depthIdentifier: 'expr' })
    .map((es) => ['{', ...es.flatMap(([k, v, comma]) => [k, '=', ...v, ...(comma ? [','] : [])]), '}']),
}));

/** `head`: the item's first word; `value`: it ends with `= expr`. */
type Item = { head: string; toks: Toks; value: boolean };
/** `x = (5)`, not `x = 5`, when the next item starts with a unit word (see guardBefore). */
function joinItems(items: Item[]): Toks {
  return items.flatMap((it, i) => {
    const next = items[i + 1]?.head;
    return next !== undefined && UNIT.has(next) && it.value ? wrapValue(it.toks) : it.toks;
  });
}
const wrapValue = (t: Toks): Toks => {
  const eq = t.indexOf('=');
  const end = t[t.length - 1] === ',' ? t.length - 1 : t.length;
  return [...t.slice(0, eq + 1), '(', ...t.slice(eq + 1, end), ')', ...t.slice(end)];
};

const { block } = fc.letrec<{ block: Toks; item: Item }>((tie) => ({
  block: fc.array(tie('item'), { maxLength: 4, depthIdentifier: 'block' }).map((items) => ['{', ...joinItems(items), '}']),
  item: fc.oneof(
    { maxDepth: 2, depthIdentifier: 'block' },
    fc.tuple(name, expr, fc.boolean()).map(([k, v, c]): Item => ({ head: k, toks: [k, '=', ...v, ...(c ? [','] : [])], value: true })),
    fc
      .tuple(fc.constantFrom('phase', 'repeat', 'steps', 'step', 'warmup'), fc.constantFrom([], ['compress'], ['3']), tie('block'))
      .map(([k, l, b]): Item => ({ head: k, toks: [k, ...l, ...b], value: false })),
  ),
}));

const params = fc
  .array(fc.tuple(name, fc.option(expr, { nil: undefined })), { maxLength: 3 })
  .map((ps) => ['(', ...commas(ps.map(([n, d]) => (d ? [n, '=', ...d] : [n]))), ')']);
const decl: fc.Arbitrary<Item> = fc.oneof(
  fc.tuple(fc.constantFrom('model', 'schedule', 'steps', 'train'), name, fc.option(params, { nil: undefined }), block).map(
    ([k, n, p, b]): Item => ({ head: k, toks: [k, n, ...(p ?? []), ...b], value: false }),
  ),
  fc.tuple(fc.constantFrom('train', 'token'), name, expr).map(([k, n, v]): Item => ({ head: k, toks: [k, n, '=', ...v], value: true })),
  fc.tuple(fc.constantFrom('"std/presets"', '"a/b"'), fc.option(name, { nil: undefined })).map(([p, a]): Item => ({ head: 'import', toks: ['import', p, ...(a ? ['as', a] : [])], value: false })),
);
const fileToks = fc.array(decl, { maxLength: 4 }).map(joinItems);

// Layout between tokens: any whitespace, blank lines, CRLF, and comments of every kind.
const sep = fc.oneof(
  { arbitrary: fc.constant(' '), weight: 8 },
  { arbitrary: fc.constantFrom('\n', '  ', '\t', '\r\n', '\n\n', '\n \n\n'), weight: 3 },
  { arbitrary: fc.constantFrom(' # note\n', '# x   \n', '\n# own line\n', '\n\n# after blank\n\n', ' #\n', ' # } ] ) {\r\n'), weight: 1 },
);

const source = fileToks.chain((toks) =>
  fc.array(sep, { minLength: toks.length + 1, maxLength: toks.length + 1 }).map((seps) => seps[0] + toks.map((t, i) => t + seps[i + 1]).join('')),
);

describe('formatter properties', () => {
  it('generated sources parse (the generator is sound)', () => {
    fc.assert(
      fc.property(source, (src) => {
        expect(parseFile('t.siri', src).diagnostics).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('is idempotent and keeps the tree and every comment', () => {
    fc.assert(
      fc.property(source, (src) => {
        checkInvariants(src);
      }),
      { numRuns: 500 },
    );
  });
});
