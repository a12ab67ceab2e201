// `siric compare RUN_DIR...`: variants (same pipeline and overrides) side by side, mean ± std (or,
// with --spread se, ± standard error) over seeds at every eval point; --out also writes the charts (SVG) and the tables (Markdown, JSON).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT, type Outcome } from './common.js';

export interface CompareOptions {
  markdown?: boolean;
  json?: boolean;
  out?: string;
  baseline?: string;
  spread?: string;
}

export async function compareCommand(paths: string[], o: CompareOptions): Promise<Outcome> {
  const { compareRuns, variantTables, finalTable, problemLines, planeSpec, stepsSpec, pairedDeltas, deltaTable, SPREAD_LABEL } = await import('../report/compare.js');
  if (o.spread !== undefined && o.spread !== 'std' && o.spread !== 'se') return { code: EXIT.usage, stderr: `error: --spread takes \`std\` (the runs' standard deviation) or \`se\` (the standard error of the mean), not \`${o.spread}\`\n` };
  const spread = (o.spread ?? 'std') as 'std' | 'se';
  const label = SPREAD_LABEL[spread];
  const c = compareRuns(paths);
  const stderr = problemLines(c);
  if (c.variants.length === 0) return { code: EXIT.errors, stderr: stderr + 'error: no readable run directories to compare\n' };
  const deltas = o.baseline ? pairedDeltas(c, o.baseline) : undefined;
  if (typeof deltas === 'string') return { code: EXIT.usage, stderr: stderr + `error: --baseline: ${deltas}\n` };
  /** The tables, as text or Markdown: per variant, at the last point, and against the baseline. */
  const tables = (markdown: boolean): string => {
    const head = (title: string): string => (markdown ? `#### ${title}\n\n` : `${title}:\n`);
    const against = o.baseline && deltas ? `\n${head(`Against ${o.baseline}, paired by seed (mean ± ${label} of the per-seed differences)`)}${deltaTable(c, o.baseline, deltas, { markdown, spread })}` : '';
    const intro = spread === 'std' ? '' : markdown ? `Mean ± standard error (s.e.) over seeds.\n\n` : `mean ± standard error (s.e.) over seeds\n\n`;
    return `${intro}${variantTables(c, { markdown, spread })}\n${head('At the last eval point')}${finalTable(c, { markdown, spread })}${against}`;
  };
  const text = tables(!!o.markdown);
  let written = '';
  if (o.out) {
    const { renderSvg } = await import('../report/report.js');
    fs.mkdirSync(o.out, { recursive: true });
    const files: [string, string][] = [
      ['compare.json', JSON.stringify(c, null, 2) + '\n'],
      ['compare.md', tables(true)],
    ];
    for (const col of [...new Set(c.variants.flatMap((v) => v.columns))]) {
      const slug = col.replace(/[^a-z0-9]+/gi, '');
      files.push([`accuracy-tokens-${slug}.svg`, await renderSvg(planeSpec(c, col, spread))]);
      files.push([`over-steps-${slug}.svg`, await renderSvg(stepsSpec(c, col, spread))]);
    }
    for (const [name, body] of files) fs.writeFileSync(path.join(o.out, name), body);
    written = files.map(([name]) => `wrote ${path.join(o.out!, name)}\n`).join('');
  }
  return { code: EXIT.ok, stdout: o.json ? JSON.stringify(c, null, 2) + '\n' : text + (written ? '\n' + written : ''), ...(stderr ? { stderr } : {}) };
}
