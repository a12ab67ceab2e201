// A prompt the model has no room to answer, and a 50 MB row, are caught before training with the
// row's file:line (they crashed the first step inside a kernel); `on_long_prompt` can skip or cut them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../../src/compiler.js';
import { execute } from '../../../src/runtime/executor/index.js';
import type { RunEvent } from '../../../src/runtime/types.js';
import { RunError } from '../../../src/runtime/types.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/runtime/', import.meta.url));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-fit-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

// tiny.siri (a 96-token context) on a JSON Lines file; row 6 is the one at fault.
const rows = (bad: string): string =>
  Array.from({ length: 20 }, (_, i) => JSON.stringify({ question: i === 5 ? bad : `${i % 7}+${i % 5}=`, answer: String((i % 7) + (i % 5)) })).join('\n') + '\n';
beforeAll(() => {
  const src = fs.readFileSync(path.join(FIXTURES, 'tiny.siri'), 'utf8').replace(/^dataset arith = .*$/m, 'dataset arith {\n  source = jsonl("rows.jsonl")\n  prompt = "{question}"\n  answer = "{answer}"\n  response = "{answer}"\n}');
  fs.writeFileSync(path.join(work, 'tiny.siri'), src);
  fs.copyFileSync(path.join(FIXTURES, 'flaky-reward.mjs'), path.join(work, 'flaky-reward.mjs'));
});

const run = async (data: string, sets: string[] = []) => {
  fs.writeFileSync(path.join(work, 'rows.jsonl'), data);
  const ir = compileFile(path.join(work, 'tiny.siri'), { mode: 'compile', sets }).ir!;
  const events: RunEvent[] = [];
  const r = await execute({ ir, baseDir: work, outDir: path.join(work, 'runs'), sink: (e) => events.push(e), maxSteps: 1 });
  return { ...r, events };
};
const refusal = async (p: Promise<unknown>): Promise<RunError> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RunError);
  return e as RunError;
};
const warnings = (events: RunEvent[]): string[] => events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
const LONG = '1+'.repeat(60) + '1='; // 122 characters, one token each: past the 96-token context

describe('prompts that do not fit the model context', () => {
  it('stop the run before training, naming file:line', async () => {
    const e = await refusal(run(rows(LONG)));
    expect(e.code).toBe('R0107');
    expect(e.message).toMatch(/^rows\.jsonl:6: the prompt is 12[23] tokens, which leaves no room in the 96-token context of the model `policy`/);
    expect(e.hint).toContain('on_long_prompt = skip');
    expect(fs.existsSync(path.join(work, 'runs'))).toBe(false); // no run directory for a run that never started
  });

  it('a 50 MB row stops it the same way, without encoding it', async () => {
    const e = await refusal(run(rows('1+'.repeat(25_000_000))));
    expect(e.code).toBe('R0107');
    expect(e.message).toMatch(/^rows\.jsonl:6: the prompt is 50000000 characters/);
  });

  it('on_long_prompt = skip drops the row, truncate keeps the start that fits; both say so', async () => {
    const skip = await run(rows(LONG), ['arith.on_long_prompt=skip']);
    expect(skip.status).toBe('stopped');
    expect(warnings(skip.events)).toContain('dataset `arith`: 1 rows skipped, their prompts leave no room to answer in the 96-token context (on_long_prompt = skip)');
    const cut = await run(rows(LONG), ['arith.on_long_prompt=truncate']);
    expect(cut.status).toBe('stopped');
    expect(warnings(cut.events)).toContain('dataset `arith`: 1 prompts cut to fit the 96-token context (on_long_prompt = truncate)');
  }, 60_000);
});
