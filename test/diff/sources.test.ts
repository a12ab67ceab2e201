// `siric diff` on its other inputs: `REV:path` through git (imports read from the same revision), and
// run directories (a `--set` override shows with its origin, a changed data file as an input change).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, siric, TINY } from '../helpers/binary.js';

const tiny = fs.readFileSync(path.join(ROOT, TINY), 'utf8');
const lib = (topK: number): string => `import "std/presets"\n\ntrain mine = presets.dapo with {\n  top_k = ${topK}\n}\n`;

describe('siric diff REV:path REV:path', () => {
  it('a library changed between two commits shows as a change, with its origin in each revision', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-diff-git-'));
    const git = (...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
    git('init', '-q');
    git('config', 'user.name', 'test');
    git('config', 'user.email', 'test@example.com');
    fs.mkdirSync(path.join(dir, 'exp'));
    fs.copyFileSync(path.join(ROOT, 'test/fixtures/runtime/flaky-reward.mjs'), path.join(dir, 'exp', 'flaky-reward.mjs'));
    fs.writeFileSync(path.join(dir, 'exp', 'p.siri'), tiny.replace('import "std/presets"', 'import "std/presets"\nimport "lib.siri"').replace('train rl = presets.dapo with {', 'train rl = lib.mine with {'));
    fs.writeFileSync(path.join(dir, 'exp', 'lib.siri'), lib(5));
    git('add', '.');
    git('commit', '-qm', 'one');
    fs.writeFileSync(path.join(dir, 'exp', 'lib.siri'), lib(7));
    git('commit', '-qam', 'two');
    // The work tree no longer matters: each side is read from its revision.
    fs.rmSync(path.join(dir, 'exp'), { recursive: true });

    const r = siric(['diff', 'HEAD~1:exp/p.siri', 'HEAD:exp/p.siri'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/~ top_k: 5 → 7\n {8}a: \S*lib\.siri:4 \(train mine\)\n {8}b: \S*lib\.siri:4 \(train mine\)\n/);
    expect(r.status).toBe(1);
    expect(siric(['diff', 'HEAD:exp/p.siri', 'HEAD:exp/p.siri'], { cwd: dir }).status).toBe(0);
    // As in git, REV:path is from the top of the repository wherever siric runs, and REV:./path from where it runs.
    fs.mkdirSync(path.join(dir, 'exp'));
    expect(siric(['diff', 'HEAD~1:exp/p.siri', 'HEAD:./p.siri'], { cwd: path.join(dir, 'exp') }).stdout).toContain('~ top_k: 5 → 7');
  });
});

describe('siric diff RUN_DIR RUN_DIR', () => {
  it('shows a --set override with its origin, and a changed data file as an input change', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-diff-runs-'));
    fs.copyFileSync(path.join(ROOT, 'test/fixtures/runtime/flaky-reward.mjs'), path.join(dir, 'flaky-reward.mjs'));
    const dataset = 'dataset arith {\n  source = jsonl("rows.jsonl")\n  prompt = "{question}\\n"\n  response = "{solution}"\n  answer = "{answer}"\n  holdout = 2 rows\n}';
    fs.writeFileSync(path.join(dir, 'p.siri'), tiny.replace(/^dataset arith = .*$/m, dataset));
    const rows = (n: number): string => Array.from({ length: n }, (_, i) => JSON.stringify({ question: `${i}+1`, solution: `Answer: ${i + 1}`, answer: `${i + 1}` }) + '\n').join('');
    fs.writeFileSync(path.join(dir, 'rows.jsonl'), rows(8));
    /** One step of a run, in a folder of its own: the run directory. */
    const run = (name: string, ...args: string[]): string => {
      const r = siric(['run', 'p.siri', '--no-tui', '--max-steps', '1', '--out', name, ...args], { cwd: dir });
      expect(r.status, r.stderr).toBe(0);
      const [pipeline] = fs.readdirSync(path.join(dir, name));
      const [stamp] = fs.readdirSync(path.join(dir, name, pipeline!));
      return path.join(name, pipeline!, stamp!);
    };
    const base = run('base');
    const set = run('set', '--set', 'rl.lr=2e-3');
    fs.writeFileSync(path.join(dir, 'rows.jsonl'), rows(9));
    const data = run('data');

    const s = siric(['diff', base, set], { cwd: dir });
    expect(s.stdout).toContain(`b: ${set}  (run of pipeline tiny, with --set rl.lr=2e-3)`);
    expect(s.stdout).toMatch(/~ lr: 0\.001 → 0\.002\n {8}a: p\.siri:\d+ \(with, over presets\.dapo\)\n {8}b: --set rl\.lr=2e-3\n/);
    expect(s.stdout).not.toContain('input files');
    expect(s.status).toBe(1);
    const j = JSON.parse(siric(['diff', '--json', base, set], { cwd: dir }).stdout);
    expect(j.settings).toContainEqual(expect.objectContaining({ node: 'train.rl', name: 'lr', b: expect.objectContaining({ value: 0.002, origin: { kind: 'set', text: 'rl.lr=2e-3' } }) }));
    expect(j.inputs).toEqual([]);

    const d = siric(['diff', base, data], { cwd: dir });
    expect(d.stdout).toMatch(/input files \(by content\)\n {2}~ rows\.jsonl {2}[0-9a-f]{12}… → [0-9a-f]{12}…\n/);
    expect(d.stdout).not.toContain('settings');
    expect(d.status).toBe(1);
  });
});
