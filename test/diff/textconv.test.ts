// `siric diff --textconv` as git's textconv: `git diff` of a re-indented, re-commented pipeline shows
// no change line; a changed budget shows as one. Also when git hands it a temporary copy of a file
// whose imports are relative (they are found where the file stands in the repository).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ENV, ROOT, siric, TINY } from '../helpers/binary.js';

function repo(): { dir: string; git: (...args: string[]) => string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-textconv-'));
  const git = (...args: string[]): string => execFileSync('git', ['-C', dir, '-c', `diff.siri.textconv=${process.execPath} ${BIN} diff --textconv`, ...args], { encoding: 'utf8', env: ENV });
  git('init', '-q');
  git('config', 'user.name', 'test');
  git('config', 'user.email', 'test@example.com');
  fs.writeFileSync(path.join(dir, '.gitattributes'), '*.siri diff=siri\n');
  return { dir, git };
}

/** The lines of a diff that add or remove something, without the file headers. */
const changes = (diff: string): string[] => diff.split('\n').filter((l) => /^[+-](?![+-]{2} )/.test(l));

describe('siric diff --textconv in git', () => {
  it('re-indenting and re-commenting show nothing; a changed budget shows as its lines', () => {
    const { dir, git } = repo();
    fs.mkdirSync(path.join(dir, 'exp'));
    const tiny = fs.readFileSync(path.join(ROOT, TINY), 'utf8');
    // A relative import: git's temporary copy of the old side is not next to lib.siri.
    fs.writeFileSync(path.join(dir, 'exp', 'lib.siri'), 'import "std/presets"\n\ntrain mine = presets.dapo with {\n  top_k = 5\n}\n');
    const pipeline = tiny.replace('import "std/presets"', 'import "std/presets"\nimport "lib.siri"').replace('train rl = presets.dapo with {', 'train rl = lib.mine with {');
    fs.writeFileSync(path.join(dir, 'exp', 'p.siri'), pipeline);
    git('add', '.');
    git('commit', '-qm', 'a pipeline');

    fs.writeFileSync(path.join(dir, 'exp', 'p.siri'), '# a new comment\n' + pipeline.replace(/^ {2}/gm, '    ').replace(/^# .*$/gm, '# another comment'));
    expect(git('diff', '--stat')).toContain('p.siri');
    expect(changes(git('diff'))).toEqual([]);

    fs.writeFileSync(path.join(dir, 'exp', 'p.siri'), pipeline.replace('cosine(12 -> 24)', 'cosine(12 -> 20)'));
    const d = changes(git('diff'));
    expect(d).toContain('-    phase expand-1  expand  steps 5 → 7  budget 12 → 24  cosine');
    expect(d).toContain('+    phase expand-1  expand  steps 5 → 7  budget 12 → 20  cosine');
    expect(d.every((l) => /budget|max_tokens/.test(l)), d.join('\n')).toBe(true);
    git('commit', '-qam', 'a shorter expand phase');
    // `git log -p` shows the same semantic change (both sides are temporary copies there).
    expect(changes(git('log', '-p', '-1'))).toEqual(d);
  });

  it('never fails: a file that does not compile prints its canonical formatting with a note (exit 0)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-textconv-bad-'));
    fs.writeFileSync(path.join(dir, 'x.siri'), 'import "nowhere.siri"\n\npipeline p {\n      seed = 1\n}\n');
    const r = siric(['diff', '--textconv', path.join(dir, 'x.siri')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^# siric diff --textconv: x\.siri does not compile here \(.*\); showing its canonical formatting\n/);
    expect(r.stdout).toContain('\npipeline p {\n  seed = 1\n}\n');
  });

  it('the command line is checked: two sides, or one file with --textconv (exit 2)', () => {
    const one = siric(['diff', 'examples/experiments/siri.siri']);
    expect(one.status).toBe(2);
    expect(one.stderr).toContain('error: siric diff compares two pipelines: siric diff A B');
    const both = siric(['diff', '--textconv', 'examples/experiments/siri.siri', 'examples/experiments/siri.siri']);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('error: --textconv takes one file and no other argument');
  });
});
