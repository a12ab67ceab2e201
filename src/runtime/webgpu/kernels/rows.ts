// WGSL kernels for the fused blocks (model/fused.ts) on webgpu: each replaces a chain of tfjs ops
// (one dispatch each, plus its fixed CPU cost) by one dispatch. The kernels over vocabulary rows
// (token choice, log-probs) are in webgpu-vocab.ts, on the same row machinery.
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
//
// Row kernels run one workgroup of 64 threads per row, each thread striding over the columns, with
// sums and maxima reduced through workgroup memory. Results agree with the tfjs op chains to float32
// rounding (the order of a row's sum differs).
import * as tf from '@tensorflow/tfjs';
import type { WebgpuBackendLike, WebgpuProgram } from './matmul.js';

export const RMS_INV = 'SiricRmsInv';
export const RMS_NORM_DX = 'SiricRmsNormDx';
export const ROPE = 'SiricRope';
export const MASKED_SOFTMAX = 'SiricMaskedSoftmax';
export const SOFTMAX_DX = 'SiricSoftmaxDx';
export const SWIGLU = 'SiricSwiglu';
export const SWIGLU_DX = 'SiricSwigluDx';

/** Threads per row. */
export const WG = 64;

/** One workgroup per row; a row count past one dispatch dimension's limit folds into y. */
export function rowDispatch(rows: number): [number, number, number] {
  if (rows <= 65535) return [Math.max(1, rows), 1, 1];
  const x = Math.ceil(Math.sqrt(rows));
  return [x, Math.ceil(rows / x), 1];
}

/** Workgroup-memory reductions; callers reach them in uniform control flow (barriers inside). */
export const REDUCE = `
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

export abstract class RowProgram implements WebgpuProgram {
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

export type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: WebgpuBackendLike; attrs: Record<string, number | boolean> };
export const i32 = (v: number) => ({ type: 'int32' as const, data: [v] });
export const f32 = (v: number) => ({ type: 'float32' as const, data: [v] });
export const last = (t: tf.TensorInfo): number => t.shape[t.shape.length - 1]!;
/** Rows of a tensor read as [rows, last axis]. */
export const rowsOf = (t: tf.TensorInfo): number => t.shape.reduce((a, b) => a * b, 1) / last(t);

const KERNELS: Record<string, (a: KernelArgs) => tf.TensorInfo> = {
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
  [SOFTMAX_DX]: ({ inputs: { dp, p }, backend, attrs }) => {
    const rows = rowsOf(dp!);
    return backend.runWebGPUProgram(new SoftmaxDxProgram(dp!.shape, rows), [dp!, p!], 'float32', [i32(rows), i32(last(dp!)), f32(attrs['scale'] as number)]);
  },
};

/** Registers kernels of our own names for webgpu (idempotent); returns the `Kernel@webgpu` names registered now. */
export function registerWebgpu(kernels: Record<string, (a: KernelArgs) => tf.TensorInfo>): string[] {
  const done: string[] = [];
  for (const [name, fn] of Object.entries(kernels)) {
    if (tf.getKernel(name, 'webgpu')) continue;
    tf.registerKernel({ kernelName: name, backendName: 'webgpu', kernelFunc: fn as unknown as tf.KernelFunc });
    done.push(`${name}@webgpu`);
  }
  return done;
}

/** Registers the row kernels for webgpu (idempotent). */
export const registerWebgpuRowKernels = (): string[] => registerWebgpu(KERNELS);

/** SIRIC_WEBGPU_ROW_KERNELS=0 turns the row kernels off (read once: this is asked at every block). */
const rowKernelsOff = process.env['SIRIC_WEBGPU_ROW_KERNELS'] === '0';

/** Whether the current backend has the row kernels. */
export function hasRowKernels(): boolean {
  return !rowKernelsOff && tf.getKernel(RMS_INV, tf.getBackend()) !== undefined;
}
