// Compiling the examples to verl jobs in a scratch folder: the example beside small generated
// data files (the examples name data the repo does not ship), through the real CLI.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const VERL_REF = join(ROOT, '../shared/reference/verl');

/** 300 rows of `{problem, answer}`: enough for a 128-prompt batch. */
export function mathRows(n = 300): string {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ problem: `What is ${i} + ${i + 1}?`, answer: String(2 * i + 1) }) + '\n').join('');
}

/** A scratch folder with examples/<name>.siri and data/deepscaler.jsonl, data/aime24.jsonl. */
export function exampleDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'siric-verl-'));
  copyFileSync(join(ROOT, 'examples', `${name}.siri`), join(dir, `${name}.siri`));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data/deepscaler.jsonl'), mathRows());
  writeFileSync(join(dir, 'data/aime24.jsonl'), mathRows(30));
  return dir;
}

export function siric(args: string[], cwd = ROOT): { code: number; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/siric.js'), ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', SIRIC_NO_VERL_DETECT: '1' }, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

/** Every file of a folder, by relative path. */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}
