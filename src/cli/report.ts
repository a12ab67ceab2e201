// `siric report RUN_DIR [RUN_DIR...]`: charts of finished runs (SVG) and a self-contained
// report.html, written into the first run directory.
import { relative } from 'node:path';
import { EXIT, type Outcome } from './common.js';

export async function reportCommand(dirs: string[]): Promise<Outcome> {
  const [{ writeReport }, { RunError, formatRunError }] = await Promise.all([import('../report/report.js'), import('../runtime/types.js')]);
  try {
    const { runs, files } = await writeReport(dirs);
    const show = (p: string): string => {
      const r = relative(process.cwd(), p);
      return r === '' || r.startsWith('..') ? p : r;
    };
    const warnings = runs
      .filter((r) => r.skipped > 0)
      .map((r) => `warning: skipped ${r.skipped} unreadable line${r.skipped === 1 ? '' : 's'} in ${show(r.dir)}/metrics.jsonl\n`)
      .join('');
    const stdout = [files.budget, files.reward, files.efficiency, files.html].map((p) => `wrote ${show(p)}\n`).join('');
    return { code: EXIT.ok, stdout, ...(warnings ? { stderr: warnings } : {}) };
  } catch (e) {
    if (e instanceof RunError) return { code: EXIT.errors, stderr: formatRunError(e) };
    throw e;
  }
}
