// The training benchmark behind `siric bench` and `npm run bench:train`: what the runtime does on
// this machine, and the same work in PyTorch when it is installed, measured in the same run. Per
// backend and preset: one training step (forward, cross-entropy, backward, AdamW) with its
// tokens/s, KV-cache sampling tokens/s, one GRPO update (clipped surrogate), and the matmul rate.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { PACKAGE_ROOT } from '../util/package-root.js';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { assertDeviceHealthy, selectBackend } from '../runtime/backend.js';
import { configFromScratch } from '../runtime/model/hf-config.js';
import { buildMask, Transformer } from '../runtime/model/transformer.js';
import { AdamW } from '../runtime/optim/adamw.js';
import { policyLoss, targetLogProbs, tokenLogProbs } from '../runtime/rl/loss.js';
import { sample } from '../runtime/rl/sampler.js';
import { GradientStep } from '../runtime/optim/gradient-step.js';
import type { GraphInputSpec, StepGraphStatus } from '../runtime/webgpu/graph.js';
import { Rng } from '../runtime/rng.js';

interface Preset {
  vocab: number;
  d_model: number;
  layers: number;
  heads: number;
  kv_heads: number;
  ffn: number;
  tokens: number;
  batch: number;
  prompt: number;
  new_tokens: number;
}

/** tiny: the reference config of the design notes; small: about 1M parameters; medium: about 5M. */
export const PRESETS: Record<string, Preset> = {
  tiny: { vocab: 32, d_model: 64, layers: 2, heads: 4, kv_heads: 4, ffn: 256, tokens: 64, batch: 128, prompt: 8, new_tokens: 56 },
  small: { vocab: 64, d_model: 128, layers: 4, heads: 4, kv_heads: 4, ffn: 512, tokens: 128, batch: 64, prompt: 16, new_tokens: 112 },
  medium: { vocab: 256, d_model: 256, layers: 6, heads: 8, kv_heads: 4, ffn: 1024, tokens: 256, batch: 16, prompt: 32, new_tokens: 224 },
};

/** The MLP language model of ../shared/gpu/README.md's measurements: a pure matmul-bound step. */
export const MLP_PRESET = { model: 'mlp', vocab: 2048, d_model: 512, tokens: 128, batch: 64 } as const;
export interface MlpSizes { vocab: number; d_model: number; tokens: number; batch: number }

/** Every preset name `siric bench --preset` takes. */
export const PRESET_NAMES = [...Object.keys(PRESETS), 'mlp'];

/** Warm-up runs of a step that goes through a step graph: on webgpu it records (two runs or more) before it replays. */
const graphWarmUp = (): number => (tf.getBackend() === 'webgpu' ? 4 : 1);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
async function timed(fn: () => void | Promise<void>, n: number, warm = 1): Promise<number> {
  // Warm-up: kernels compile, buffers are allocated (and step graphs record: graphWarmUp).
  for (let i = 0; i < warm; i++) await fn();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ts.push((performance.now() - t0) / 1000);
  }
  return median(ts);
}

/** A preset's transformer, randomly initialised (seed 0). */
export function makeModel(p: Preset): Transformer {
  const cfg = configFromScratch(
    { kind: 'scratch', layers: p.layers, d_model: p.d_model, heads: p.heads, kv_heads: p.kv_heads, ffn: p.ffn, context: p.tokens + p.new_tokens + p.prompt, tie_embeddings: true, rope_theta: 10000, norm_eps: 1e-6 },
    p.vocab,
    { bos: 1, eos: 2, pad: 0 },
    'float32',
  );
  return new Transformer(cfg, undefined, 0);
}

