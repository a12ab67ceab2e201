// The README and docs/language.md say what the binary does: which commands take --set, every exit
// code, commands that run as printed in a clone (`npx siric …`), and every install script reviewed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT, EXIT_CODES_HELP } from '../../src/cli/common.js';
import { buildProgram } from '../../src/cli/main.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const LANGUAGE = fs.readFileSync(path.join(ROOT, 'docs', 'language.md'), 'utf8');

/** The commands named in backticks in the sentence that starts with `start`. */
function commandsIn(text: string, start: RegExp): string[] {
  const m = start.exec(text);
  expect(m, String(start)).not.toBeNull();
  const sentence = text.slice(m!.index).split(/\)|overrides a setting/)[0]!;
  return [...sentence.matchAll(/`(\w+)`/g)].map((x) => x[1]!).sort();
}

describe('the docs agree with the binary', () => {
  it('README and docs/language.md name the same commands for --set as the ones that take it', () => {
    const program = buildProgram(() => undefined);
    const takesSet = program.commands.filter((c) => c.options.some((o) => o.long === '--set')).map((c) => c.name()).sort();
    expect(takesSet).toEqual(['check', 'compile', 'eval', 'plan', 'run', 'sweep']);
    expect(commandsIn(README, /`--set path=value` on /)).toEqual(takesSet);
    expect(commandsIn(LANGUAGE, /`--set NAME\.KEY=VALUE` \(on /)).toEqual(takesSet);
  });

  it('README and `siric --help` list every exit code', () => {
    const codes = [...new Set(Object.values(EXIT))].sort((a, b) => a - b);
    const table = README.slice(README.indexOf('### Exit codes'));
    const inReadme = [...table.split('\n## ')[0]!.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(inReadme).toEqual(codes);
    const inHelp = [...EXIT_CODES_HELP.matchAll(/^ {2}(\d+) /gm)].map((m) => Number(m[1]));
    expect(inHelp).toEqual(codes);
  });

  it('the README\'s shell commands run in a fresh clone: `npx siric …`, never a bare `siric …`', () => {
    const blocks = [...README.matchAll(/```sh\n([^]*?)```/g)].map((m) => m[1]!);
    const inline = [...README.matchAll(/continue with `([^`]+)`/g)].map((m) => m[1]!);
    const lines = [...blocks.flatMap((b) => b.split('\n')), ...inline].filter((l) => /\bsiric [a-z]/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/(^|&& )npx siric [a-z]/);
  });

  it('every dependency with an install script is reviewed in package.json allowScripts', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    const withScripts = Object.entries(lock.packages).filter(([k, v]) => k !== '' && v.hasInstallScript).map(([k]) => k.replace(/^.*node_modules\//, ''));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) expect(Object.keys(pkg.allowScripts ?? {}), name).toContain(name);
    // Each is explained in the README.
    for (const name of withScripts) expect(README).toMatch(new RegExp(`^- \`${name}\` \\((allowed|denied)\\)`, 'm'));
  });
});
