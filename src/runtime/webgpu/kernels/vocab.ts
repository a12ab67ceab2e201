// WGSL kernels over vocabulary rows (webgpu), on webgpu-rows.ts's row machinery: the sampler's
// token choice, and token log-probs and entropies with their gradients (rl/loss.ts).
//
//   SiricPick(x [B, V], u [B]) → [B, 2]: a token per row of softmax(x/temperature) and its
//     log-prob: greedy, the first maximum; else the inverse CDF at u (ids in order, as the
//     sampler's other paths), the chosen id travelling as a float
//   SiricTokenLogp(x [rows, V], tg [rows]) → [rows]:  with z = x/temperature and p = softmax(z),
//     log p[tg] (entropy = false) or the entropy −Σ p·log p = log Z − Σ p·z (entropy = true)
//   SiricTokenLogpDx(dy [rows], x, tg) → dx [rows, V]:  dy·(onehot(tg) − p)/temperature, or for
//     the entropy −dy·p·(z − Σ p·z)/temperature
//
// Each replaces a dozen or more tfjs ops over [rows, V] tensors. Results agree with those op chains
// to float32 rounding.
import type * as tf from '@tensorflow/tfjs';
import { f32, i32, type KernelArgs, last, REDUCE, registerWebgpu, RowProgram, rowsOf, WG } from './rows.js';

export const PICK = 'SiricPick';
export const TOKEN_LOGP = 'SiricTokenLogp';
export const TOKEN_LOGP_DX = 'SiricTokenLogpDx';

/** The row's max and Σ exp(z − max) (and Σ exp(z − max)·z for the entropy) of z = X/temperature. */
function logZCode(entropy: boolean): string {
  return `
    var mx = -uniforms.INFINITY;
    for (var c = i32(localIndex); c < uniforms.cols; c += ${WG}) { mx = max(mx, X[base + c] / uniforms.temperature); }
    let m = rowMax(mx);
    var s = 0.0;
    var sz = 0.0;
    for (var c = i32(localIndex); c < uniforms.cols; c += ${WG}) {
      let z = X[base + c] / uniforms.temperature;
      let e = exp(z - m);
      s += e;
      ${entropy ? 'sz += e * z;' : ''}
    }
    let total = rowSum(s);
    let logZ = m + log(total);
    ${entropy ? 'let meanZ = rowSum(sz) / total;' : ''}`;
}

/**
 * One workgroup per row. Each thread owns a contiguous chunk of the vocabulary; chunk sums of
 * exp(z − max) are scanned in workgroup memory, so that every thread knows the CDF at its chunk's
 * start, counts its ids whose CDF is below u·total, and the counts add up to the token.
 */
class PickProgram extends RowProgram {
  shaderKey: string;
  variableNames: string[];
  uniforms = 'rows : i32, cols : i32, temperature : f32,';
  constructor(
    rows: number,
    private readonly greedy: boolean,
  ) {
    super([rows, 2], rows);
    this.shaderKey = `siricPick_${greedy ? 1 : 0}`;
    this.variableNames = greedy ? ['X'] : ['X', 'U']; // greedy reads no uniforms: WGSL would drop their binding
  }
  getUserCode(): string {
    const choose = this.greedy
      ? `
    // The first index of the maximum: each thread's best, then the workgroup's (ties to the lower id).
    var best = -uniforms.INFINITY;
    var bestId = uniforms.cols;
    for (var c = lo; c < hi; c++) { let z = X[base + c] / uniforms.temperature; if (z > best) { best = z; bestId = c; } }
    ids[localIndex] = bestId;
    red[localIndex] = best;
    workgroupBarrier();
    for (var st = ${WG / 2}u; st > 0u; st = st >> 1u) {
      if (localIndex < st) {
        let o = localIndex + st;
        if (red[o] > red[localIndex] || (red[o] == red[localIndex] && ids[o] < ids[localIndex])) { red[localIndex] = red[o]; ids[localIndex] = ids[o]; }
      }
      workgroupBarrier();
    }
    let token = min(ids[0], uniforms.cols - 1);`
      : `
    // Chunk sums, then an exclusive scan over the chunks (thread 0; ${WG} entries).
    var part = 0.0;
    for (var c = lo; c < hi; c++) { part += exp(X[base + c] / uniforms.temperature - logZ); }
    scan[localIndex] = part;
    workgroupBarrier();
    if (localIndex == 0u) {
      var acc = 0.0;
      for (var i = 0u; i < ${WG}u; i++) { let v = scan[i]; scan[i] = acc; acc += v; }
      scan[${WG}] = acc;
    }
    workgroupBarrier();
    let threshold = U[at.x] * scan[${WG}];
    var cdf = scan[localIndex];
    var below = 0.0;
    for (var c = lo; c < hi; c++) { cdf += exp(X[base + c] / uniforms.temperature - logZ); if (cdf < threshold) { below += 1.0; } }
    let token = min(i32(rowSum(below)), uniforms.cols - 1);`;
    return `${REDUCE}
  var<workgroup> ids : array<i32, ${WG}>;
  var<workgroup> scan : array<f32, ${WG + 1}>;
  fn main() {
    let at = rowIndex(uniforms.rows);
    let base = at.x * uniforms.cols;
    let chunk = (uniforms.cols + ${WG - 1}) / ${WG};
    let lo = min(i32(localIndex) * chunk, uniforms.cols);
    let hi = min(lo + chunk, uniforms.cols);
    var mx = -uniforms.INFINITY;
    for (var c = lo; c < hi; c++) { mx = max(mx, X[base + c] / uniforms.temperature); }
    let m = rowMax(mx);
    var s = 0.0;
    for (var c = lo; c < hi; c++) { s += exp(X[base + c] / uniforms.temperature - m); }
    let logZ = m + log(rowSum(s));
    ${choose}
    if (localIndex == 0u && at.y == 1) {
      setOutputAtIndex(at.x * 2, f32(token));
      setOutputAtIndex(at.x * 2 + 1, X[base + token] / uniforms.temperature - logZ);
    }
  }`;
  }
}

