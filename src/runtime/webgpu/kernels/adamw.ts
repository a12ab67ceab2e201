// AdamW's update of a whole parameter group in two WGSL kernels (webgpu only), for the optimizer's
// packed mode (optim/adamw.ts): the group's moments live in one [2n] tensor (m, then v).
//
//   SiricAdamMoments(mv [2n], g [n]) → [2n]:  m' = β1·m + (1 − β1)·g,  v' = β2·v + (1 − β2)·g²
//   SiricAdamParam(p [n], mv' [2n], s [3]) → [n]:  p' = p − lr·( (m'/bc1) / (√(v'/bc2) + ε) [+ λ·p] )
//
// s = [bc1, bc2, lr], the values that change at every step, is a tensor rather than uniforms, so
// that the dispatch caches (webgpu/dispatch-cache.ts) see the same uniforms at every step.
//
// In place (adamInPlace): the same two updates per parameter, written into the group's moments at
// the parameter's offset and into the parameter itself. Nothing is allocated, concatenated or
// split, and the parameters and moments keep their buffers from step to step, which a step graph
// (runtime/webgpu/graph.ts) needs.
//
// The same operations in the same order as the composite update of tfjs ops, so the numbers agree
// to float32 rounding (the GPU compiler may fuse a multiply and an add). tfjs does this in about 16
// kernels per group, plus 3 slices per parameter to put the results back; a step of a small model
// on an H100 spent most of its AdamW time on those dispatches, not arithmetic.
import * as tf from '@tensorflow/tfjs';
import type { WebgpuBackendLike, WebgpuProgram } from './matmul.js';

export const ADAM_MOMENTS = 'SiricAdamMoments';
export const ADAM_PARAM = 'SiricAdamParam';

const WG = 256;

class MomentsProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey = 'siricAdamMoments';
  dispatchLayout: { x: number[] } = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['MV', 'G'];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'n : i32, b1 : f32, nb1 : f32, b2 : f32, nb2 : f32,';
  size = true;
  constructor(n: number) {
    this.outputShape = [2 * n];
    this.dispatch = [Math.ceil((2 * n) / WG), 1, 1];
  }
  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let n = uniforms.n;
      if (index < n) {
        setOutputAtIndex(index, uniforms.b1 * MV[index] + uniforms.nb1 * G[index]);
      } else {
        let g = G[index - n];
        setOutputAtIndex(index, uniforms.b2 * MV[index] + uniforms.nb2 * (g * g));
      }
    }
  }`;
  }
}

class ParamProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] } = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['P', 'MV', 'S'];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'n : i32, eps : f32, decay : f32,';
  size = true;
  constructor(
    n: number,
    private readonly decays: boolean,
  ) {
    this.outputShape = [n];
    this.dispatch = [Math.ceil(n / WG), 1, 1];
    this.shaderKey = `siricAdamParam_${decays ? 1 : 0}`;
  }
  getUserCode(): string {
    const step = this.decays ? 'u + uniforms.decay * p' : 'u';
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      let p = P[index];
      let u = (MV[index] / S[0]) / (sqrt(MV[uniforms.n + index] / S[1]) + uniforms.eps);
      setOutputAtIndex(index, p - S[2] * (${step}));
    }
  }`;
  }
}

/** The moments of one parameter (k values at `offset` of a group of n), updated in mv itself. */
class MomentsInPlaceProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey = 'siricAdamMomentsInPlace';
  dispatchLayout: { x: number[] } = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['G'];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'k : i32, offset : i32, n : i32, b1 : f32, nb1 : f32, b2 : f32, nb2 : f32,';
  constructor(mvShape: number[], k: number) {
    this.outputShape = mvShape;
    this.dispatch = [Math.ceil((2 * k) / WG), 1, 1];
  }
  getUserCode(): string {
    return `
  fn main(index : i32) {
    let k = uniforms.k;
    if (index < k) {
      let at = uniforms.offset + index;
      result[at] = uniforms.b1 * result[at] + uniforms.nb1 * G[index];
    } else if (index < 2 * k) {
      let i = index - k;
      let at = uniforms.n + uniforms.offset + i;
      let g = G[i];
      result[at] = uniforms.b2 * result[at] + uniforms.nb2 * (g * g);
    }
  }`;
  }
}

