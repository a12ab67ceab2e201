// Exit codes, one meaning each, as `siric --help` documents them. An exception that no command
// expected is a bug in siric: exit 70 (EX_SOFTWARE), not 2 (a bad command line). 130 (Ctrl-C) is
// tested under a terminal in interrupt.test.ts.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const BIN = path.join(ROOT, 'bin', 'siric.js');
const ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: '1' };
delete ENV['FORCE_COLOR'];

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-exit-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function siric(args: string[]): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return r;
}

vi.mock('../../src/cli/check.js', () => ({
  checkCommand: () => {
    throw new Error('a stand-in bug');
  },
}));

afterEach(() => vi.restoreAllMocks());

describe('exit codes', () => {
  it('`siric --help` and bare `siric` document every exit code', () => {
    for (const args of [['--help'], []]) {
      const r = siric(args);
      expect(r.status).toBe(0);
      for (const code of ['0', '1', '2', '3', '70', '130']) expect(r.stdout).toMatch(new RegExp(`^ {2}${code} +\\S`, 'm'));
    }
  });

  it('1 errors in the input, 2 a bad command line, 3 fmt --check differences', () => {
    expect(siric(['check', 'no/such/file.siri']).status).toBe(1);
    expect(siric(['no-such-command']).status).toBe(2);
    const messy = path.join(tmp, 'messy.siri');
    fs.writeFileSync(messy, 'pipeline   p {seed=1}\n');
    expect(siric(['fmt', '--check', messy]).status).toBe(3);
  });

  it('70 when siric itself cannot run (here: a copy of the binary without its dist/)', () => {
    const copy = path.join(tmp, 'broken', 'bin');
    fs.mkdirSync(copy, { recursive: true });
    fs.copyFileSync(BIN, path.join(copy, 'siric.js'));
    fs.writeFileSync(path.join(copy, '..', 'package.json'), '{ "type": "module" }\n');
    const r = spawnSync(process.execPath, [path.join(copy, 'siric.js'), '--version'], { env: ENV, encoding: 'utf8' });
    expect(r.status).toBe(70);
    expect(r.stderr).toContain('dist/ is missing');
  });

  it('an unexpected exception exits 70 and says it is a bug in siric', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { EXIT } = await import('../../src/cli/common.js');
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
    const code = await main(['node', 'siric', 'check', 'examples/quickstart.siri']);
    expect(code).toBe(70);
    expect(EXIT.internal).toBe(70);
    expect(stderr).toContain('siric failed unexpectedly: a stand-in bug');
    expect(stderr).toContain('This is a bug in siric');
  });
});