/** One training step (cross-entropy, AdamW) of a preset's transformer, for the profiler. */
export function buildTrainStep(p: Preset): { step: () => Promise<void>; dispose: () => void; status: () => StepGraphStatus } {
  const m = makeModel(p);
  const opt = new AdamW(m.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  const rng = new Rng(0);
  const [B, T] = [p.batch, p.tokens];
  const ids = Int32Array.from({ length: B * T }, () => 3 + rng.int(p.vocab - 3));
  const tgt = Int32Array.from({ length: B * T }, () => 3 + rng.int(p.vocab - 3));
  const pos = Int32Array.from({ length: B * T }, (_, i) => i % T);
  const train = new GradientStep({
    params: m.params,
    optimizer: opt,
    inputs: { ids: int2d(B, T), pos: int2d(B, T), tgt: int2d(B, T) },
    loss: (x) => {
      const { logits } = m.forward({ ids: x.ids as tf.Tensor2D, positions: x.pos as tf.Tensor2D, mask: buildMask([new Uint8Array(T).fill(1)], 0, T) });
      return { loss: tf.neg(tf.mean(tokenLogProbs(logits, x.tgt as tf.Tensor2D).logp)) as tf.Scalar };
    },
  });
  const step = async (): Promise<void> => {
    await train.run({ ids, pos, tgt }, 1e-3).loss.data();
  };
  return { step, dispose: () => (train.dispose(), opt.dispose(), m.dispose()), status: () => train.status() };
}

const int2d = (B: number, T: number): GraphInputSpec => ({ shape: [B, T], dtype: 'int32' });
const float = (...shape: number[]): GraphInputSpec => ({ shape, dtype: 'float32' });

export async function measure(backend: string, name: string, p: Preset, n: number) {
  const m = makeModel(p);
  const opt = new AdamW(m.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  const rng = new Rng(0);
  const B = p.batch;
  const T = p.tokens;
  const ids = Int32Array.from({ length: B * T }, () => 3 + rng.int(p.vocab - 3));
  const tgt = Int32Array.from({ length: B * T }, () => 3 + rng.int(p.vocab - 3));
  const pos = Int32Array.from({ length: B * T }, (_, i) => i % T);
  const full = [new Uint8Array(T).fill(1)]; // one causal mask broadcast over the batch
  const forwardLogp = (x: Record<'ids' | 'pos' | 'tgt', tf.Tensor>) => {
    const { logits } = m.forward({ ids: x.ids as tf.Tensor2D, positions: x.pos as tf.Tensor2D, mask: buildMask(full, 0, T) });
    return tokenLogProbs(logits, x.tgt as tf.Tensor2D);
  };
  const inputs = { ids: int2d(B, T), pos: int2d(B, T), tgt: int2d(B, T) };
  const values = { ids, pos, tgt };
  // Both steps go through step graphs: on webgpu recorded and replayed (webgpu/graph.ts).
  const before = tf.memory().numTensors;
  const trainStep = new GradientStep({ params: m.params, optimizer: opt, inputs, loss: (x) => ({ loss: tf.neg(tf.mean(forwardLogp(x).logp)) as tf.Scalar }) });
  const train = await timed(async () => void (await trainStep.run(values, 1e-3).loss.data()), n, graphWarmUp());
  const graph = trainStep.status();
  trainStep.dispose();
  const old = tf.tidy(() => forwardLogp({ ids: tf.tensor2d(ids, [B, T], 'int32'), pos: tf.tensor2d(pos, [B, T], 'int32'), tgt: tf.tensor2d(tgt, [B, T], 'int32') }).logp);
  const oldValues = (await old.data()) as Float32Array;
  old.dispose();
  const adv = Float32Array.from({ length: B }, () => rng.normal());
  const grpoStep = new GradientStep({
    params: m.params,
    optimizer: opt,
    inputs: { ...inputs, old: float(B, T), adv: float(B), mask: float(B, T) },
    loss: (x) => ({ loss: policyLoss({ logpNew: forwardLogp(x).logp, logpOld: x.old as tf.Tensor2D, advantages: x.adv as tf.Tensor1D, mask: x.mask as tf.Tensor2D, clipLow: 0.2, clipHigh: 0.28, agg: 'token_mean' }).loss }),
  });
  const grpoValues = { ...values, old: oldValues, adv, mask: new Float32Array(B * T).fill(1) };
  const grpo = await timed(async () => void (await grpoStep.run(grpoValues, 1e-3).loss.data()), n, graphWarmUp());
  grpoStep.dispose();
  const prompts = Array.from({ length: B }, () => Array.from({ length: p.prompt }, () => 3 + rng.int(p.vocab - 3)));
  // eos = -1: never stop early, so every run generates exactly new_tokens per sequence.
  const samp = await timed(async () => void (await sample(m, prompts, { maxNew: p.new_tokens, eos: -1, pad: 0, greedy: false, temperature: 1, topP: 1, topK: 0, rng })), Math.max(1, Math.ceil(n / 2)));
  const leaked = tf.memory().numTensors - before;
  assertDeviceHealthy();
  const gflops = await matmulRate(tf.getBackend() === 'webgpu' ? 4096 : 512, Math.max(1, Math.ceil(n / 2)));
  opt.dispose();
  m.dispose();
  return {
    backend,
    preset: name,
    params: (p.layers * (4 * p.d_model * p.d_model + 3 * p.d_model * p.ffn) + p.vocab * p.d_model),
    train_step_s: train,
    train_tokens_per_s: (B * T) / train,
    grpo_update_s: grpo,
    sample_s: samp,
    sample_tokens_per_s: (B * p.new_tokens) / samp,
    matmul_gflops: gflops,
    leaked_tensors: leaked,
    step_graph: graph,
  };
}

/** One training step of the MLP language model: embedding → 4× ReLU MLP → untied output layer, cross-entropy, Adam. */
export async function measureMlp(backend: string, n: number) {
  const before = tf.memory().numTensors;
  const { step, dispose, params, status } = buildMlpStep();
  const s = await timed(step, n, graphWarmUp());
  assertDeviceHealthy();
  const graph = status();
  dispose();
  const leaked = tf.memory().numTensors - before;
  const { tokens: T, batch: B } = MLP_PRESET;
  return { backend, preset: 'mlp', params, train_step_s: s, train_tokens_per_s: (B * T) / s, leaked_tensors: leaked, step_graph: graph };
}

/** The MLP step as a function (for the benchmark and the profiler) and what frees its tensors. */
export function buildMlpStep(sizes: MlpSizes = MLP_PRESET): { step: () => Promise<void>; dispose: () => void; status: () => StepGraphStatus; params: number } {
  const { vocab: V, d_model: D, tokens: T, batch: B } = sizes;
  const rng = new Rng(0);
  const init = (shape: number[], std: number): tf.Variable => {
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * std);
    return tf.tidy(() => tf.variable(tf.tensor(data, shape), true)); // the initial tensor freed with it
  };
  const w = new Map<string, tf.Variable>([
    ['emb', init([V, D], 0.02)],
    ['w1', init([D, 4 * D], 1 / Math.sqrt(D))],
    ['b1', init([4 * D], 0)],
    ['w2', init([4 * D, D], 1 / Math.sqrt(4 * D))],
    ['b2', init([D], 0)],
    ['w3', init([D, V], 1 / Math.sqrt(D))],
    ['b3', init([V], 0)],
  ]);
  const opt = new AdamW(w, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  // Targets as token ids and the loss as siric computes token log-probs (on webgpu one row kernel
  // each way), like PyTorch's F.cross_entropy in the reference.
  const tgt = Int32Array.from({ length: B * T }, () => rng.int(V));
  const train = new GradientStep({
    params: w,
    optimizer: opt,
    inputs: { ids: { shape: [B * T], dtype: 'int32' }, tgt: int2d(B, T) },
    loss: (x) => {
      const e = tf.gather(w.get('emb')!, x.ids!);
      const h = tf.relu(tf.add(tf.matMul(e, w.get('w1')!), w.get('b1')!));
      const y = tf.add(tf.matMul(h, w.get('w2')!), w.get('b2')!);
      const logits = tf.add(tf.matMul(y, w.get('w3')!), w.get('b3')!).reshape([B, T, V]) as tf.Tensor3D;
      return { loss: tf.neg(tf.mean(targetLogProbs(logits, x.tgt as tf.Tensor2D))) as tf.Scalar };
    },
  });
  const step = async (): Promise<void> => {
    await train.run({ ids, tgt }, 1e-3).loss.data();
  };
  return {
    step,
    status: () => train.status(),
    dispose: () => {
      train.dispose();
      opt.dispose();
      tf.dispose([...w.values()]);
    },
    params: V * D * 2 + 8 * D * D + 5 * D + V,
  };
}

/** `device`: cuda when the runtime's numbers come from a GPU backend (used only if PyTorch sees one). */
export function torchReference(name: string, p: Preset | typeof MLP_PRESET, n: number, device: 'cpu' | 'cuda' = 'cpu'): Record<string, unknown> | { unavailable: string } {
  const script = path.join(PACKAGE_ROOT, 'src', 'bench', 'torch_reference.py');
  for (const py of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0) continue;
    const r = spawnSync(py, [script, JSON.stringify({ ...p, reps: n, threads: cpus().length, device })], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(cpus().length) } });
    if (r.status !== 0) return { unavailable: `the PyTorch reference failed: ${r.stderr.trim().split('\n').pop()}` };
    return { preset: name, python: py, ...(JSON.parse(r.stdout) as Record<string, unknown>) };
  }
  return { unavailable: 'PyTorch is not installed (on Debian: apt-get install python3-torch); no reference measured' };
}


