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
