// The functions with the most self and inclusive time in a V8 CPU profile (node --cpu-prof, or
// profile-step.js --cpu-prof-step), to see where a step's CPU time goes on a machine we only reach
// with one prepared script.
//   node dist/bench/cpuprofile-top.js FILE.cpuprofile [N] [--exclude FUNCTION]
// --exclude drops the samples with that function on their stack: with `submitQueue` on the
// software device (where the kernels run inside queue.submit) what is left is the host's share.
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

// Piped into head: stop quietly when the reader goes away.
process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));

const args = process.argv.slice(2);
const ex = args.indexOf('--exclude');
const exclude = ex >= 0 ? args.splice(ex, 2)[1] : undefined;
const [file, n = '30'] = args;
if (!file) {
  process.stderr.write('usage: node dist/bench/cpuprofile-top.js FILE.cpuprofile [N] [--exclude FUNCTION]\n');
  process.exit(2);
}
const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(p.nodes.map((x) => [x.id, x]));
const parent = new Map<number, number>();
for (const node of p.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const keyOf = (id: number): string => {
  const f = byId.get(id)!.callFrame;
  return `${f.functionName || '(anonymous)'}  ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
};
const stackOf = (id: number): number[] => {
  const s: number[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) s.push(at);
  return s;
};

const self = new Map<string, number>();
const incl = new Map<string, number>();
let total = 0;
let dropped = 0;
p.samples.forEach((id, i) => {
  const dt = p.timeDeltas[i] ?? 0;
  const stack = stackOf(id);
  if (exclude && stack.some((at) => byId.get(at)!.callFrame.functionName.endsWith(exclude))) {
    dropped += dt;
    return;
  }
  total += dt;
  self.set(keyOf(id), (self.get(keyOf(id)) ?? 0) + dt);
  // Inclusive time: a sample counts once for every distinct function on its stack.
  for (const k of new Set(stack.map(keyOf))) incl.set(k, (incl.get(k) ?? 0) + dt);
});

const show = (m: Map<string, number>): void => {
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) process.stdout.write(`${(us / 1000).toFixed(1).padStart(9)} ms  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}\n`);
};
process.stdout.write(`${(total / 1000).toFixed(0)} ms sampled${exclude ? ` (${(dropped / 1000).toFixed(0)} ms under ${exclude} left out)` : ''}; self time:\n`);
show(self);
process.stdout.write(`inclusive time:\n`);
show(incl);
