// Cheaper dispatches on webgpu: tfjs-backend-webgpu writes a fresh uniform buffer and creates a
// fresh bind group for every kernel it dispatches. On the H100 those two calls cost about 13 µs and
// 35 µs per dispatch (src/bench/webgpu-overhead.ts measured Dawn alone: 25 µs per dispatch done
// that way, 5.5 µs with both reused), and a training step dispatches hundreds of kernels with the
// same shapes at every step. Here both are cached:
//
// - Uniforms by content. A uniform buffer holds shapes, strides and sizes; one with the same bytes
//   is written once and then only bound, never written again.
// - Bind groups by what they bind: the pipeline's layout and each entry's buffer, offset and size.
//   A hit binds exactly the same memory as a fresh bind group would.
//
// Neither changes what the GPU computes. Both caches are bounded and emptied together.
import type * as tf from '@tensorflow/tfjs';

interface Uniform {
  type: string;
  data: number[];
}
interface GpuBufferLike {
  destroy(): void;
}
interface DispatchingBackend {
  makeUniforms(u: Uniform[]): { offset: number; size: number; buffer: GpuBufferLike };
  bufferManager: {
    acquireBuffer(size: number, usage: number): GpuBufferLike;
    releaseBuffer(buffer: GpuBufferLike, reuse?: boolean): void;
    freeBuffers: Map<string, GpuBufferLike[]>;
  };
  queue: { writeBuffer(buffer: GpuBufferLike, offset: number, data: ArrayBuffer, dataOffset?: number, size?: number): void };
  device: Record<string, unknown>;
  submitQueue(): void;
  uniformPendingDisposal: GpuBufferLike[];
}
interface BindGroupEntry {
  binding: number;
  resource: { buffer?: object; offset?: number; size?: number } | object;
}

/** Most distinct uniform contents kept (each a buffer of at most a few hundred bytes). */
const MAX_UNIFORMS = 4096;
/** Most bind groups kept. */
const MAX_BIND_GROUPS = 8192;

export interface DispatchCacheStats {
  uniformHits: number;
  uniformMisses: number;
  bindGroupHits: number;
  bindGroupMisses: number;
  clears: number;
}

const stats: DispatchCacheStats = { uniformHits: 0, uniformMisses: 0, bindGroupHits: 0, bindGroupMisses: 0, clears: 0 };
let clearCaches: (() => void) | undefined;
let clearGroups: (() => void) | undefined;

/** Counts since the process started (for tests and the profiler). */
export function dispatchCacheStats(): DispatchCacheStats {
  return { ...stats };
}

/** Drops every cached bind group and uniform buffer (the uniform buffers are destroyed once submitted). */
export function clearDispatchCaches(): void {
  clearCaches?.();
}

/**
 * Drops the cached bind groups only: call before destroying pooled buffers, which they may bind.
 * Uniform buffers are not pooled, so they stay (and step graphs that bind them stay valid).
 */
export function clearBindGroupCache(): void {
  clearGroups?.();
}

const withCaches = new WeakSet<object>();

/**
 * Whether this backend has the caches. Its uniform buffers are then written once and never again
 * (a step graph need not write them on replay); without, tfjs writes pooled ones at every dispatch.
 */
export function hasDispatchCaches(backend: object): boolean {
  return withCaches.has(backend);
}

