// Finished vs stopped as sweep and compare see it, through the real binary: a run that reached its
// last step under --max-steps is done; compare says where a stopped run stopped. Needs a build.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY, siric } from '../helpers/binary.js';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-ux-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('siric sweep and compare: done vs stopped', () => {
  it('sweep counts a run that reached its last step under --max-steps as done; compare names where a stopped run stopped', () => {
    const out = path.join(tmp, 'sweep');
    const r = siric(['sweep', TINY, '--seeds', '1', '--max-steps', '7', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('(1 done, 0 stopped, 0 failed)');
    expect(r.stderr).not.toContain('resume with');
    expect(r.stdout).toMatch(/^compare with: npx siric compare \S+$/m);

    const stopped = path.join(tmp, 'stopped');
    expect(siric(['run', TINY, '--no-tui', '--out', stopped, '--max-steps', '1']).status).toBe(0);
    const c = siric(['compare', out, stopped]);
    expect(c.stderr).toMatch(/incomplete: 0 of 3 eval points \(it stopped at step 1 of 7, or is still going\)/);
    expect(c.stderr.match(/incomplete/g)).toHaveLength(1);
  });
});
