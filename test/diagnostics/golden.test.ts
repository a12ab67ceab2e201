// Golden tests for every diagnostic code. Each test/fixtures/diagnostics/<CODE>-<slug>.siri is run
// through the real CLI; <name>.txt holds the human output and the exit code, <name>.json the JSON
// (`--json`) output. A first line `# siric: compile --set rl.lr=oops` picks the command and extra
// arguments (default: `check`); files in lib/ are only imported by fixtures.
// UPDATE_GOLDEN=1 npx vitest run test/diagnostics rewrites the goldens: read every diff.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CODES } from '../../src/diagnostics/messages.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rel = 'test/fixtures/diagnostics';
const dir = join(root, rel);
const update = process.env['UPDATE_GOLDEN'] === '1';

/** Codes no fixture can produce. E0999 means a bug in siric, never a mistake in the input. */
const EXEMPT = ['E0999'];

interface Case {
  name: string;
  args: string[];
}

function caseOf(file: string): Case {
  const first = readFileSync(join(dir, file), 'utf8').split('\n')[0]!;
  const directive = /^# siric: (.*)$/.exec(first)?.[1] ?? 'check';
  const words = [...directive.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  return { name: file.slice(0, -'.siri'.length), args: [words[0]!, `${rel}/${file}`, ...words.slice(1)] };
}

const cases: Case[] = [
  ...readdirSync(dir).filter((f) => f.endsWith('.siri')).sort().map(caseOf),
  // E0901 cannot come from a file's contents: check a path that does not exist.
  { name: 'E0901-missing-file', args: ['check', `${rel}/no-such-file.siri`] },
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function siric(args: string[]): Promise<Run> {
  const env = { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', CI: '1' };
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/siric.js', ...args], { cwd: root, env }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

const shell = (args: string[]): string => ['siric', ...args.map((a) => (/\s/.test(a) ? `"${a}"` : a))].join(' ');

function golden(path: string, actual: string): void {
  if (update) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const codesIn = (json: string): string[] => (JSON.parse(json) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code);

describe('diagnostic goldens', () => {
  it.concurrent.each(cases)('$name', async ({ name, args }) => {
    const [human, json] = await Promise.all([siric(args), siric([...args, '--json'])]);
    golden(join(dir, `${name}.txt`), `$ ${shell(args)}\n${human.stdout}${human.stderr}exit code: ${human.code}\n`);
    golden(join(dir, `${name}.json`), json.stdout + json.stderr);

    const report = JSON.parse(json.stdout) as { error_count: number; diagnostics: { code: string }[] };
    expect(report.diagnostics.map((d) => d.code)).toContain(name.slice(0, 5));
    const exit = report.error_count > 0 ? 1 : 0;
    expect(human.code).toBe(exit);
    expect(json.code).toBe(exit);
    for (const out of [human.stdout, human.stderr, json.stdout, json.stderr]) expect(out).not.toMatch(/^ {4}at /m);
  });
});

describe('coverage', () => {
  it('names every fixture after a real code', () => {
    for (const c of cases) expect(Object.keys(CODES)).toContain(c.name.slice(0, 5));
    for (const code of EXEMPT) expect(Object.keys(CODES)).toContain(code);
  });

  it('produces every code in the catalog, except the exempt ones', () => {
    const produced = new Set(cases.filter((c) => existsSync(join(dir, `${c.name}.json`))).flatMap((c) => codesIn(readFileSync(join(dir, `${c.name}.json`), 'utf8'))));
    const missing = Object.keys(CODES).filter((code) => !EXEMPT.includes(code) && !produced.has(code));
    expect(missing).toEqual([]);
  });
});