/** GFLOP/s of a square float32 matmul of size n on the current backend. */
async function matmulRate(n: number, reps: number): Promise<number> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  // A chain of products read back once, so that a GPU's read-back latency is not what is timed.
  const chain = tf.getBackend() === 'webgpu' ? 10 : 1;
  const s = await timed(async () => {
    let c: tf.Tensor | undefined;
    for (let i = 0; i < chain; i++) {
      c?.dispose();
      c = tf.matMul(a, b);
    }
    await c!.data();
    c!.dispose();
  }, reps);
  tf.dispose([a, b]);
  return (2 * n * n * n * chain) / s / 1e9;
}

export interface BenchOptions {
  backends: string[];
  presets: string[];
  reps: number;
  /** Presets for the (slow) cpu backend, when they should differ from `presets`. */
  cpuPresets?: string[];
}

export interface BenchReport {
  meta: Record<string, string | number>;
  results: Record<string, unknown>[];
  torch: Record<string, unknown>[];
  skipped: string[];
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const results: Record<string, unknown>[] = [];
  const skipped: string[] = [];
  for (const backend of o.backends) {
    let device: string;
    try {
      device = (await selectBackend(backend as 'wasm' | 'cpu' | 'webgpu')).device;
    } catch (e) {
      skipped.push(`${backend}: ${(e as Error).message}`);
      continue;
    }
    // The cpu backend is an order of magnitude slower: one timed repetition is enough to see it.
    for (const name of backend === 'cpu' && o.cpuPresets ? o.cpuPresets : o.presets) {
      const reps = backend === 'cpu' ? 1 : o.reps;
      results.push({ ...(name === 'mlp' ? await measureMlp(backend, reps) : await measure(backend, name, PRESETS[name]!, reps)), device });
    }
  }
  const gpu = results.some((r) => r['backend'] === 'webgpu' || r['backend'] === 'tensorflow');
  const torch = o.presets.map((name) => torchReference(name, name === 'mlp' ? MLP_PRESET : PRESETS[name]!, o.reps, gpu ? 'cuda' : 'cpu'));
  const meta = { date: new Date().toISOString().slice(0, 10), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, tfjs: tf.version.tfjs };
  return { meta, results, torch, skipped };
}

