// WGSL kernels for the fused blocks (model/fused.ts) on webgpu: each replaces a chain of tfjs ops
// (one dispatch each, plus its fixed CPU cost) by one dispatch.
//
//   SiricRmsInv(x [N, D]) → r [N, 1]:           r = 1/√(mean(x²) + ε)
//   SiricRmsNormDx(dy, xr [N, D], w [D], r [N, 1]) → dx [N, D]:  g = dy·w, dx = r·(g − xr·mean(g·xr))
//   SiricRope(x [B, n, T, hd], cos, sin [B, 1, T, hd]) → y:  y = x·cos + rot(x)·sin,  rot([a, b]) = [b, a]
//     (backward = true: dx = dy·cos + rot(dy·sin), rot being its own transpose); with layout
//     rowsToHeads x is a linear layer's [B·T, n·hd] and the heads' transpose happens on the way
//     (headsToRows: the way back, for the gradient)
//   SiricMaskedSoftmax(s [B, G, R, S], mask [1|B, 1, T, S]) → p:  p = softmax(s·scale + mask), row r
//     of a KV group reading mask row r mod T (the query heads of a group are folded into R = g·T)
//   SiricSoftmaxDx(dp, p [rows, S]) → ds:  ds = (dp·p − Σ(dp·p)·p)·scale
//   SiricSwiglu(g, u) → g·σ(g)·u, and SiricSwigluDx(dy, g, u) → dg (wrt = 0) or du (wrt = 1):
//     du = dy·g·σ(g), dg = dy·u·σ(g)·(1 + g·(1 − σ(g)))
//   SiricPick(x [B, V], u [B]) → [B, 2]: a token per row of softmax(x/temperature) and its
//     log-prob: greedy, the first maximum; else the inverse CDF at u (ids in order, as the
//     sampler's other paths), the chosen id travelling as a float
//   SiricTokenLogp(x [rows, V], tg [rows]) → [rows]:  with z = x/temperature and p = softmax(z),
//     log p[tg] (entropy = false) or the entropy −Σ p·log p = log Z − Σ p·z (entropy = true)
//   SiricTokenLogpDx(dy [rows], x, tg) → dx [rows, V]:  dy·(onehot(tg) − p)/temperature, or for
//     the entropy −dy·p·(z − Σ p·z)/temperature
//
// Row kernels run one workgroup of 64 threads per row, each thread striding over the columns, with
// sums and maxima reduced through workgroup memory. Results agree with the tfjs op chains to float32
// rounding (the order of a row's sum differs).
import * as tf from '@tensorflow/tfjs';
import type { WebgpuBackendLike, WebgpuProgram } from './webgpu-matmul.js';

export const RMS_INV = 'SiricRmsInv';
export const RMS_NORM_DX = 'SiricRmsNormDx';
export const ROPE = 'SiricRope';
export const MASKED_SOFTMAX = 'SiricMaskedSoftmax';
export const SOFTMAX_DX = 'SiricSoftmaxDx';
export const SWIGLU = 'SiricSwiglu';
export const SWIGLU_DX = 'SiricSwigluDx';
export const PICK = 'SiricPick';
export const TOKEN_LOGP = 'SiricTokenLogp';
export const TOKEN_LOGP_DX = 'SiricTokenLogpDx';

const WG = 64;

/** One workgroup per row; a row count past one dispatch dimension's limit folds into y. */
function rowDispatch(rows: number): [number, number, number] {
  if (rows <= 65535) return [Math.max(1, rows), 1, 1];
  const x = Math.ceil(Math.sqrt(rows));
  return [x, Math.ceil(rows / x), 1];
}

/** Workgroup-memory reductions; callers reach them in uniform control flow (barriers inside). */
const REDUCE = `
  var<workgroup> red : array<f32, ${WG}>;
  fn rowSum(v : f32) -> f32 {
    red[localIndex] = v;
    workgroupBarrier();
    for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
      if (localIndex < s) { red[localIndex] = red[localIndex] + red[localIndex + s]; }
      workgroupBarrier();
    }
    let total = red[0];
    workgroupBarrier();
    return total;
  }
  fn rowMax(v : f32) -> f32 {
    red[localIndex] = v;
    workgroupBarrier();
    for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
      if (localIndex < s) { red[localIndex] = max(red[localIndex], red[localIndex + s]); }
      workgroupBarrier();
    }
    let m = red[0];
    workgroupBarrier();
    return m;
  }
  // The row this workgroup handles, clamped so that every thread of an idle workgroup still
  // reaches the barriers (WGSL needs them in uniform control flow); it writes nothing.
  fn rowIndex(rows : i32) -> vec2<i32> {
    let r = i32(workgroupId.y * numWorkgroups.x + workgroupId.x);
    return vec2<i32>(min(r, rows - 1), select(0, 1, r < rows));
  }`;

