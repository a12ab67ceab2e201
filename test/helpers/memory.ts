// Compile .siri sources held in memory (the standard library still comes from stdlib/).
import * as path from 'node:path';
import { compileFile, type CompileOutput } from '../../src/compiler.js';
import type { Diagnostic } from '../../src/diagnostics/messages.js';
import { nodeHost, type Host } from '../../src/semantics/loader.js';

const ROOT = '/mem';

export function memoryHost(files: Record<string, string>): Host {
  return {
    cwd: ROOT,
    readFile: (abs) => (abs.startsWith(ROOT + '/') ? files[path.relative(ROOT, abs)] : nodeHost.readFile(abs)),
    listDir: (abs) => (abs.startsWith(ROOT) ? Object.keys(files).filter((f) => path.dirname(path.join(ROOT, f)) === abs).map((f) => path.basename(f)) : nodeHost.listDir(abs)),
  };
}

export function compileMem(files: Record<string, string> | string, opts: { sets?: string[]; mode?: 'check' | 'compile'; entry?: string } = {}): CompileOutput {
  const fs = typeof files === 'string' ? { 'main.siri': files } : files;
  return compileFile(opts.entry ?? 'main.siri', { mode: opts.mode ?? 'compile', sets: opts.sets ?? [], host: memoryHost(fs) });
}

export const codes = (ds: readonly Diagnostic[]): string[] => ds.map((d) => d.code);

/** A small valid pipeline to vary in tests. */
export const BASE = `
import "std/presets"
import "std/rewards"

pipeline p { seed = 3 }

model m { source = scratch(layers = 1, d_model = 32, heads = 2, context = 256 tokens) }

dataset d {
  source = generated("arithmetic", operands = 2..3)
  prompt = "{question}"
  answer = "{answer}"
  response = "{solution}"
}

schedule s {
  repeat 2 {
    phase compress { steps = 4 steps  max_tokens = cosine(128 -> 64) }
    phase expand { steps = 4 steps  max_tokens = cosine(64 -> 128) }
  }
}

train warm = presets.sft_warmup with { policy = m  data = d  steps = 10 steps  max_tokens = 128 tokens }

train rl = presets.dapo with {
  after = warm
  policy = m
  data = d
  rewards = [rewards.final_answer]
  max_tokens = s
  group = 4 responses
  batch = 8 prompts
  mini_batch = 4 prompts
}

eval e { data = d  every = 4 steps  stages = [rl] }
`;
