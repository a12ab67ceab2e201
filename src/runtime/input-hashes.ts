// The files a run reads — data files, reward modules, the model's config and weights, the
// tokenizer's files — with their sha256, recorded in manifest.json. `--resume` and `--from` compare
// them with the files as they are now, so a run never continues on data or weights that changed
// under it. (Generated tasks have no file: their parameters are in the execution graph.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IR, IRNode } from '../ir/graph.js';
import { sha256File } from './file-hash.js';
import { RunError } from './types.js';

/** Path (relative to the pipeline's folder, as the manifest writes it) → sha256 and size. */
export type InputHashes = Record<string, { sha256: string; bytes: number }>;

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja'];

/** The files one node of the graph reads, relative to baseDir. */
export function inputFilesOf(node: IRNode, baseDir: string): string[] {
  const inDir = (dir: string, keep: (f: string) => boolean): string[] => {
    const abs = path.resolve(baseDir, dir);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) return [];
    return fs
      .readdirSync(abs)
      .filter(keep)
      .sort()
      .map((f) => path.join(dir, f));
  };
  switch (node.type) {
    case 'dataset':
      return node.source.kind === 'generated' ? [] : [node.source.path];
    case 'reward':
      return node.kind === 'custom' && typeof node.params['module'] === 'string' ? [node.params['module']] : [];
    case 'model': {
      const files = node.source.kind === 'hf' ? inDir(node.source.path, (f) => f === 'config.json' || f.endsWith('.safetensors') || f === 'model.safetensors.index.json') : [];
      if (node.tokenizer.kind === 'hf') files.push(...inDir(node.tokenizer.path, (f) => TOKENIZER_FILES.includes(f)));
      return [...new Set(files)];
    }
    default:
      return [];
  }
}

export function hashInputs(files: string[], baseDir: string): InputHashes {
  const out: InputHashes = {};
  for (const f of [...new Set(files)].sort()) {
    const abs = path.resolve(baseDir, f);
    out[f] = { sha256: sha256File(abs), bytes: fs.statSync(abs).size };
  }
  return out;
}

/** Every input file of the pipeline's stages and evals. */
export function pipelineInputs(ir: IR, baseDir: string): string[] {
  return ir.nodes.flatMap((n) => inputFilesOf(n, baseDir));
}

/**
 * Throws, naming the first file that changed since `recorded` was taken (`what`: the run, for the
 * message). Only the files in `files` are compared; a file recorded but now missing counts as changed.
 */
export function assertInputsUnchanged(recorded: InputHashes, files: string[], baseDir: string, what: string, hint: string): void {
  for (const f of [...new Set(files)].sort()) {
    const was = recorded[f];
    if (!was) continue; // not read there: the graph comparison already covers a new input
    const abs = path.resolve(baseDir, f);
    if (!fs.existsSync(abs)) throw new RunError(`${f} is gone since ${what}`, hint, 'R0203');
    const size = fs.statSync(abs).size;
    if (size !== was.bytes || sha256File(abs) !== was.sha256) throw new RunError(`${f} changed since ${what} (its sha256 differs from the one in the manifest)`, hint, 'R0203');
  }
}

/** On --resume: the run's recorded files against the files now (a manifest without them predates the record). */
export function assertResumeInputs(manifest: { inputs?: InputHashes }, ir: IR, baseDir: string, runDir: string): 'checked' | 'unrecorded' {
  if (!manifest.inputs) return 'unrecorded';
  const hint = 'put the file back as it was to resume this run, or start a new run (without --resume) on the changed file';
  assertInputsUnchanged(manifest.inputs, [...Object.keys(manifest.inputs), ...pipelineInputs(ir, baseDir)], baseDir, `${runDir} started`, hint);
  return 'checked';
}
