// `siric diff`: formatting never shows; a schedule change shows side by side; exit codes as diff(1).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { siric, TINY, ROOT } from '../helpers/binary.js';

describe('siric diff', () => {
  it('a re-indented file shows no semantic difference (exit 0)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-diff-'));
    fs.copyFileSync(path.join(ROOT, 'test/fixtures/runtime/flaky-reward.mjs'), path.join(dir, 'flaky-reward.mjs'));
    const text = fs.readFileSync(path.join(ROOT, TINY), 'utf8');
    fs.writeFileSync(path.join(dir, 'a.siri'), text);
    fs.writeFileSync(path.join(dir, 'b.siri'), text.replace(/^ {2}/gm, '      ').replace(/^# .*$/gm, '# another comment'));
    const r = siric(['diff', path.join(dir, 'a.siri'), path.join(dir, 'b.siri')]);
    expect(r.stdout).toContain('no semantic difference');
    expect(r.status).toBe(0);
  });

  it('two experiment variants differ in their schedule, with origins (exit 1)', () => {
    const r = siric(['diff', 'examples/experiments/fixed-short.siri', 'examples/experiments/siri.siri']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('rollout budget of train.rl');
    expect(r.stdout).toContain('compress-1  compress  600 → 620  96 → 32  cosine');
    expect(r.stdout).toContain('a: examples/experiments/fixed-short.siri:11');
    const j = JSON.parse(siric(['diff', '--json', 'examples/experiments/fixed-short.siri', 'examples/experiments/siri.siri']).stdout);
    expect(j.siric_diff).toBe(1);
    expect(j.same).toBe(false);
    expect(j.schedules[0].differing_steps).toBe(108);
  });

  it('a side that does not load is trouble (exit 2)', () => {
    const r = siric(['diff', 'examples/experiments/siri.siri', 'no-such-file.siri']);
    expect(r.status).toBe(2);
  });
});

describe('siric diff: where a setting comes from', () => {
  it('a changed preset default shows as a change with its source, the pipeline file unchanged', () => {
    const mk = (lr: string): string => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-diff-preset-'));
      fs.copyFileSync(path.join(ROOT, 'test/fixtures/runtime/flaky-reward.mjs'), path.join(dir, 'flaky-reward.mjs'));
      fs.writeFileSync(path.join(dir, 'lib.siri'), `import "std/presets"\n\ntrain mine = presets.dapo with {\n  top_k = ${lr}\n}\n`);
      fs.writeFileSync(path.join(dir, 'p.siri'), fs.readFileSync(path.join(ROOT, TINY), 'utf8').replace('import "std/presets"', 'import "std/presets"\nimport "lib.siri"').replace('train rl = presets.dapo with {', 'train rl = lib.mine with {'));
      return path.join(dir, 'p.siri');
    };
    const r = siric(['diff', mk("5"), mk("7")]);
    expect(r.stdout).toMatch(/~ top_k: 5 → 7\n {8}a: .*lib\.siri:4 \(train mine\)\n {8}b: .*lib\.siri:4 \(train mine\)/);
    expect(r.status).toBe(1);
  });
});