abstract class RowProgram implements WebgpuProgram {
  outputShape: number[];
  abstract shaderKey: string;
  dispatchLayout = { x: [0], y: [1] };
  dispatch: [number, number, number];
  abstract variableNames: string[];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  abstract uniforms: string;
  constructor(outputShape: number[], rows: number) {
    this.outputShape = outputShape;
    this.dispatch = rowDispatch(rows);
  }
  abstract getUserCode(): string;
}

class RmsInvProgram extends RowProgram {
  shaderKey = 'siricRmsInv';
  variableNames = ['X'];
  uniforms = 'rows : i32, cols : i32, eps : f32,';
  getUserCode(): string {
    return `${REDUCE}
  fn main() {
    let at = rowIndex(uniforms.rows);
    let base = at.x * uniforms.cols;
    var s = 0.0;
    for (var c = i32(localIndex); c < uniforms.cols; c += ${WG}) { let v = X[base + c]; s += v * v; }
    let total = rowSum(s);
    if (localIndex == 0u && at.y == 1) { setOutputAtIndex(at.x, inverseSqrt(total / f32(uniforms.cols) + uniforms.eps)); }
  }`;
  }
}

class RmsNormDxProgram extends RowProgram {
  shaderKey = 'siricRmsNormDx';
  variableNames = ['DY', 'XR', 'W', 'R'];
  uniforms = 'rows : i32, cols : i32,';
  getUserCode(): string {
    return `${REDUCE}
  fn main() {
    let at = rowIndex(uniforms.rows);
    let base = at.x * uniforms.cols;
    var s = 0.0;
    for (var c = i32(localIndex); c < uniforms.cols; c += ${WG}) { s += DY[base + c] * W[c] * XR[base + c]; }
    let m = rowSum(s) / f32(uniforms.cols);
    let r = R[at.x];
    if (at.y == 1) {
      for (var c = i32(localIndex); c < uniforms.cols; c += ${WG}) {
        let g = DY[base + c] * W[c];
        setOutputAtIndex(base + c, r * (g - XR[base + c] * m));
      }
    }
  }`;
  }
}

/**
 * Layouts of rotary embedding's input and output: both [B, n, T, hd] (`heads`); the rows a linear
 * layer gives, [B·T, n·hd], in and [B, n, T, hd] out (`rowsToHeads`: the forward pass with the
 * heads' transpose folded in); or the reverse (`headsToRows`: its backward pass).
 */
export type RopeLayout = 'heads' | 'rowsToHeads' | 'headsToRows';

class RopeProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['X', 'C', 'S'];
  workgroupSize: [number, number, number] = [256, 1, 1];
  uniforms = 'heads : i32, steps : i32, hd : i32,';
  size = true;
  constructor(
    outputShape: number[],
    private readonly backward: boolean,
    private readonly layout: RopeLayout,
  ) {
    this.outputShape = outputShape;
    this.dispatch = [Math.ceil(outputShape.reduce((a, b) => a * b, 1) / 256), 1, 1];
    this.shaderKey = `siricRope_${backward ? 1 : 0}_${layout}`;
  }
  getUserCode(): string {
    // Forward: y[d] = x[d]·cos[d] + x[d']·sin[d]; backward: dx[d] = dy[d]·cos[d] + dy[d']·sin[d'],
    // with d' the same position in the other half.
    const other = this.backward ? 'S[tab + dp]' : 'S[tab + d]';
    // The output index's (b, h, t), and where that element sits in the input.
    const coords = {
      heads: `let t = (index / hd) % T;
      let b = index / (hd * T * n);
      let src = index;`,
      rowsToHeads: `let t = (index / hd) % T;
      let h = (index / (hd * T)) % n;
      let b = index / (hd * T * n);
      let src = ((b * T + t) * n + h) * hd + d;`,
      headsToRows: `let h = (index / hd) % n;
      let t = (index / (hd * n)) % T;
      let b = index / (hd * n * T);
      let src = ((b * n + h) * T + t) * hd + d;`,
    }[this.layout];
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let hd = uniforms.hd;
      let n = uniforms.heads;
      let T = uniforms.steps;
      let half = hd / 2;
      let d = index % hd;
      ${coords}
      let dp = select(d - half, d + half, d < half);
      let tab = (b * T + t) * hd;
      setOutputAtIndex(index, X[src] * C[tab + d] + X[src - d + dp] * ${other});
    }
  }`;
  }
}

/** SwiGLU's activation and its two gradients, elementwise (σ as tfjs's sigmoid writes it). */
class SwigluProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number] = [256, 1, 1];
  size = true;
  constructor(
    shape: number[],
    private readonly mode: 'forward' | 'dgate' | 'dup',
  ) {
    this.outputShape = shape;
    this.dispatch = [Math.ceil(shape.reduce((a, b) => a * b, 1) / 256), 1, 1];
    this.shaderKey = `siricSwiglu_${mode}`;
    this.variableNames = mode === 'forward' ? ['G', 'U'] : mode === 'dup' ? ['DY', 'G'] : ['DY', 'G', 'U'];
  }
  getUserCode(): string {
    const value = { forward: 'g * s * U[index]', dup: 'DY[index] * (g * s)', dgate: 'DY[index] * U[index] * s * (1.0 + g * (1.0 - s))' }[this.mode];
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let g = G[index];
      let s = 1.0 / (1.0 + exp(-1.0 * g));
      setOutputAtIndex(index, ${value});
    }
  }`;
  }
}

class MaskedSoftmaxProgram extends RowProgram {
  shaderKey: string;
  variableNames = ['X', 'M'];
  uniforms = 'rows : i32, cols : i32, steps : i32, rowsPerBatch : i32, scale : f32,';
  constructor(
    outputShape: number[],
    rows: number,
    maskPerBatch: boolean,
  ) {
    super(outputShape, rows);
    this.shaderKey = `siricMaskedSoftmax_${maskPerBatch ? 1 : 0}`;
    this.maskBase = maskPerBatch ? '(at.x / uniforms.rowsPerBatch) * uniforms.steps' : '0';
  }
  private readonly maskBase: string;
  getUserCode(): string {
    return `${REDUCE}
  fn main() {
    let at = rowIndex(uniforms.rows);
    let base = at.x * uniforms.cols;
    let mrow = (${this.maskBase} + at.x % uniforms.steps) * uniforms.cols;
    var mx = -uniforms.INFINITY;
    for (var c = i32(localIndex); c < uniforms.cols; c += ${WG}) { mx = max(mx, X[base + c] * uniforms.scale + M[mrow + c]); }
    let m = rowMax(mx);
    var s = 0.0;
    for (var c = i32(localIndex); c < uniforms.cols; c += ${WG}) { s += exp(X[base + c] * uniforms.scale + M[mrow + c] - m); }
    let total = rowSum(s);
    if (at.y == 1) {
      for (var c = i32(localIndex); c < uniforms.cols; c += ${WG}) {
        setOutputAtIndex(base + c, exp(X[base + c] * uniforms.scale + M[mrow + c] - m) / total);
      }
    }
  }`;
  }
}

class SoftmaxDxProgram extends RowProgram {
  shaderKey = 'siricSoftmaxDx';
  variableNames = ['DP', 'P'];
  uniforms = 'rows : i32, cols : i32, scale : f32,';
  getUserCode(): string {
    return `${REDUCE}
  fn main() {
    let at = rowIndex(uniforms.rows);
    let base = at.x * uniforms.cols;
    var s = 0.0;
    for (var c = i32(localIndex); c < uniforms.cols; c += ${WG}) { s += DP[base + c] * P[base + c]; }
    let total = rowSum(s);
    if (at.y == 1) {
      for (var c = i32(localIndex); c < uniforms.cols; c += ${WG}) {
        let p = P[base + c];
        setOutputAtIndex(base + c, (DP[base + c] * p - total * p) * uniforms.scale);
      }
    }
  }`;
  }
}

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