/** One parameter's update from its moments (at `offset` of mv), written into the parameter itself. */
class ParamInPlaceProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] } = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['MV', 'S'];
  workgroupSize: [number, number, number] = [WG, 1, 1];
  uniforms = 'k : i32, offset : i32, n : i32, eps : f32, decay : f32,';
  constructor(
    pShape: number[],
    k: number,
    private readonly decays: boolean,
  ) {
    this.outputShape = pShape;
    this.dispatch = [Math.ceil(k / WG), 1, 1];
    this.shaderKey = `siricAdamParamInPlace_${decays ? 1 : 0}`;
  }
  getUserCode(): string {
    const step = this.decays ? 'u + uniforms.decay * p' : 'u';
    return `
  fn main(index : i32) {
    if (index < uniforms.k) {
      let p = result[index];
      let at = uniforms.offset + index;
      let u = (MV[at] / S[0]) / (sqrt(MV[uniforms.n + at] / S[1]) + uniforms.eps);
      result[index] = p - S[2] * (${step});
    }
  }`;
  }
}

interface InPlaceRunner {
  runWebGPUProgram(program: WebgpuProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms: { type: string; data: number[] }[], output: tf.TensorInfo): tf.TensorInfo;
}

/**
 * AdamW for one parameter, in place: its moments at `offset` of the group's mv [2n], then p itself,
 * with s = [bc1, bc2, lr]. p must be its data's sole owner (webgpu-inplace.ts's soleOwner), and the
 * caller marks p and mv as written on the device. Two kernels, recorded directly on the backend (no
 * engine call: nothing here is differentiated or returned).
 */
export function adamInPlace(p: tf.Tensor, mv: tf.Tensor, g: tf.Tensor, s: tf.Tensor, offset: number, n: number, attrs: AdamMomentsAttrs & AdamParamAttrs): void {
  const backend = tf.backend() as unknown as InPlaceRunner;
  const k = p.size;
  const int = (v: number) => ({ type: 'int32', data: [v] });
  const info = (t: tf.Tensor): tf.TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: 'float32' });
  backend.runWebGPUProgram(new MomentsInPlaceProgram(mv.shape, k), [g], 'float32', [int(k), int(offset), int(n), f32(attrs.b1), f32(attrs.nb1), f32(attrs.b2), f32(attrs.nb2)], info(mv));
  backend.runWebGPUProgram(new ParamInPlaceProgram(p.shape, k, attrs.decay !== 0), [mv, s], 'float32', [int(k), int(offset), int(n), f32(attrs.eps), f32(attrs.decay)], info(p));
}

export interface AdamMomentsAttrs {
  b1: number;
  nb1: number;
  b2: number;
  nb2: number;
}
export interface AdamParamAttrs {
  eps: number;
  /** λ, or 0 for a group without decay. */
  decay: number;
}

type KernelArgs<A> = { inputs: Record<string, tf.TensorInfo>; backend: WebgpuBackendLike; attrs: A };
const f32 = (x: number): { type: 'float32'; data: number[] } => ({ type: 'float32', data: [x] });

function momentsKernel({ inputs, backend, attrs }: KernelArgs<AdamMomentsAttrs>): tf.TensorInfo {
  const n = inputs['g']!.shape.reduce((a, b) => a * b, 1);
  return backend.runWebGPUProgram(new MomentsProgram(n), [inputs['mv']!, inputs['g']!], 'float32', [{ type: 'int32', data: [n] }, f32(attrs.b1), f32(attrs.nb1), f32(attrs.b2), f32(attrs.nb2)]);
}

function paramKernel({ inputs, backend, attrs }: KernelArgs<AdamParamAttrs>): tf.TensorInfo {
  const n = inputs['p']!.shape.reduce((a, b) => a * b, 1);
  return backend.runWebGPUProgram(new ParamProgram(n, attrs.decay !== 0), [inputs['p']!, inputs['mv']!, inputs['s']!], 'float32', [{ type: 'int32', data: [n] }, f32(attrs.eps), f32(attrs.decay)]);
}

/** Registers both kernels for webgpu (idempotent). */
export function registerWebgpuAdamKernels(): string[] {
  const done: string[] = [];
  for (const [name, fn] of [
    [ADAM_MOMENTS, momentsKernel],
    [ADAM_PARAM, paramKernel],
  ] as const) {
    if (tf.getKernel(name, 'webgpu')) continue;
    tf.registerKernel({ kernelName: name, backendName: 'webgpu', kernelFunc: fn as unknown as tf.KernelFunc });
    done.push(`${name}@webgpu`);
  }
  return done;
}

/** Whether the current backend runs the fused kernels (else the optimizer composes tfjs ops). */
export function hasFusedAdam(): boolean {
  return tf.getKernel(ADAM_MOMENTS, tf.getBackend()) !== undefined && process.env['SIRIC_WEBGPU_FUSED_ADAM'] !== '0';
}
