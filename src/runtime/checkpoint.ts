// Checkpoints: weights (safetensors, Hugging Face names) with config.json and the tokenizer's files,
// optimizer moments, and the state needed to continue exactly where the run was (stage, step,
// data position, RNG, how many metric rows were written), and `checksums.json`: each file's sha256,
// verified when the checkpoint is loaded.
//
// Saving is safe against a kill at any instant (the kill test in test/cli/crash-save.test.ts
// stops the process at each rename and write of a save):
//   1. everything goes into `.tmp-NAME-UUID/`, each file fsynced, `checksums.json` last;
//   2. an existing `NAME/` is renamed to `.old-NAME-UUID/`;
//   3. `.tmp-NAME-UUID/` is renamed to `NAME/`;
//   4. `latest.json` is replaced (a temporary file, fsynced, renamed over it);
//   5. `.old-NAME-UUID/` is removed, and `index.json` (name → stage, step, SIRI label) updated.
// Killed between 2 and 3, `NAME/` is missing but `.old-NAME-*` is complete: `recoverCheckpoints`
// moves it back at the next start and removes the other leftovers, never the only complete copy.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AdamW } from './optim/adamw.js';
import type { Transformer } from './model/transformer.js';
import { readSafetensors, writeSafetensors } from './model/safetensors.js';
import { writeHfConfig } from './model/hf-config.js';
import { sha256File } from './file-hash.js';
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

/** Written with every checkpoint, last: its presence means the folder is complete. */
const CHECKSUMS = 'checksums.json';

interface Checksums {
  files: Record<string, { sha256: string; bytes: number }>;
}

/** Where a checkpoint was taken, for `checkpoints/index.json` (SIRI-low/high stay findable). */
export interface CheckpointInfo {
  stage: string;
  siri: 'low' | 'high' | null;
}

function writeDurable(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncPath(p: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the renames are still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeDurable(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
  fsyncPath(path.dirname(file));
}

export async function saveCheckpoint(dir: string, name: string, m: { model: Transformer; tokenizer: Tokenizer; optimizer?: AdamW; state: ResumeState }, info?: CheckpointInfo): Promise<string> {
  const root = path.join(dir, 'checkpoints');
  fs.mkdirSync(root, { recursive: true });
  const final = path.join(root, name);
  // Read everything back from the backend first: nothing on disk changes while we wait.
  const weights = await m.model.exportWeights();
  const o = m.optimizer ? await m.optimizer.exportState() : undefined;
  const id = randomUUID();
  const tmp = path.join(root, `.tmp-${name}-${id}`);
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
  writeDurable(path.join(tmp, 'state.json'), JSON.stringify(m.state, null, 2) + '\n');
  const sums: Checksums = { files: {} };
  for (const f of fs.readdirSync(tmp).sort()) {
    fsyncPath(path.join(tmp, f));
    sums.files[f] = { sha256: sha256File(path.join(tmp, f)), bytes: fs.statSync(path.join(tmp, f)).size };
  }
  writeDurable(path.join(tmp, CHECKSUMS), JSON.stringify(sums, null, 2) + '\n');
  fsyncPath(tmp);
  // Swap in: the old copy (if any) is moved aside first and removed only after latest.json is replaced.
  const old = path.join(root, `.old-${name}-${id}`);
  if (fs.existsSync(final)) fs.renameSync(final, old);
  fs.renameSync(tmp, final);
  fsyncPath(root);
  writeJsonAtomic(path.join(root, 'latest.json'), { name, global_step: m.state.global_step });
  fs.rmSync(old, { recursive: true, force: true });
  if (info) {
    const index = readIndex(root);
    index.checkpoints[name] = { stage: info.stage, step: m.state.step, global_step: m.state.global_step, siri: info.siri };
    writeJsonAtomic(path.join(root, 'index.json'), index);
  }
  return final;
}

interface CheckpointIndex {
  checkpoints: Record<string, { stage: string; step: number; global_step: number; siri: 'low' | 'high' | null }>;
}

function readIndex(root: string): CheckpointIndex {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(root, 'index.json'), 'utf8')) as CheckpointIndex;
    if (v && typeof v.checkpoints === 'object') return v;
  } catch {
    // none yet, or cut short by a kill before this version wrote it atomically: rebuilt from here on
  }
  return { checkpoints: {} };
}

/** True when the folder has checksums.json and every file it lists, with its size. */
function isComplete(dir: string): boolean {
  try {
    const sums = JSON.parse(fs.readFileSync(path.join(dir, CHECKSUMS), 'utf8')) as Checksums;
    return Object.entries(sums.files).every(([f, s]) => fs.statSync(path.join(dir, f)).size === s.bytes);
  } catch {
    return false;
  }
}

/**
 * After a kill in the middle of a save: moves a complete `.old-NAME-*` back when `NAME` is missing,
 * and removes `.tmp-*` folders, `.old-*` copies of existing checkpoints and temporary JSON files.
 */