// The entropy's kernels do not read the targets: they are not bound (WGSL drops an unused binding).
class TokenLogpProgram extends RowProgram {
  shaderKey: string;
  variableNames: string[];
  uniforms = 'rows : i32, cols : i32, temperature : f32,';
  constructor(
    outputShape: number[],
    rows: number,
    private readonly entropy: boolean,
  ) {
    super(outputShape, rows);
    this.shaderKey = `siricTokenLogp_${entropy ? 1 : 0}`;
    this.variableNames = entropy ? ['X'] : ['X', 'Tg'];
  }
  getUserCode(): string {
    const value = this.entropy ? 'logZ - meanZ' : 'X[base + Tg[at.x]] / uniforms.temperature - logZ';
    return `${REDUCE}
  fn main() {
    let at = rowIndex(uniforms.rows);
    let base = at.x * uniforms.cols;
    ${logZCode(this.entropy)}
    if (localIndex == 0u && at.y == 1) { setOutputAtIndex(at.x, ${value}); }
  }`;
  }
}

class TokenLogpDxProgram extends RowProgram {
  shaderKey: string;
  variableNames: string[];
  uniforms = 'rows : i32, cols : i32, temperature : f32,';
  constructor(
    outputShape: number[],
    rows: number,
    private readonly entropy: boolean,
  ) {
    super(outputShape, rows);
    this.shaderKey = `siricTokenLogpDx_${entropy ? 1 : 0}`;
    this.variableNames = entropy ? ['DY', 'X'] : ['DY', 'X', 'Tg'];
  }
  getUserCode(): string {
    const grad = this.entropy ? '-dy * p * (z - meanZ)' : "dy * (select(0.0, 1.0, c == Tg[at.x]) - p)";
    return `${REDUCE}
  fn main() {
    let at = rowIndex(uniforms.rows);
    let base = at.x * uniforms.cols;
    ${logZCode(this.entropy)}
    let dy = DY[at.x];
    if (at.y == 1) {
      for (var c = i32(localIndex); c < uniforms.cols; c += ${WG}) {
        let z = X[base + c] / uniforms.temperature;
        let p = exp(z - logZ);
        setOutputAtIndex(base + c, (${grad}) / uniforms.temperature);
      }
    }
  }`;
  }
}

const KERNELS: Record<string, (a: KernelArgs) => tf.TensorInfo> = {
  [PICK]: ({ inputs: { x, u }, backend, attrs }) => {
    const rows = rowsOf(x!);
    const greedy = attrs['greedy'] === true;
    return backend.runWebGPUProgram(new PickProgram(rows, greedy), greedy ? [x!] : [x!, u!], 'float32', [i32(rows), i32(last(x!)), f32(attrs['temperature'] as number)]);
  },
  [TOKEN_LOGP]: ({ inputs: { x, tg }, backend, attrs }) => {
    const rows = rowsOf(x!);
    const entropy = attrs['entropy'] === true;
    return backend.runWebGPUProgram(new TokenLogpProgram([rows], rows, entropy), entropy ? [x!] : [x!, tg!], 'float32', [i32(rows), i32(last(x!)), f32(attrs['temperature'] as number)]);
  },
  [TOKEN_LOGP_DX]: ({ inputs: { dy, x, tg }, backend, attrs }) => {
    const rows = rowsOf(x!);
    const entropy = attrs['entropy'] === true;
    return backend.runWebGPUProgram(new TokenLogpDxProgram(x!.shape, rows, entropy), entropy ? [dy!, x!] : [dy!, x!, tg!], 'float32', [i32(rows), i32(last(x!)), f32(attrs['temperature'] as number)]);
  },
};

/** Registers the vocabulary-row kernels for webgpu (idempotent). */
export const registerWebgpuVocabKernels = (): string[] => registerWebgpu(KERNELS);
