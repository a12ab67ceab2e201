// Step 2 of a run: its directory. A new run gets a fresh folder and a manifest (what ran, on what,
// with the content hashes of everything it reads); --resume checks that nothing it read has
// changed and finds its latest complete checkpoint; --from starts a new run from another run's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { IR } from '../../ir/graph.js';
import { VERSION } from '../../version.js';
import { latestCheckpoint, loadCheckpoint, recoverCheckpoints, writeJsonAtomic, type LoadedCheckpoint } from '../checkpoint.js';
import { forkFrom } from '../fork.js';
import { assertResumeInputs, hashInputs, pipelineInputs, type InputHashes } from '../input-hashes.js';
import type { EvalMetrics } from '../types.js';
import { RunError } from '../types.js';
import type { RunInputs } from './inputs.js';

export interface OpenedRun {
  runDir: string;
  /** The checkpoint to continue from (--resume, or --from's), if any. */
  resume?: LoadedCheckpoint;
}

export interface RunDirOptions {
  baseDir: string;
  outDir?: string;
  resumeDir?: string;
  fromCheckpoint?: string;
}

/** Opens the run directory; `inputs.notes` gets what a resume could not check. */
export function openRun(ir: IR, inputs: RunInputs, o: RunDirOptions): OpenedRun {
  if (o.resumeDir) {
    const runDir = o.resumeDir;
    const manifest = readManifest(runDir);
    if (manifest.ir.source_hash !== ir.source_hash) {
      throw new RunError(`the pipeline changed since ${runDir} started (source hash ${manifest.ir.source_hash.slice(7, 19)}… vs ${ir.source_hash.slice(7, 19)}…)`, 'resume with the same .siri files and --set overrides, or start a new run', 'R0202');
    }
    if (assertResumeInputs(manifest, ir, o.baseDir, runDir) === 'unrecorded') inputs.notes.push(`${runDir}/manifest.json records no hashes of the data, model and reward files (written by an older siric), so changes to them cannot be detected`);
    recoverCheckpoints(runDir); // a kill in the middle of a save leaves leftovers, maybe the only copy aside
    return { runDir, resume: loadCheckpoint(latestCheckpoint(runDir)) };
  }
  const runDir = newRunDir(path.resolve(o.baseDir, o.outDir ?? ir.pipeline.out), ir.pipeline.name);
  const { backend } = inputs;
  writeJsonAtomic(path.join(runDir, 'manifest.json'), {
    siric: VERSION,
    created: new Date().toISOString(),
    pipeline: ir.pipeline.name,
    source_hash: ir.source_hash,
    // Where the pipeline's relative paths (data, models, reward modules) start: `siric eval` reads them from here.
    base_dir: path.resolve(o.baseDir),
    ...(o.fromCheckpoint ? { started_from: path.resolve(o.fromCheckpoint) } : {}),
    seed: ir.pipeline.seed,
    overrides: ir.overrides,
    backend: { name: backend.name, device: backend.device, notes: backend.notes },
    versions: versions(),
    // What the run reads, by content: --resume and --from refuse a file that changed.
    inputs: hashInputs(pipelineInputs(ir, o.baseDir), o.baseDir),
    ir,
  });
  if (!o.fromCheckpoint) return { runDir };
  try {
    return { runDir, resume: forkFrom(o.fromCheckpoint, ir, inputs.tokenizer, runDir, o.baseDir) };
  } catch (e) {
    fs.rmSync(runDir, { recursive: true, force: true }); // nothing ran: leave no empty run behind
    throw e;
  }
}

/**
 * The run's append-only logs, metrics.jsonl and samples.jsonl, with how many rows each holds (a
 * checkpoint records the counts; a resumed run cuts the logs back to them and replays the rest).
 */
export class RunLog {
  readonly metricsFile: string;
  readonly samplesFile: string;
  metricsRows: number;
  samplesRows: number;

  constructor(runDir: string, resume?: LoadedCheckpoint) {
    this.metricsFile = path.join(runDir, 'metrics.jsonl');
    this.samplesFile = path.join(runDir, 'samples.jsonl');
    if (resume) {
      truncateLines(this.metricsFile, resume.state.metrics_rows);
      truncateLines(this.samplesFile, resume.state.samples_rows);
    }
    this.metricsRows = resume?.state.metrics_rows ?? 0;
    this.samplesRows = resume?.state.samples_rows ?? 0;
  }

  metric(row: unknown): void {
    fs.appendFileSync(this.metricsFile, JSON.stringify(row) + '\n');
    this.metricsRows++;
  }

  sample(row: unknown): void {
    fs.appendFileSync(this.samplesFile, JSON.stringify(row) + '\n');
    this.samplesRows++;
  }

  /** The eval rows written so far (on resume, the evals before the checkpoint are part of the run's summary). */
  evalRows(): EvalMetrics[] {
    if (!fs.existsSync(this.metricsFile)) return [];
    return fs
      .readFileSync(this.metricsFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"eval"'))
      .map((l) => {
        const { global_step: _g, ...row } = JSON.parse(l) as EvalMetrics & { global_step: number };
        return row;
      });
  }
}

function newRunDir(root: string, pipeline: string): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
  fs.mkdirSync(path.join(root, pipeline), { recursive: true });
  // mkdir without `recursive` fails on an existing folder: two runs started in the same second
  // (a sweep running seeds in parallel) each get their own directory.
  for (let i = 1; ; i++) {
    const dir = path.join(root, pipeline, i === 1 ? stamp : `${stamp}-${i}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export function readManifest(runDir: string): { ir: IR; inputs?: InputHashes } {
  const file = path.join(runDir, 'manifest.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as { ir: IR; inputs?: InputHashes };
  } catch {
    throw new RunError(`${runDir} is not a run directory (no readable manifest.json)`, 'pass the folder that `siric run` printed, e.g. runs/quickstart/20261126-101500', 'R0201');
  }
}

/** Keep the first n lines (rows written after the checkpoint are replayed by the resumed run). */
function truncateLines(file: string, n: number): void {
  if (!fs.existsSync(file)) return;
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  fs.writeFileSync(file, lines.slice(0, n).map((l) => l + '\n').join(''));
}

function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const v = (p: string): string => {
    try {
      return (require(`${p}/package.json`) as { version: string }).version;
    } catch {
      return 'absent';
    }
  };
  return { node: process.version, siric: VERSION, '@tensorflow/tfjs': v('@tensorflow/tfjs'), '@tensorflow/tfjs-backend-wasm': v('@tensorflow/tfjs-backend-wasm') };
}