export function recoverCheckpoints(runDir: string): void {
  const root = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(root)) return;
  const entries = fs.readdirSync(root).sort();
  for (const e of entries) {
    const m = /^\.old-(.+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.exec(e);
    if (!m) continue;
    const final = path.join(root, m[1]!);
    const aside = path.join(root, e);
    if (!fs.existsSync(final) && isComplete(aside)) fs.renameSync(aside, final);
    else if (isComplete(final) || !isComplete(aside)) fs.rmSync(aside, { recursive: true, force: true });
  }
  for (const e of entries) {
    if (e.startsWith('.tmp-') || /^(latest|index)\.json\.\d+\.tmp$/.test(e)) fs.rmSync(path.join(root, e), { recursive: true, force: true });
  }
  fsyncPath(root);
}

export interface LoadedCheckpoint {
  dir: string;
  weights: Record<string, HostTensor>;
  optimizer?: { step: number; m: Record<string, Float32Array>; v: Record<string, Float32Array> };
  state: ResumeState;
}

export function latestCheckpoint(runDir: string): string {
  const root = path.join(runDir, 'checkpoints');
  const file = path.join(root, 'latest.json');
  if (!fs.existsSync(file)) {
    // Killed in its first save after the checkpoint was in place but before latest.json was.
    const good = lastGood(root);
    if (good) return path.join(root, good.name);
    throw new RunError(`${runDir} has no checkpoint to resume from`, 'a run writes one at its first checkpoint step or when stopped with Ctrl-C', 'R0204');
  }
  let name: unknown;
  try {
    name = (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown }).name;
  } catch (e) {
    throw new RunError(`${file} is not valid JSON (${(e as Error).message}): it was cut short`, lastGoodHint(root, file), 'R0205');
  }
  // A folder directly inside checkpoints/: never `..`, a path, or a hidden leftover of a save.
  if (typeof name !== 'string' || name === '' || name.startsWith('.') || /[/\\]/.test(name)) {
    throw new RunError(`${file} names ${JSON.stringify(name)}, which is not a checkpoint folder directly inside ${root}`, lastGoodHint(root, file), 'R0207');
  }
  return path.join(root, name);
}

/** The complete checkpoint with the highest step, other than `except`. */
function lastGood(root: string, except?: string): { name: string; global_step: number } | undefined {
  let best: { name: string; global_step: number } | undefined;
  for (const e of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    const dir = path.join(root, e);
    if (e.startsWith('.') || dir === except || !isComplete(dir)) continue;
    try {
      const st = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as ResumeState;
      if (!best || st.global_step > best.global_step) best = { name: e, global_step: st.global_step };
    } catch {
      // not a good one
    }
  }
  return best;
}

const shellQuote = (s: string): string => (/^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** How to continue from the last good checkpoint, for a broken one (`bad`: the file or folder at fault). */
function lastGoodHint(root: string, bad: string): string {
  const badDir = path.dirname(bad) === root ? bad : path.dirname(bad);
  const good = lastGood(root, badDir);
  if (!good) return 'no complete checkpoint is left in this run: start a new run';
  return `the last good checkpoint is ${good.name} (step ${good.global_step}); to resume from it: printf '{"name":"${good.name}"}\\n' > ${shellQuote(path.join(root, 'latest.json'))}`;
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const root = path.dirname(dir);
  const fail = (why: string, code: 'R0205' | 'R0206', bad = dir): never => {
    throw new RunError(why, lastGoodHint(root, bad), code);
  };
  if (!fs.existsSync(dir)) fail(`the checkpoint ${dir} does not exist`, 'R0205');
  let sums: Checksums | undefined;
  try {
    sums = JSON.parse(fs.readFileSync(path.join(dir, CHECKSUMS), 'utf8')) as Checksums;
  } catch (e) {
    fail(`the checkpoint ${dir} is incomplete: ${fs.existsSync(path.join(dir, CHECKSUMS)) ? `${CHECKSUMS} is not valid JSON (${(e as Error).message})` : `it has no ${CHECKSUMS}`}`, 'R0205');
  }
  for (const f of ['state.json', 'model.safetensors']) if (!sums!.files[f]) fail(`the checkpoint ${dir} has no ${f}`, 'R0205');
  for (const [f, want] of Object.entries(sums!.files)) {
    const file = path.join(dir, f);
    if (!fs.existsSync(file)) fail(`the checkpoint ${dir} has no ${f}`, 'R0205');
    if (sha256File(file) !== want.sha256) fail(`${file} is corrupted: its sha256 differs from the one recorded when the checkpoint was written`, 'R0206');
  }
  let state: ResumeState;
  try {
    state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as ResumeState;
  } catch (e) {
    return fail(`${path.join(dir, 'state.json')} is not valid JSON (${(e as Error).message})`, 'R0205');
  }
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
