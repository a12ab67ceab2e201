// Checkpoints: weights (safetensors, Hugging Face names) with config.json and the tokenizer's files,
// optimizer moments, and the state needed to continue exactly where the run was (stage, step,
// data position, RNG, how many metric rows were written). A checkpoint is written into a
// temporary folder and renamed into place, and `latest.json` is replaced the same way, so killing
// the process at any moment leaves the previous checkpoint intact.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AdamW } from './optim/adamw.js';
import type { Transformer } from './model/transformer.js';
import { readSafetensors, writeSafetensors } from './model/safetensors.js';
import { writeHfConfig } from './model/hf-config.js';
import type { HostTensor, Tokenizer } from './types.js';
import { RunError } from './types.js';

export interface ResumeState {
  /** Id of the stage the checkpoint was taken in, and how many of its steps were done. */
  stage: string;
  step: number;
  global_step: number;
  /** True when the stage had finished (resume starts the next one). */
  stage_done: boolean;
  data: { epoch: number; pos: number };
  /** Seed and step from which every random stream is derived. */
  rng: { seed: number; step: number };
  optimizer_step: number;
  metrics_rows: number;
  samples_rows: number;
  evals_done: string[];
}

export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export async function saveCheckpoint(dir: string, name: string, m: { model: Transformer; tokenizer: Tokenizer; optimizer?: AdamW; state: ResumeState }): Promise<string> {
  const root = path.join(dir, 'checkpoints');
  fs.mkdirSync(root, { recursive: true });
  const final = path.join(root, name);
  // Read everything back from the backend first: nothing on disk changes while we wait.
  const weights = await m.model.exportWeights();
  const o = m.optimizer ? await m.optimizer.exportState() : undefined;
  const tmp = path.join(root, `.tmp-${name}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  writeSafetensors(path.join(tmp, 'model.safetensors'), weights, { metadata: { format: 'pt' } });
  writeHfConfig(tmp, m.model.config);
  // tokenizer.json, and for a Hugging Face tokenizer its tokenizer_config.json, as they were read.
  for (const [file, text] of Object.entries(m.tokenizer.files())) fs.writeFileSync(path.join(tmp, file), text);
  if (o) {
    const tensors: Record<string, HostTensor> = {};
    for (const [k, v] of Object.entries(o.m)) tensors[`m.${k}`] = { shape: [v.length], data: v };
    for (const [k, v] of Object.entries(o.v)) tensors[`v.${k}`] = { shape: [v.length], data: v };
    writeSafetensors(path.join(tmp, 'optimizer.safetensors'), tensors, { metadata: { step: String(o.step) } });
  }
  fs.writeFileSync(path.join(tmp, 'state.json'), JSON.stringify(m.state, null, 2) + '\n');
  // Swap in: the old copy (if any) is moved aside first and removed only after the rename.
  const old = path.join(root, `.old-${name}-${process.pid}`);
  if (fs.existsSync(final)) fs.renameSync(final, old);
  fs.renameSync(tmp, final);
  fs.rmSync(old, { recursive: true, force: true });
  writeJsonAtomic(path.join(root, 'latest.json'), { name, global_step: m.state.global_step });
  return final;
}

export interface LoadedCheckpoint {
  dir: string;
  weights: Record<string, HostTensor>;
  optimizer?: { step: number; m: Record<string, Float32Array>; v: Record<string, Float32Array> };
  state: ResumeState;
}

export function latestCheckpoint(runDir: string): string {
  const file = path.join(runDir, 'checkpoints', 'latest.json');
  if (!fs.existsSync(file)) throw new RunError(`${runDir} has no checkpoint to resume from`, 'a run writes one at its first checkpoint step or when stopped with Ctrl-C');
  const { name } = JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string };
  return path.join(runDir, 'checkpoints', name);
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const read = (f: string): string => {
    try {
      return fs.readFileSync(path.join(dir, f), 'utf8');
    } catch {
      throw new RunError(`the checkpoint ${dir} has no ${f}`);
    }
  };
  const state = JSON.parse(read('state.json')) as ResumeState;
  const weights = readSafetensors(path.join(dir, 'model.safetensors')).tensors;
  const out: LoadedCheckpoint = { dir, weights, state };
  const optFile = path.join(dir, 'optimizer.safetensors');
  if (fs.existsSync(optFile)) {
    const { tensors, metadata } = readSafetensors(optFile);
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const [k, t] of Object.entries(tensors)) {
      if (k.startsWith('m.')) m[k.slice(2)] = t.data;
      else if (k.startsWith('v.')) v[k.slice(2)] = t.data;
    }
    out.optimizer = { step: Number(metadata['step'] ?? 0), m, v };
  }
  return out;
}
