// The functions with the most self time in a V8 CPU profile (node --cpu-prof), to see where a
// step's CPU time goes on a machine we only reach with one prepared script.
//   node dist/bench/cpuprofile-top.js FILE.cpuprofile [N]
import * as fs from 'node:fs';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, n = '30'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node dist/bench/cpuprofile-top.js FILE.cpuprofile [N]\n');
  process.exit(2);
}
const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(p.nodes.map((x) => [x.id, x]));
const self = new Map<string, number>();
let total = 0;
p.samples.forEach((id, i) => {
  const f = byId.get(id)!.callFrame;
  const key = `${f.functionName || '(anonymous)'}  ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  const dt = p.timeDeltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
process.stdout.write(`${(total / 1000).toFixed(0)} ms sampled; self time:\n`);
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) process.stdout.write(`${(us / 1000).toFixed(1).padStart(9)} ms  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}\n`);
// Inclusive time: a sample counts once for every distinct function on its stack.
const parent = new Map<number, number>();
for (const node of p.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const keyOf = (id: number): string => {
  const f = byId.get(id)!.callFrame;
  return `${f.functionName || '(anonymous)'}  ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
};
const incl = new Map<string, number>();
p.samples.forEach((id, i) => {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(keyOf(at));
  for (const k of seen) incl.set(k, (incl.get(k) ?? 0) + (p.timeDeltas[i] ?? 0));
});
process.stdout.write(`inclusive time:\n`);
for (const [k, us] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) process.stdout.write(`${(us / 1000).toFixed(1).padStart(9)} ms  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}\n`);
