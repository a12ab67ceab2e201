// `siric compare RUN_DIR...`: variants (same pipeline and overrides) side by side, mean ± std over
// seeds at every eval point; --out also writes the charts (SVG) and the tables (Markdown, JSON).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT, type Outcome } from './common.js';

export interface CompareOptions {
  markdown?: boolean;
  json?: boolean;
  out?: string;
  baseline?: string;
}

export async function compareCommand(paths: string[], o: CompareOptions): Promise<Outcome> {
  const { compareRuns, variantTables, finalTable, problemLines, planeSpec, stepsSpec, pairedDeltas, deltaTable } = await import('../report/compare.js');
  const c = compareRuns(paths);
  const stderr = problemLines(c);
  if (c.variants.length === 0) return { code: EXIT.errors, stderr: stderr + 'error: no readable run directories to compare\n' };
  const md = { markdown: !!o.markdown };
  let deltas = '';
  if (o.baseline) {
    const ds = pairedDeltas(c, o.baseline);
    if (typeof ds === 'string') return { code: EXIT.usage, stderr: stderr + `error: --baseline: ${ds}\n` };
    deltas = `\n${o.markdown ? `#### Against ${o.baseline}, paired by seed\n\n` : `Against ${o.baseline}, paired by seed (mean ± std of the per-seed differences):\n`}${deltaTable(c, o.baseline, ds, md)}`;
  }
  const text = `${variantTables(c, md)}\n${o.markdown ? '#### At the last eval point\n\n' : 'At the last eval point:\n'}${finalTable(c, md)}${deltas}`;
  let written = '';
  if (o.out) {
    const { renderSvg } = await import('../report/report.js');
    fs.mkdirSync(o.out, { recursive: true });
    const files: [string, string][] = [
      ['compare.json', JSON.stringify(c, null, 2) + '\n'],
      ['compare.md', `${variantTables(c, { markdown: true })}\n#### At the last eval point\n\n${finalTable(c, { markdown: true })}${o.baseline ? `\n#### Against ${o.baseline}, paired by seed\n\n${deltaTable(c, o.baseline, pairedDeltas(c, o.baseline) as never, { markdown: true })}` : ''}`],
    ];
    for (const col of [...new Set(c.variants.flatMap((v) => v.columns))]) {
      const slug = col.replace(/[^a-z0-9]+/gi, '');
      files.push([`accuracy-tokens-${slug}.svg`, await renderSvg(planeSpec(c, col))]);
      files.push([`over-steps-${slug}.svg`, await renderSvg(stepsSpec(c, col))]);
    }
    for (const [name, body] of files) fs.writeFileSync(path.join(o.out, name), body);
    written = files.map(([name]) => `wrote ${path.join(o.out!, name)}\n`).join('');
  }
  return { code: EXIT.ok, stdout: o.json ? JSON.stringify(c, null, 2) + '\n' : text + (written ? '\n' + written : ''), ...(stderr ? { stderr } : {}) };
}
