// `siric compile --target verl`: golden job files for the paper's pipelines, byte-identical
// output whatever the cwd, and the data rows in verl's schema from JSONL, Parquet and generated sources.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { exampleDir, readTree, ROOT, siric } from './helpers.js';

const GOLDEN = join(ROOT, 'test/targets/verl/golden');
const update = process.env['UPDATE_GOLDEN'] === '1';

function golden(name: string, actual: string): void {
  const p = join(GOLDEN, name);
  if (update) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(p, actual);
  }
  expect(actual).toBe(readFileSync(p, 'utf8'));
}

/** The model path is resolved on the compiling machine: name the scratch folder `<SRC>`. */
const portable = (text: string, dir: string): string => text.split(dir).join('<SRC>');

describe.each(['siri-1.5b-low', 'siri-1.5b-high', 'dapo-baseline'])('%s', (name) => {
  it('emits the golden overrides', () => {
    const dir = exampleDir(name);
    const r = siric(['compile', join(dir, `${name}.siri`), '--target', 'verl', '-o', join(dir, 'job')]);
    expect(r.code, r.out).toBe(0);
    golden(`${name}.overrides.txt`, portable(readFileSync(join(dir, 'job/overrides.txt'), 'utf8'), dir));
  });
});

describe('the siri-1.5b-low job', () => {
  const dir = exampleDir('siri-1.5b-low');
  const r = siric(['compile', 'siri-1.5b-low.siri', '--target', 'verl', '-o', 'job'], dir);

  it('writes every file of the contract', () => {
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('wrote job/');
    for (const f of ['README.md', 'siri_agent_loops.yaml', 'siri_job.json', 'checkpoints.json', 'run.sh', 'export.sh']) golden(`siri-1.5b-low.${f}`, portable(readFileSync(join(dir, 'job', f), 'utf8'), dir));
    const budget = JSON.parse(readFileSync(join(dir, 'job/siri_budget.json'), 'utf8')) as { by_step: number[]; phase_by_step: number[]; stage: string };
    const ir = JSON.parse(readFileSync(join(dir, 'job/graph.json'), 'utf8')) as { nodes: { type: string; budget?: { by_step: number[]; phase_by_step: number[] } }[] };
    const stage = ir.nodes.find((n) => n.type === 'train')!;
    expect(budget.by_step).toEqual(stage.budget!.by_step);
    expect(budget.phase_by_step).toEqual(stage.budget!.phase_by_step);
    expect(budget.by_step).toHaveLength(800);
  });

  it('gives byte-identical output when compiled again, and from another directory', () => {
    const first = readTree(join(dir, 'job'));
    expect(siric(['compile', join(dir, 'siri-1.5b-low.siri'), '--target', 'verl', '-o', join(dir, 'job')], ROOT).code).toBe(0);
    const again = readTree(join(dir, 'job'));
    expect([...again.keys()]).toEqual([...first.keys()]);
    for (const [f, body] of first) expect(again.get(f)!.equals(body), f).toBe(true);
  });

  it('converts the rows to verl\'s schema, train rows for the budget loop and eval rows for the fixed cap', () => {
    const rows = (f: string) => readFileSync(join(dir, 'job/data', f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const train = rows('deepscaler.train.jsonl');
    expect(train).toHaveLength(300);
    expect(train[1]).toEqual({
      data_source: 'siric/deepscaler',
      prompt: [{ role: 'user', content: "What is 1 + 2? Let's think step by step and output the final answer within \\boxed{}." }],
      ability: 'reasoning',
      reward_model: { style: 'rule', ground_truth: '3' },
      extra_info: { split: 'train', index: 1, dataset: 'deepscaler', answer: '3', origin: 'data/deepscaler.jsonl:2' },
      agent_name: 'siri_budget',
    });
    const val = rows('aime24.all.jsonl');
    expect(val).toHaveLength(30);
    expect(val.every((v) => v['agent_name'] === 'siri_eval' && (v['extra_info'] as { split: string }).split === 'eval')).toBe(true);
  });

  it('refuses to overwrite a folder that is not one of its jobs', () => {
    mkdirSync(join(dir, 'other'));
    writeFileSync(join(dir, 'other/notes.txt'), 'mine');
    const o = siric(['compile', 'siri-1.5b-low.siri', '--target', 'verl', '-o', 'other'], dir);
    expect(o.code).toBe(2);
    expect(o.out).toContain('is not a job written by siric');
    expect(readFileSync(join(dir, 'other/notes.txt'), 'utf8')).toBe('mine');
    expect(siric(['compile', 'siri-1.5b-low.siri', '--target', 'verl'], dir).out).toContain('give it with -o');
  });
});

const PIPE = (source: string): string => `import "std/presets"
import "std/rewards"
pipeline p { seed = 3 }
model policy { source = hf("m") }
dataset d {
  source = ${source}
  prompt = "Q: {question}"
  answer = "{answer}"
}
train rl = presets.grpo with {
  policy = policy
  data = d
  rewards = [rewards.final_answer]
  max_tokens = 256 tokens
  steps = 4 steps
  batch = 8 prompts
  mini_batch = 8 prompts
}
`;

describe('data sources', () => {
  const first = (dir: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, 'job/data/d.train.jsonl'), 'utf8').split('\n')[0]!) as Record<string, unknown>;

  it('reads Parquet like JSON Lines', async () => {
    const dir = exampleDir('dapo-baseline');
    const rows = Array.from({ length: 10 }, (_, i) => ({ question: `${i}+1`, answer: String(i + 1) }));
    parquetWriteFile({ filename: join(dir, 'data/q.parquet'), columnData: [{ name: 'question', data: rows.map((r) => r.question) }, { name: 'answer', data: rows.map((r) => r.answer) }] });
    writeFileSync(join(dir, 'data/q.jsonl'), rows.map((r) => JSON.stringify(r) + '\n').join(''));
    for (const [file, src] of [['pq.siri', 'parquet("data/q.parquet")'], ['jl.siri', 'jsonl("data/q.jsonl")']] as const) {
      writeFileSync(join(dir, file), PIPE(src));
      const r = siric(['compile', file, '--target', 'verl', '-o', `job-${file}`], dir);
      expect(r.code, r.out).toBe(0);
    }
    const a = readFileSync(join(dir, 'job-pq.siri/data/d.train.jsonl'), 'utf8');
    const b = readFileSync(join(dir, 'job-jl.siri/data/d.train.jsonl'), 'utf8');
    expect(a.replace(/q\.parquet#/g, 'q.jsonl:')).toBe(b);
    expect(a.split('\n')[3]).toContain('"content":"Q: 3+1"');
  });

  it('materialises a generated task from the seed', () => {
    const dir = exampleDir('dapo-baseline');
    writeFileSync(join(dir, 'gen.siri'), PIPE('generated("arithmetic", train_size = 64 rows)'));
    expect(siric(['compile', 'gen.siri', '--target', 'verl', '-o', 'job'], dir).code).toBe(0);
    const row = first(dir);
    expect(row['agent_name']).toBe('siri_budget');
    expect(String((row['prompt'] as { content: string }[])[0]!.content)).toMatch(/^Q: /);
    expect(typeof (row['reward_model'] as { ground_truth: string }).ground_truth).toBe('string');
    expect(readFileSync(join(dir, 'job/data/d.train.jsonl'), 'utf8').trim().split('\n')).toHaveLength(64);
    expect(existsSync(join(dir, 'job/overrides.txt'))).toBe(true);
  });
});
