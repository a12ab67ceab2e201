// What counts as correct in an eval (issue 20): an SFT-only pipeline whose task answers end in
// `#123` and whose own reward says so is judged by that reward (it was the built-in `Answer:`
// checker, 0 % for right answers); an eval may name its judge; the eval rows, the events and the
// final table say which judge was used; a judge that finds no answer at all is a warning.
// The model's responses are a stand-in (vi.mock of the rollout): each is the reference response,
// i.e. always right, so the accuracy is the judge's alone.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { compileFile } from '../../../src/compiler.js';
import type { IREval } from '../../../src/ir/graph.js';
import { execute } from '../../../src/runtime/executor/index.js';
import type { EvalMetrics, Example, RunEvent, Tokenizer } from '../../../src/runtime/types.js';
import { plainLine } from '../../../src/ui/plain.js';

vi.mock('../../../src/runtime/rl/grpo.js', async (original) => {
  const real = await original<typeof import('../../../src/runtime/rl/grpo.js')>();
  return {
    ...real,
    // Answers every prompt with its reference response: a model that is always right.
    rollout: async (_m: unknown, tok: Tokenizer, examples: Example[], G: number) =>
      examples.flatMap((example) => Array.from({ length: G }, () => ({ example, prompt: tok.encode(example.prompt), response: tok.encode(example.response!), logps: [], truncated: false, text: example.response! }))),
  };
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-judge-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, 'sums.jsonl'), Array.from({ length: 12 }, (_, i) => JSON.stringify({ q: `${i}+${i}`, a: String(2 * i) })).join('\n') + '\n');
fs.writeFileSync(path.join(dir, 'hash.mjs'), 'export default (x) => {\n  const ok = /#(\\d+)\\s*$/.exec(x.response)?.[1] === x.answer;\n  return { score: ok ? 1 : 0, correct: ok };\n};\n');

function pipeline(evals: string): string {
  const file = path.join(dir, 'sft.siri');
  fs.writeFileSync(
    file,
    `import "std/rewards"

pipeline sft_only {
  seed = 1
  backend = cpu
  out = "runs"
}

model policy {
  source = scratch(layers = 1, d_model = 16, heads = 2, context = 64 tokens)
  tokenizer = chars
}

dataset sums {
  source = jsonl("sums.jsonl")
  prompt = "{q}="
  answer = "{a}"
  response = "so #{a}"
  holdout = 4 rows
}

reward hash {
  kind = custom
  module = "hash.mjs"
}

train warmup {
  algorithm = sft
  policy = policy
  data = sums
  steps = 1 steps
  batch = 2 prompts
  max_tokens = 16 tokens
}

${evals}
`,
  );
  return file;
}

async function run(file: string) {
  const out = compileFile(file, { mode: 'compile' });
  expect(out.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const events: RunEvent[] = [];
  const r = await execute({ ir: out.ir!, baseDir: dir, outDir: path.join(dir, 'runs'), sink: (e) => events.push(e) });
  return { ir: out.ir!, events, summary: r.summary };
}

describe('eval judges', () => {
  it('an SFT-only pipeline is judged by its own answer reward, not the built-in `Answer:` pattern', { timeout: 60_000 }, async () => {
    const { ir, events, summary } = await run(pipeline('eval heldout {\n  data = sums\n}'));
    expect(summary.map((m) => [m.eval, m.accuracy, m.judge, m.answers_found])).toEqual([['heldout', 1, 'hash', 4]]);
    expect((ir.nodes.find((n) => n.type === 'eval') as IREval).judge).toBe('reward.hash');
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    const rows = fs.readFileSync(path.join(summary.length ? (events.find((e) => e.type === 'run_start') as { run_dir: string }).run_dir : '', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EvalMetrics);
    expect(rows.filter((r) => r.type === 'eval').map((r) => r.judge)).toEqual(['hash']);
    expect(plainLine(events.at(-1)!)).toContain('accuracy judged: heldout by hash');
  });

  it('an eval names its judge; one that finds no answer in a whole batch is a warning', { timeout: 60_000 }, async () => {
    const { events, summary } = await run(pipeline('eval own {\n  data = sums\n}\n\neval pattern {\n  data = sums\n  judge = rewards.final_answer\n}'));
    expect(summary.map((m) => [m.eval, m.accuracy, m.judge, m.answers_found])).toEqual([
      ['own', 1, 'hash', 4],
      ['pattern', 0, 'final_answer', 0],
    ]);
    const warnings = events.filter((e): e is Extract<RunEvent, { type: 'warning' }> => e.type === 'warning').map((e) => e.message);
    expect(warnings).toEqual([expect.stringMatching(/^eval `pattern` at step 1: the judge `final_answer` found no final answer in any of its 4 responses: .*`judge = <reward>`/)]);
    expect(plainLine(events.at(-1)!)).toContain('accuracy judged: own by hash, pattern by final_answer');
  });

  it('without any answer reward the built-in checker judges, and says so', { timeout: 60_000 }, async () => {
    const file = pipeline('eval heldout {\n  data = sums\n}');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/reward hash \{[^}]*\}/, ''));
    const { ir, summary } = await run(file);
    expect((ir.nodes.find((n) => n.type === 'eval') as IREval).judge).toBeNull();
    expect(summary.map((m) => m.judge)).toEqual(['final_answer (built-in)']);
  });

  it('an eval budget the model context cannot hold is said once per eval, not cut silently (a Hugging Face model\'s context is known only at run time)', { timeout: 60_000 }, async () => {
    const out = compileFile(pipeline('eval heldout {\n  data = sums\n}'), { mode: 'compile' });
    const ev = out.ir!.nodes.find((n): n is IREval => n.type === 'eval')!;
    ev.max_tokens = 64; // the scratch model's whole context: check refuses it (E0408), so set it in the graph
    const events: RunEvent[] = [];
    await execute({ ir: out.ir!, baseDir: dir, outDir: path.join(dir, 'runs'), sink: (e) => events.push(e) });
    const warnings = events.filter((e): e is Extract<RunEvent, { type: 'warning' }> => e.type === 'warning').map((e) => e.message);
    expect(warnings).toEqual([expect.stringMatching(/^eval `heldout`: max_tokens = 64 is not below the 64-token context of the model/)]);
  });
});