export function renderBench(r: BenchReport): string {
  const out: string[] = [`siric bench  ${r.meta['date']}  ${r.meta['cpu']} × ${r.meta['cores']}  node ${r.meta['node']}  tfjs ${r.meta['tfjs']}`];
  const rows = [['backend', 'preset', 'params', 'train step', 'train tok/s', 'GRPO update', 'sample tok/s', 'matmul', 'vs PyTorch (step)', 'vs PyTorch (sampling)']];
  for (const x of r.results as Record<string, number & string>[]) {
    const t = r.torch.find((y) => (y as { preset?: string }).preset === x['preset']) as Record<string, number> | undefined;
    rows.push([
      String(x['backend']),
      String(x['preset']),
      `${(Number(x['params']) / 1e6).toFixed(2)}M`,
      `${(x['train_step_s'] * 1000).toFixed(0)} ms`,
      Math.round(x['train_tokens_per_s']).toString(),
      x['grpo_update_s'] === undefined ? '-' : `${(x['grpo_update_s'] * 1000).toFixed(0)} ms`,
      x['sample_tokens_per_s'] === undefined ? '-' : Math.round(x['sample_tokens_per_s']).toString(),
      x['matmul_gflops'] === undefined ? '-' : `${Number(x['matmul_gflops']).toFixed(1)} GFLOP/s`,
      t && 'train_step_s' in t ? `${(x['train_step_s'] / t['train_step_s']!).toFixed(2)}x time` : '-',
      t && t['sample_tokens_per_s'] !== undefined && x['sample_tokens_per_s'] !== undefined ? `${(x['sample_tokens_per_s'] / t['sample_tokens_per_s']).toFixed(2)}x speed` : '-',
    ]);
  }
  for (const t of r.torch as Record<string, number & string>[]) {
    if ('unavailable' in t) rows.push(['pytorch', '-', '-', String(t['unavailable']), '', '', '', '', '', '']);
    else rows.push([`pytorch ${t['torch']} ${t['device']}`, String(t['preset']), '-', `${(t['train_step_s'] * 1000).toFixed(0)} ms`, Math.round(t['train_tokens_per_s']).toString(), '-', t['sample_tokens_per_s'] === undefined ? '-' : Math.round(t['sample_tokens_per_s']).toString(), '-', '1.00x', t['sample_tokens_per_s'] === undefined ? '-' : '1.00x']);
  }
  const w = rows[0]!.map((_, i) => rows.reduce((m, row) => Math.max(m, (row[i] ?? '').length), 0));
  for (const row of rows) out.push(row.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd());
  for (const s of r.skipped) out.push(`skipped ${s}`);
  // Whether the timed steps were replayed (webgpu step graphs), and if not, why.
  for (const x of r.results as { backend: string; preset: string; step_graph?: StepGraphStatus }[]) {
    const g = x.step_graph;
    if (!g || x.backend !== 'webgpu') continue;
    out.push(`${x.backend} ${x.preset}: training step ${g.ready ? `replayed as a step graph (${g.dispatches} dispatches; ${g.replayed} replayed, ${g.eager} through tfjs)` : `not replayed (${g.reason ?? 'graphs off'})`}`);
  }
  return out.join('\n') + '\n';
}
