// Names of Object.prototype members (`constructor`, `__proto__`, ...) written by the user, in every
// position a name can take: each must behave like any other name (a declaration works, a setting
// is an unknown key), through check, compile, plan and fmt. Tables keyed by user text used to be
// plain objects, so `constructor = 1` found Object's constructor and `check` crashed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderPlan } from '../../src/cli/plan.js';
import { compileFile, type CompileOutput } from '../../src/compiler.js';
import { renderAllHuman } from '../../src/diagnostics/render.js';
import { formatSource } from '../../src/format/printer.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BASE = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'quickstart-arith.siri'), 'utf8');
const FILE = path.join(ROOT, 'examples', 'proto.siri');
const PROTO_NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf', '__defineGetter__'];
const SCHEDULE = /schedule budget = schedules\.siri\([^)]*\)/;

function edit(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  expect(out, `the edit ${String(from)} applies`).not.toBe(text);
  return out;
}

/** Position → the quickstart with the name put there, and the codes expected (none: compiles). */
const POSITIONS: Record<string, { text: (n: string) => string; codes: string[] }> = {
  'a setting': { text: (n) => edit(BASE, 'seed = 7', `seed = 7\n  ${n} = 1`), codes: ['E0301'] },
  'a record key': { text: (n) => edit(BASE, 'at_phase_end = true }', `at_phase_end = true, ${n} = 1 }`), codes: ['E0301'] },
  'a built-in parameter': { text: (n) => edit(BASE, 'kv_heads = 2,', `kv_heads = 2, ${n} = 1,`), codes: ['E0301'] },
  'a template argument': { text: (n) => edit(BASE, 'cycles = 3,', `cycles = 3, ${n} = 1,`), codes: ['E0211'] },
  'a declaration name': { text: (n) => edit(edit(BASE, 'model policy', `model ${n}`), /= policy/g, `= ${n}`), codes: [] },
  'a declaration kind': { text: (n) => `${BASE}\n${n} x { a = 1 }\n`, codes: ['E0201'] },
  'a reference': { text: (n) => edit(BASE, 'data = arith\n  mode', `data = ${n}\n  mode`), codes: ['E0202'] },
  'a reference into an import': { text: (n) => edit(BASE, 'rewards.final_answer', `rewards.${n}`), codes: ['E0202'] },
  'an option': { text: (n) => edit(BASE, 'backend = auto', `backend = ${n}`), codes: ['E0306'] },
  'a function': { text: (n) => edit(BASE, 'source = scratch(', `source = ${n}(`), codes: ['E0210'] },
  'a template field': { text: (n) => `${BASE}\ndataset d2 { source = jsonl("x.jsonl") prompt = "{${n}}" fields = ["q"] }\n`, codes: ['E0307'] },
  'a generated task': { text: (n) => `${BASE}\ndataset d3 { source = generated("${n}") prompt = "x" }\n`, codes: ['E0306'] },
  'an import name': { text: (n) => edit(edit(BASE, 'import "std/tasks"', `import "std/tasks" as ${n}`), 'tasks.arithmetic', `${n}.arithmetic`), codes: [] },
  'a block': { text: (n) => `${BASE}\nschedule s2 { ${n} { steps = 1 } }\n`, codes: ['E0209'] },
  'a phase name': { text: (n) => edit(BASE, SCHEDULE, `schedule budget { phase ${n} { steps = 120 steps\n max_tokens = 64 } }`), codes: [] },
  'a template parameter': { text: (n) => `${BASE}\nschedule t(${n}) { phase a { steps = ${n}\n max_tokens = 8 } }\n`, codes: [] },
  'a reward kind': { text: (n) => `${BASE}\nreward r { kind = ${n} }\n`, codes: ['E0306'] },
};

function errorCodes(out: CompileOutput): string[] {
  renderAllHuman(out.diagnostics, out.texts, { color: false });
  return [...new Set(out.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code))];
}

describe('names of Object.prototype members', () => {
  for (const [where, { text, codes }] of Object.entries(POSITIONS)) {
    it(`as ${where}: ${codes.length ? codes.join(', ') : 'compiles'}, never a crash`, () => {
      for (const n of PROTO_NAMES) {
        const src = text(n);
        const checked = compileFile(FILE, { mode: 'check', text: src, display: 'proto.siri' });
        expect(errorCodes(checked), `${n} (check)`).toEqual(codes);
        const compiled = compileFile(FILE, { mode: 'compile', text: src, display: 'proto.siri' });
        expect(errorCodes(compiled), `${n} (compile)`).toEqual(codes);
        if (codes.length === 0) expect(renderPlan(compiled.ir!), n).toContain('quickstart');
        const f = formatSource('proto.siri', src);
        expect(f.ok, n).toBe(true);
        if (f.ok) expect(formatSource('proto.siri', f.text)).toMatchObject({ ok: true, text: f.text });
      }
    });
  }

  it('a setting so named gets "unknown key" with the keys it accepts', () => {
    const out = compileFile(FILE, { mode: 'check', text: POSITIONS['a setting']!.text('constructor'), display: 'proto.siri' });
    const d = out.diagnostics.find((x) => x.code === 'E0301')!;
    expect(d.message).toBe('the pipeline `quickstart` has no setting `constructor`');
    expect(d.help).toMatch(/seed/);
    const near = compileFile(FILE, { mode: 'check', text: POSITIONS['a setting']!.text('descriptor'), display: 'proto.siri' });
    expect(near.diagnostics.find((x) => x.code === 'E0301')!.help).toBe('did you mean `description`?');
  });

  it('in --set paths and values', () => {
    for (const n of PROTO_NAMES) {
      const sets: [string, string][] = [[`${n}.x=1`, 'E0407'], [`quickstart.${n}=1`, 'E0301'], [`rl.checkpoint.${n}=1`, 'E0301'], [`rl.lr=${n}`, 'E0302']];
      for (const [set, code] of sets) {
        const out = compileFile(FILE, { mode: 'compile', text: BASE, display: 'proto.siri', sets: [set] });
        expect(errorCodes(out), set).toEqual([code]);
      }
    }
  });
});
