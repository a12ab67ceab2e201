// One pipeline as canonical text (`siric diff --textconv`, for git): every resolved setting of every
// declaration on a line of its own, with its unit and where it comes from, and each stage's rollout
// budget by phase. Nothing of the text survives but its meaning: re-indenting or re-commenting the
// file gives the same output, and a changed value changes one line. Origins leave out line numbers
// for the same reason (a comment added above a setting moves it, and changes nothing).
import type { IRTrain } from '../ir/graph.js';
import { describeValueOrigin, phaseCells } from './render.js';
import { fieldSetting, leaves, nodeMap, sideValue, summary, type AnyNode, type ValueOrigin } from './compare.js';
import type { Side } from './side.js';

/** Declarations by kind, in the order a pipeline reads; within a kind, by id (the file's order is not meaning). */
const KIND_ORDER = ['pipeline', 'model', 'dataset', 'reward', 'schedule', 'train', 'eval'];

export function describeSide(side: Side): string {
  const out: string[] = [`pipeline ${side.ir.pipeline.name}: ${side.ir.total_steps} steps in all`];
  for (const o of side.ir.overrides) out.push(`--set ${o.path}=${o.value}`);
  const rank = (n: AnyNode): number => KIND_ORDER.indexOf(n.type);
  const nodes = [...nodeMap(side.ir)].sort(([ia, a], [ib, b]) => rank(a) - rank(b) || (ia < ib ? -1 : ia > ib ? 1 : 0));
  for (const [id, node] of nodes) {
    // A schedule shows where it is used: as the budget of each stage that follows it.
    if (node.type === 'schedule') continue;
    out.push('', `${node.type} ${node.name}`);
    for (const [field, value] of leaves(node)) {
      if (field === 'name') continue; // the heading's
      const { setting, name } = fieldSetting(node, field);
      const v = sideValue(side, id, node, field, value, setting?.path);
      out.push(`  ${name} = ${v.text}  # ${originWord(v.origin)}`);
    }
    if (node.type === 'train') out.push(...budgetLines(node));
  }
  return out.join('\n') + '\n';
}

/** An origin without its line number. */
function originWord(o: ValueOrigin): string {
  if (o.kind === 'file') return 'the file';
  if (o.kind === 'with') return `the file's with { }${o.name ? ` over ${o.name}` : ''}`;
  if (o.kind === 'preset') return `${o.file}${o.name ? ` (${o.name})` : ''}`;
  return describeValueOrigin(o);
}

function budgetLines(t: IRTrain): string[] {
  const s = summary(t);
  const lines = [`  rollout budget: ${s.schedule ? `from ${s.schedule}` : 'a fixed budget'}; min ${s.min}, max ${s.max}, mean ${s.mean}, sum over the steps ${s.tokens} tokens`];
  for (const [phase, role, steps, budget, curve] of phaseCells(s)) lines.push(`    phase ${phase}  ${role}  steps ${steps}  budget ${budget}  ${curve}`);
  return lines;
}