/** Installs both caches on a freshly created tfjs webgpu backend. */
export function installDispatchCaches(backend: tf.KernelBackend): void {
  withCaches.add(backend);
  const b = backend as unknown as DispatchingBackend;
  const ids = new WeakMap<object, number>();
  let nextId = 1;
  const idOf = (o: object): number => {
    let id = ids.get(o);
    if (id === undefined) ids.set(o, (id = nextId++));
    return id;
  };

  // Uniform buffers by content; evicted ones are released once the commands that may bind them are submitted.
  const uniforms = new Map<string, { offset: number; size: number; buffer: GpuBufferLike }>();
  const bindGroups = new Map<string, unknown>();
  let retired: GpuBufferLike[] = [];
  const clear = (): void => {
    for (const u of uniforms.values()) retired.push(u.buffer);
    uniforms.clear();
    bindGroups.clear();
    stats.clears++;
  };
  clearCaches = clear;
  clearGroups = () => bindGroups.clear();
  const submit = b.submitQueue.bind(b);
  b.submitQueue = (): void => {
    submit();
    // Submitted: nothing still being recorded refers to them.
    for (const u of retired) u.destroy();
    retired = [];
  };

  b.makeUniforms = (programUniform: Uniform[]) => {
    const bytes = packUniforms(programUniform);
    const key = Buffer.from(bytes).toString('latin1');
    const hit = uniforms.get(key);
    if (hit) {
      stats.uniformHits++;
      return hit;
    }
    stats.uniformMisses++;
    if (uniforms.size >= MAX_UNIFORMS) clear();
    const usage = 0x08 | 0x40; // COPY_DST | UNIFORM, as tfjs's own
    const buffer = b.bufferManager.acquireBuffer(bytes.byteLength, usage);
    b.queue.writeBuffer(buffer, 0, bytes, 0, bytes.byteLength);
    const u = { offset: 0, size: bytes.byteLength, buffer };
    uniforms.set(key, u);
    return u;
  };

  // tfjs's pool hands out the most recently released buffer of a size. Which one that is depends on
  // the order of earlier releases, so the same step binds different buffers each time and no bind
  // group would ever be found again. Kept sorted instead (the lowest id is handed out first), the
  // pool gives a repeated step the same buffers as the last time it had the same free buffers.
  const pool = b.bufferManager;
  const release = pool.releaseBuffer.bind(pool);
  pool.releaseBuffer = (buffer: GpuBufferLike & { size?: number; usage?: number }, reuse = true): void => {
    release(buffer, reuse);
    if (!reuse) return;
    const list = pool.freeBuffers.get(`${buffer.size}_${buffer.usage}`);
    if (!list || list[list.length - 1] !== buffer) return;
    // Descending ids, so that pop() takes the lowest: move the new one down to its place.
    const id = idOf(buffer);
    let i = list.length - 1;
    while (i > 0 && idOf(list[i - 1]!) < id) {
      list[i] = list[i - 1]!;
      i--;
    }
    list[i] = buffer;
  };

  const device = b.device;
  const create = (device['createBindGroup'] as (d: unknown) => unknown).bind(device);
  device['createBindGroup'] = (desc: { layout: object; entries: BindGroupEntry[] }): unknown => {
    let key = String(idOf(desc.layout));
    for (const e of desc.entries) {
      const r = e.resource as { buffer?: object; offset?: number; size?: number };
      if (!r.buffer) return create(desc); // a texture or sampler: not ours to cache
      key += `|${e.binding}:${idOf(r.buffer)}:${r.offset ?? 0}:${r.size ?? -1}`;
    }
    const hit = bindGroups.get(key);
    if (hit) {
      stats.bindGroupHits++;
      return hit;
    }
    stats.bindGroupMisses++;
    if (bindGroups.size >= MAX_BIND_GROUPS) bindGroups.clear();
    const group = create(desc);
    bindGroups.set(key, group);
    return group;
  };
}

/**
 * One layout object per pipeline and index: tfjs asks the pipeline for its bind group layout at
 * every dispatch, and Dawn returns a new object each time, which would make every bind group key
 * new. Installed once on the pipeline class's prototype (the same layout, only not re-fetched).
 */
export function memoizeBindGroupLayouts(pipelinePrototype: Record<string, unknown>): void {
  if (pipelinePrototype['__siricMemoized']) return;
  const get = pipelinePrototype['getBindGroupLayout'] as (this: object, i: number) => object;
  const layouts = new WeakMap<object, Map<number, object>>();
  pipelinePrototype['getBindGroupLayout'] = function (this: object, i: number): object {
    let m = layouts.get(this);
    if (!m) layouts.set(this, (m = new Map()));
    let l = m.get(i);
    if (!l) m.set(i, (l = get.call(this, i)));
    return l;
  };
  pipelinePrototype['__siricMemoized'] = true;
}

/**
 * The bytes tfjs-backend-webgpu 4.22's makeUniforms writes: each field aligned as WGSL requires
 * (4, 8 or 16 bytes by length; 16 after a 5- or 6-element field), the whole padded to the largest
 * alignment. Kept identical to it: the shaders read these offsets.
 */
export function packUniforms(programUniform: Uniform[]): ArrayBuffer {
  let offset = 0;
  let preLength = 0;
  let maxAlign = 1;
  const offsets: number[] = [];
  for (const d of programUniform) {
    if (d.data.length === 0) d.data = [1];
    const n = d.data.length;
    if (n > 6) throw new Error(`Unsupported ${n}D shape`);
    let align = n === 1 ? 4 : n === 2 ? 8 : 16;
    if (preLength === 5 || preLength === 6) align = 16;
    maxAlign = Math.max(maxAlign, align);
    offset = Math.ceil(offset / align) * align;
    preLength = n;
    offsets.push(offset);
    offset += n * 4;
  }
  offset = Math.ceil(offset / maxAlign) * maxAlign;
  const bytes = new ArrayBuffer(offset);
  programUniform.forEach((d, i) => {
    const at = offsets[i]!;
    if (d.type === 'int32') new Int32Array(bytes, at, d.data.length).set(d.data);
    else if (d.type === 'uint32') new Uint32Array(bytes, at, d.data.length).set(d.data);
    else new Float32Array(bytes, at, d.data.length).set(d.data);
  });
  return bytes;
}
