// The execution graph as Graphviz DOT (`siric compile --emit dot`).
import type { IR, IRNode } from './graph.js';

const SHAPES: Record<IRNode['type'], string> = { model: 'box3d', dataset: 'cylinder', reward: 'diamond', schedule: 'note', train: 'box', eval: 'ellipse' };
const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function label(n: IRNode): string {
  switch (n.type) {
    case 'train':
      return `train ${n.name}\\n${n.algorithm}, ${n.steps} steps (global ${n.start_step}..${n.start_step + n.steps})`;
    case 'schedule':
      return `schedule ${n.name}\\n${n.phases.length} phases, ${n.total_steps} steps`;
    case 'model':
      return `model ${n.name}\\n${n.source.kind === 'hf' ? n.source.path : `scratch ${n.source.layers}x${n.source.d_model}`}`;
    case 'dataset':
      return `dataset ${n.name}\\n${n.source.kind === 'generated' ? `generated ${n.source.task}` : `${n.source.kind} ${n.source.path}`}`;
    case 'reward':
      return `reward ${n.name}\\n${n.kind} x${n.weight}`;
    case 'eval':
      return `eval ${n.name}\\n${n.mode}${n.samples > 1 ? ` x${n.samples}` : ''}, ${n.points.length} points`;
  }
}

export function toDot(ir: IR): string {
  const lines = [`digraph ${q(ir.pipeline.name)} {`, '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica", fontsize=9];'];
  for (const n of ir.nodes) lines.push(`  ${q(n.id)} [shape=${SHAPES[n.type]}, label=${q(label(n)).replace(/\\\\n/g, '\\n')}];`);
  for (const e of ir.edges) lines.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.kind)}${e.kind === 'after' ? ', style=dashed' : ''}];`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
