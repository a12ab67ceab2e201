// Checkpoints are folders of one flat `checkpoints/` folder per run, so their names must be unique
// across the run's stages. A name only one stage writes stays as it is; a name two stages would
// write (two stages sharing a schedule both end `compress-1-end`) gets each stage's name in front
// (`rl-compress-1-end`). Which checkpoints are SIRI-low/high stays in each checkpoint's `siri`.
import type { Span } from '../ast/ast.js';
import { diag, type Diagnostic } from '../diagnostics/messages.js';
import type { IRTrain } from './graph.js';

/** Names the runtime writes itself, next to the stages' checkpoints. */
const RESERVED = ['interrupted', 'latest.json', 'index.json'];

/** Qualifies shared names in place; reports names that still collide (`spans`: where each stage is named, by stage id). */
export function qualifyCheckpointNames(trains: IRTrain[], spans: Map<string, Span | undefined>, diagnostics: Diagnostic[]): void {
  const stagesOf = new Map<string, Set<string>>();
  for (const t of trains) for (const c of t.checkpoints) stagesOf.set(c.name, (stagesOf.get(c.name) ?? new Set()).add(t.id));
  for (const t of trains) for (const c of t.checkpoints) if (stagesOf.get(c.name)!.size > 1) c.name = `${t.name}-${c.name}`;
  // Folder names are compared without case: on macOS and Windows `RL-end` and `rl-end` are one folder.
  const first = new Map<string, { stage?: IRTrain; name: string }>(RESERVED.map((r) => [r, { name: r }]));
  const reported = new Set<string>();
  for (const t of trains) {
    for (const c of t.checkpoints) {
      const key = c.name.toLowerCase();
      if (!first.has(key)) {
        first.set(key, { stage: t, name: c.name });
        continue;
      }
      const { stage: other, name } = first.get(key)!;
      if (other === t || reported.has(`${t.id} ${other?.id}`)) continue;
      reported.add(`${t.id} ${other?.id}`);
      diagnostics.push(
        diag('E0416', spans.get(t.id), `the checkpoint \`${c.name}\` of \`${t.name}\` would be the same folder as ${other ? `the checkpoint \`${name}\` of \`${other.name}\`` : `\`${name}\`, which the runtime writes`}`, {
          label: 'writes a checkpoint folder another one also writes',
          help: other ? `checkpoint folders are named after the stages, and names that differ only in case are one folder on macOS and Windows: rename \`${t.name}\` or \`${other.name}\`` : `rename \`${t.name}\``,
        }),
      );
    }
  }
}