type Args = { inputs: Record<string, tf.TensorInfo>; backend: WebgpuBackendLike; attrs: Record<string, number | boolean> };
const i32 = (v: number) => ({ type: 'int32' as const, data: [v] });
const f32 = (v: number) => ({ type: 'float32' as const, data: [v] });
const last = (t: tf.TensorInfo): number => t.shape[t.shape.length - 1]!;
const rowsOf = (t: tf.TensorInfo): number => t.shape.reduce((a, b) => a * b, 1) / last(t);

const KERNELS: Record<string, (a: Args) => tf.TensorInfo> = {
  [RMS_INV]: ({ inputs: { x }, backend, attrs }) => {
    const rows = rowsOf(x!);
    return backend.runWebGPUProgram(new RmsInvProgram([...x!.shape.slice(0, -1), 1], rows), [x!], 'float32', [i32(rows), i32(last(x!)), f32(attrs['eps'] as number)]);
  },
  [RMS_NORM_DX]: ({ inputs: { dy, xr, w, r }, backend }) => {
    const rows = rowsOf(dy!);
    return backend.runWebGPUProgram(new RmsNormDxProgram(dy!.shape, rows), [dy!, xr!, w!, r!], 'float32', [i32(rows), i32(last(dy!))]);
  },
  [ROPE]: ({ inputs: { x, cos, sin }, backend, attrs }) => {
    const layout = (attrs['layout'] ?? 'heads') as unknown as RopeLayout;
    const [B, , T, hd] = cos!.shape as [number, number, number, number];
    const n = layout === 'heads' ? x!.shape[1]! : (attrs['heads'] as number);
    const out = layout === 'headsToRows' ? [B * T, n * hd] : [B, n, T, hd];
    return backend.runWebGPUProgram(new RopeProgram(out, attrs['backward'] === true, layout), [x!, cos!, sin!], 'float32', [i32(n), i32(T), i32(hd)]);
  },
  [MASKED_SOFTMAX]: ({ inputs: { x, mask }, backend, attrs }) => {
    const rows = rowsOf(x!);
    const [mb, , T] = mask!.shape as [number, number, number, number];
    const rowsPerBatch = rows / x!.shape[0]!;
    return backend.runWebGPUProgram(new MaskedSoftmaxProgram(x!.shape, rows, mb > 1), [x!, mask!], 'float32', [i32(rows), i32(last(x!)), i32(T), i32(rowsPerBatch), f32(attrs['scale'] as number)]);
  },
  [SWIGLU]: ({ inputs: { g, u }, backend }) => backend.runWebGPUProgram(new SwigluProgram(g!.shape, 'forward'), [g!, u!], 'float32'),
  [SWIGLU_DX]: ({ inputs: { dy, g, u }, backend, attrs }) => (attrs['wrt'] === 1 ? backend.runWebGPUProgram(new SwigluProgram(g!.shape, 'dup'), [dy!, g!], 'float32') : backend.runWebGPUProgram(new SwigluProgram(g!.shape, 'dgate'), [dy!, g!, u!], 'float32')),
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
  [SOFTMAX_DX]: ({ inputs: { dp, p }, backend, attrs }) => {
    const rows = rowsOf(dp!);
    return backend.runWebGPUProgram(new SoftmaxDxProgram(dp!.shape, rows), [dp!, p!], 'float32', [i32(rows), i32(last(dp!)), f32(attrs['scale'] as number)]);
  },
};

/** Registers the row kernels for webgpu (idempotent). */
export function registerWebgpuRowKernels(): string[] {
  const done: string[] = [];
  for (const [name, fn] of Object.entries(KERNELS)) {
    if (tf.getKernel(name, 'webgpu')) continue;
    tf.registerKernel({ kernelName: name, backendName: 'webgpu', kernelFunc: fn as unknown as tf.KernelFunc });
    done.push(`${name}@webgpu`);
  }
  return done;
}

/** Whether the current backend has the row kernels (SIRIC_WEBGPU_ROW_KERNELS=0 turns them off). */
export function hasRowKernels(): boolean {
  return tf.getKernel(RMS_INV, tf.getBackend()) !== undefined && process.env['SIRIC_WEBGPU_ROW_KERNELS'] !== '0';
}
