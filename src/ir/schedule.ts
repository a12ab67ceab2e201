// Phases → the budget at every step. The curve formulas live here and nowhere else.
import type { IRCurve as Curve, IRPhase } from './graph.js';

/**
 * Budget at step k (0-based) of a phase of n steps. u runs 0 → 1 over the phase so that the first
 * step sits at `from` and the last at `to`: the end of a compression phase is exactly its low point.
 * cosine: L(u) = to + (from − to)·(1 + cos(πu))/2, flat at both ends (RL.md's reading of SIRI).
 */
export function curveAt(c: Curve, k: number, n: number): number {
  const u = n <= 1 ? 1 : k / (n - 1);
  let v = c.from;
  switch (c.kind) {
    case 'constant':
      v = c.from;
      break;
    case 'linear':
      v = c.from + (c.to - c.from) * u;
      break;
    case 'cosine':
      v = c.to + ((c.from - c.to) * (1 + Math.cos(Math.PI * u))) / 2;
      break;
  }
  return Math.max(1, Math.round(v));
}

export interface Expanded {
  phases: IRPhase[];
  byStep: number[];
  phaseByStep: number[];
}

export function expandPhases(specs: readonly { name: string; cycle: number; steps: number; curve: Curve; role: IRPhase['role'] }[]): Expanded {
  const phases: IRPhase[] = [];
  const byStep: number[] = [];
  const phaseByStep: number[] = [];
  let start = 0;
  specs.forEach((p, index) => {
    phases.push({ index, name: p.name, cycle: p.cycle, role: p.role, start, end: start + p.steps, steps: p.steps, curve: { ...p.curve } });
    for (let k = 0; k < p.steps; k++) {
      byStep.push(curveAt(p.curve, k, p.steps));
      phaseByStep.push(index);
    }
    start += p.steps;
  });
  return { phases, byStep, phaseByStep };
}
