// A run records the sha256 of every file it reads (data, reward modules, model config and weights,
// tokenizer files); --resume and --from refuse a file that changed since, naming it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../../src/compiler.js';
import type { IRModel } from '../../../src/ir/graph.js';
import { execute } from '../../../src/runtime/executor/index.js';
import { assertInputsUnchanged, hashInputs, inputFilesOf } from '../../../src/runtime/input-hashes.js';
import { RunError } from '../../../src/runtime/types.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/runtime/', import.meta.url));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-inputs-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

// tiny.siri on a JSON Lines file instead of a generated task, with its reward module next to it.
const ROWS = Array.from({ length: 24 }, (_, i) => JSON.stringify({ question: `${i % 7}+${i % 5}=`, answer: String((i % 7) + (i % 5)) })).join('\n') + '\n';
beforeAll(() => {
  const src = fs.readFileSync(path.join(FIXTURES, 'tiny.siri'), 'utf8').replace(/^dataset arith = .*$/m, 'dataset arith {\n  source = jsonl("rows.jsonl")\n  prompt = "{question}"\n  answer = "{answer}"\n  response = "{answer}"\n  holdout = 4 rows\n}');
  fs.writeFileSync(path.join(work, 'tiny.siri'), src);
  fs.writeFileSync(path.join(work, 'rows.jsonl'), ROWS);
  fs.copyFileSync(path.join(FIXTURES, 'flaky-reward.mjs'), path.join(work, 'flaky-reward.mjs'));
});

const run = (o: { maxSteps?: number; resumeDir?: string; fromCheckpoint?: string; sets?: string[] }) => {
  const ir = compileFile(path.join(work, 'tiny.siri'), { mode: 'compile', sets: o.sets ?? [] }).ir!;
  return execute({ ir, baseDir: work, outDir: path.join(work, 'runs'), sink: () => {}, ...o });
};
const refusal = async (p: Promise<unknown>): Promise<RunError> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RunError);
  return e as RunError;
};

describe('input hashes', () => {
  it('records the data file and the reward module in manifest.json; --resume refuses either when changed', async () => {
    const { runDir } = await run({ maxSteps: 1 });
    const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.inputs).sort()).toEqual(['flaky-reward.mjs', 'rows.jsonl']);
    expect(manifest.inputs['rows.jsonl'].sha256).toMatch(/^[0-9a-f]{64}$/);

    // One row's answer edited, same length: the run would continue on different data.
    fs.writeFileSync(path.join(work, 'rows.jsonl'), ROWS.replace('"answer":"0"', '"answer":"9"'));
    const e = await refusal(run({ maxSteps: 1, resumeDir: runDir }));
    expect(e.code).toBe('R0203');
    expect(e.message).toContain(`rows.jsonl changed since ${runDir} started`);
    fs.writeFileSync(path.join(work, 'rows.jsonl'), ROWS);

    fs.appendFileSync(path.join(work, 'flaky-reward.mjs'), '// edited\n');
    expect((await refusal(run({ maxSteps: 1, resumeDir: runDir }))).message).toContain('flaky-reward.mjs changed');
    fs.copyFileSync(path.join(FIXTURES, 'flaky-reward.mjs'), path.join(work, 'flaky-reward.mjs'));

    expect((await run({ maxSteps: 1, resumeDir: runDir })).status).toBe('stopped'); // as they were: resumes
  }, 60_000);

  it('--from refuses a data file that changed since the source run read it', async () => {
    const a = await run({ maxSteps: 3 }); // stops at warmup-end
    fs.writeFileSync(path.join(work, 'rows.jsonl'), ROWS.replace('"answer":"0"', '"answer":"9"'));
    const e = await refusal(run({ fromCheckpoint: path.join(a.runDir, 'checkpoints', 'warmup-end'), sets: ['rl.lr=3e-3'], maxSteps: 1 }));
    expect(e.code).toBe('R0203');
    expect(e.message).toMatch(/cannot start from .*warmup-end: rows\.jsonl changed since/);
    fs.writeFileSync(path.join(work, 'rows.jsonl'), ROWS);
  }, 60_000);

  it('hashes a model folder\'s config, weights and tokenizer files, and names a flipped weight file', () => {
    const dir = path.join(work, 'model');
    fs.mkdirSync(dir);
    for (const f of ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json', 'README.md']) fs.writeFileSync(path.join(dir, f), `${f} contents`);
    const node: IRModel = { id: 'model.m', type: 'model', name: 'm', source: { kind: 'hf', path: 'model' }, tokenizer: { kind: 'hf', path: 'model' }, chat_template: 'auto', dtype: 'float32' };
    const files = inputFilesOf(node, work);
    expect(files).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json'].map((f) => path.join('model', f)));
    const recorded = hashInputs(files, work);
    assertInputsUnchanged(recorded, files, work, 'then', 'hint');
    fs.writeFileSync(path.join(dir, 'model-00002-of-00002.safetensors'), 'model-00002-of-00002.safetensorZ contents');
    expect(() => assertInputsUnchanged(recorded, files, work, 'then', 'hint')).toThrow(/model-00002-of-00002\.safetensors changed since then/);
  });
});

describe('model and tokenizer folders that cannot be read', () => {
  const pipeline = (model: string): string => fs.readFileSync(path.join(work, 'tiny.siri'), 'utf8').replace(/^model policy \{[^}]*\}/m, model);
  const tryRun = async (src: string): Promise<RunError> => {
    fs.writeFileSync(path.join(work, 'rows.jsonl'), ROWS);
    fs.writeFileSync(path.join(work, 'bad.siri'), src);
    const ir = compileFile(path.join(work, 'bad.siri'), { mode: 'compile' }).ir!;
    return refusal(execute({ ir, baseDir: work, outDir: path.join(work, 'runs'), sink: () => {}, maxSteps: 1 }));
  };

  it('a malformed config.json is R0108, a malformed tokenizer.json R0109, each naming the file', async () => {
    fs.mkdirSync(path.join(work, 'broken'), { recursive: true });
    fs.writeFileSync(path.join(work, 'broken', 'config.json'), '{"model_type": "llama",');
    fs.writeFileSync(path.join(work, 'broken', 'tokenizer.json'), '{"model": ');
    const m = await tryRun(pipeline('model policy {\n  source = hf("broken")\n  tokenizer = chars\n}'));
    expect(m.code).toBe('R0108');
    expect(m.message).toContain('config.json');
    const t = await tryRun(pipeline('model policy {\n  source = hf("broken")\n}'));
    expect(t.code).toBe('R0109');
    expect(t.message).toContain('tokenizer.json');
  });
});
