// docs/rewards.md's examples work as printed: its reward declaration and eval compile in a
// pipeline, and its TypeScript module loads and judges as the page says.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { compileFile } from '../../src/compiler.js';
import type { IREval, IRReward } from '../../src/ir/graph.js';
import { buildRewards } from '../../src/runtime/rewards/index.js';

const DOC = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/rewards.md'), 'utf8');
const blocks = (lang: string): string[] => [...DOC.matchAll(new RegExp('^ *```' + lang + '\\n([\\s\\S]*?)^ *```$', 'gm'))].map((m) => m[1]!.replace(/^ {2}/gm, ''));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-rewards-doc-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('the reward, the eval and the module of docs/rewards.md run as printed', async () => {
  const [reward, evalDecl] = blocks('siri');
  const [module] = blocks('ts');
  fs.mkdirSync(path.join(dir, 'rewards'));
  fs.writeFileSync(path.join(dir, 'rewards', 'hash.ts'), module!);
  fs.writeFileSync(path.join(dir, 'sums.jsonl'), '{"q": "1+1", "a": "2"}\n{"q": "2+2", "a": "4"}\n');
  const file = path.join(dir, 'doc.siri');
  const text = `pipeline doc {\n  seed = 1\n}\n\nmodel policy {\n  source = scratch(layers = 1, d_model = 16, heads = 2, context = 64 tokens)\n  tokenizer = chars\n}\n\ndataset sums {\n  source = jsonl("sums.jsonl")\n  prompt = "{q}="\n  answer = "{a}"\n  response = "#{a}"\n}\n\n${reward}\ntrain warmup {\n  algorithm = sft\n  policy = policy\n  data = sums\n  steps = 1 steps\n  max_tokens = 8 tokens\n}\n\n${evalDecl}`;
  fs.writeFileSync(file, text);
  const out = compileFile(file, { mode: 'compile' });
  expect(out.diagnostics).toEqual([]);
  const node = out.ir!.nodes.find((n): n is IRReward => n.type === 'reward')!;
  expect((out.ir!.nodes.find((n) => n.type === 'eval') as IREval).judge).toBe(node.id);
  const set = await buildRewards([node], { baseDir: dir });
  try {
    const b = await set.score(['so # 4', 'so #5', '4'].map((response) => ({ prompt: '2+2=', response, answer: '4', truncated: false, length: response.length, budget: 8 })));
    expect(b.total).toEqual([1, 0, 0]);
    expect(b.correct).toEqual([true, false, false]);
  } finally {
    await set.close?.();
  }
});
