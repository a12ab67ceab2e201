// `siric explain CODE` prints the docs/errors.md section of a code, through the real binary.
import { describe, expect, it } from 'vitest';
import { siric } from '../helpers/binary.js';

describe('siric explain', () => {
  it('prints a compile-time code\'s section, its console example and fix, in any case', () => {
    const r = siric(['explain', 'e0101']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^E0101: unexpected character\n=+\n/);
    expect(r.stdout).toContain('    $ siric check test/fixtures/diagnostics/E0101-colon-instead-of-equals.siri');
    // A `# comment` line of the example is part of the section, not the start of another one.
    expect(r.stdout).toContain('    # A YAML habit: `key: value` instead of `key = value`.');
    expect(r.stdout).toContain('Fix: Use `=` to set a key');
    expect(r.stdout).not.toContain('```');
    expect(r.stdout).not.toContain('E0102');
  });

  it('prints a run-time code\'s section', () => {
    const r = siric(['explain', 'R0203']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^R0203: input file changed since the run started\n/);
    expect(r.stdout).toContain('    error[R0203]: rows.jsonl changed since');
    expect(r.stdout).toContain('Fix: Put the file back as it was');
    expect(r.stdout).not.toContain('R0204');
  });

  it('an unknown code is a usage error with a did-you-mean (exit 2)', () => {
    const r = siric(['explain', 'E301']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error: there is no diagnostic code `E301`; did you mean `E0301`?');
  });
});
