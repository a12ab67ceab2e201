// Step graphs on webgpu: record the GPU commands of one training step and replay them, the way
// CUDA graphs (torch.cuda.graphs) do for PyTorch. A step of a small model is bounded by the CPU:
// tfjs spends 30–80 µs of JavaScript per kernel call (engine, autodiff, program setup), and a
// small-preset step makes about 500 of them, while replaying a dispatch costs Dawn 5–10 µs
// (docs/benchmarks.md). Replay skips tfjs entirely.
//
// A step can be replayed when it does the same thing every time: the same kernels on the same
// buffers with the same uniforms. That is checked, not assumed: the step runs eagerly (through tfjs)
// while its commands are recorded, and only when two consecutive recordings are identical, command
// by command, buffer by buffer and byte by byte, does the graph replay the last one. So a step that
// bakes a changing number into its kernels (a learning rate as a uniform, a tensor made from this
// step's data) is never replayed; it stays eager, and `status()` says why. What must hold:
//
// - Data that changes between steps enters through the graph's inputs: tensors the graph owns,
//   overwritten in place before each run (webgpu/kernels/inplace.ts). Nothing else may be made from
//   JavaScript values that change.
// - State the step changes is changed in place (AdamW's in-place update: optim/adamw.ts), so its
//   buffers stay put. It is declared (`state`): before a replay the graph checks that each state
//   tensor still has the data it recorded (a variable given a new value by assign() has not).
// - The step reads nothing back to JavaScript, and returns its results as tensors (`outputs`), which
//   the graph owns: valid until the next run, read with data().
// - JavaScript side effects of the body (an optimizer's step count) do not happen on replay: they
//   belong outside it (AdamW.prepareStep before run, AdamW.applyStep inside).
//
// The buffers the recording uses are taken out of tfjs's pool, so nothing else can be given them
// between replays; a buffer someone else still holds (a parameter, a constant of the model) is
// watched: if it is released, the graph drops its recording and records again. So do a cleared
// dispatch cache (its uniform buffers are destroyed), a different backend, and a state tensor with
// new data.
import * as tf from '@tensorflow/tfjs';
import { bufferOf, flushRecorded, markWrittenOnDevice, overwrite } from './kernels/inplace.js';
import { dispatchCacheStats, hasDispatchCaches } from './dispatch-cache.js';

type Fn = (this: unknown, ...a: unknown[]) => unknown;
interface GpuBuffer {
  size: number;
  usage: number;
}

/** One recorded call, replayed as it was made. */
type Event =
  | { k: 'encoder' }
  | { k: 'begin' }
  | { k: 'pipeline'; pipeline: object }
  | { k: 'bind'; index: number; group: object }
  | { k: 'dispatch'; x: number; y: number; z: number }
  | { k: 'end' }
  | { k: 'copy'; src: GpuBuffer; srcOffset: number; dst: GpuBuffer; dstOffset: number; size: number }
  | { k: 'finish' }
  | { k: 'submit'; count: number }
  | { k: 'write'; buffer: GpuBuffer; offset: number; bytes: Uint8Array };

class Recording {
  /** Uniform buffers are the dispatch cache's, written once: their writes are left out (below). */
  constructor(readonly skipUniformWrites: boolean) {}
  events: Event[] = [];
  /** Buffers acquired from tfjs's pool while recording. */
  acquired = new Set<GpuBuffer>();
  /** Why this recording cannot be replayed, if it cannot. */
  abort: string | undefined;
}

interface Originals {
  createCommandEncoder: Fn;
  beginComputePass: Fn;
  copyBufferToBuffer: Fn;
  finish: Fn;
  setPipeline: Fn;
  setBindGroup: Fn;
  dispatchWorkgroups: Fn;
  end: Fn;
  submit: Fn;
  writeBuffer: Fn;
}

interface PoolLike {
  acquireBuffer(size: number, usage: number, mapped?: boolean, reuse?: boolean): GpuBuffer;
  releaseBuffer(buffer: GpuBuffer, reuse?: boolean): void;
  freeBuffers: Map<string, GpuBuffer[]>;
  usedBuffers: Map<string, GpuBuffer[]>;
  numFreeBuffers: number;
  numUsedBuffers: number;
  numBytesUsed: number;
}
interface GraphBackend {
  device: Record<string, unknown> & { queue: Record<string, unknown> };
  queue: Record<string, unknown>;
  bufferManager: PoolLike;
  tensorMap: { get(id: object): { resource: unknown } | undefined };
  activeTimers: unknown;
}

/** What the hooks know, per backend. */
interface Hooks {
  orig: Originals;
  /** The buffers each bind group binds. */
  bindGroupBuffers: WeakMap<object, GpuBuffer[]>;
  /**
   * Buffers reserved by live graphs → the graphs. A buffer a graph took out of the pool has that
   * one graph; a held buffer (a weight, a cached uniform) may be bound by several, e.g. a training
   * step and the decode steps that sample from the same weights.
   */
  reserved: Map<GpuBuffer, Set<StepGraph>>;
  /** Reserved buffers that their holder released: back to the pool once no graph reserves them. */
  orphans: Set<GpuBuffer>;
}

let recording: Recording | null = null;
const hooksByBackend = new WeakMap<object, Hooks>();

const proto = (o: object): Record<string, unknown> => Object.getPrototypeOf(o) as Record<string, unknown>;

/** The unwrapped prototype methods (shared by every device of the process), once wrapped. */
let protoOrig: Omit<Originals, 'createCommandEncoder'> | undefined;

type Note = (a: unknown[]) => Event | string | null;
/** Wraps target[name] = f so that it notes an event while a recording is on. */
function noteCalls(target: Record<string, unknown>, name: string, f: Fn, toEvent: Note): void {
  target[name] = function (this: unknown, ...a: unknown[]) {
    if (recording && !recording.abort) {
      const e = toEvent(a);
      if (typeof e === 'string') recording.abort = e;
      else if (e) recording.events.push(e);
    }
    return f.apply(this, a);
  };
}

/**
 * Wraps the encoders', passes', queue's and buffers' methods: on their prototypes, once per process
 * (wrapping twice would note every call twice).
 */
function hookPrototypes(device: Record<string, unknown> & { queue: Record<string, unknown> }): Omit<Originals, 'createCommandEncoder'> {
  if (protoOrig) return protoOrig;
  const enc = (device['createCommandEncoder'] as Fn).call(device) as object;
  const pass = (proto(enc)['beginComputePass'] as Fn).call(enc) as object;
  (proto(pass)['end'] as Fn).call(pass);
  const encP = proto(enc);
  const passP = proto(pass);
  const queueP = proto(device.queue);
  const o = {
    beginComputePass: encP['beginComputePass'] as Fn,
    copyBufferToBuffer: encP['copyBufferToBuffer'] as Fn,
    finish: encP['finish'] as Fn,
    setPipeline: passP['setPipeline'] as Fn,
    setBindGroup: passP['setBindGroup'] as Fn,
    dispatchWorkgroups: passP['dispatchWorkgroups'] as Fn,
    end: passP['end'] as Fn,
    submit: queueP['submit'] as Fn,
    writeBuffer: queueP['writeBuffer'] as Fn,
  };
  noteCalls(encP, 'beginComputePass', o.beginComputePass, (a) => ((a[0] as { timestampWrites?: unknown } | undefined)?.timestampWrites ? 'kernels are being timed (tf.profile)' : { k: 'begin' }));
  noteCalls(encP, 'copyBufferToBuffer', o.copyBufferToBuffer, (a) => ({ k: 'copy', src: a[0] as GpuBuffer, srcOffset: a[1] as number, dst: a[2] as GpuBuffer, dstOffset: a[3] as number, size: a[4] as number }));
  noteCalls(encP, 'finish', o.finish, () => ({ k: 'finish' }));
  noteCalls(passP, 'setPipeline', o.setPipeline, (a) => ({ k: 'pipeline', pipeline: a[0] as object }));
  noteCalls(passP, 'setBindGroup', o.setBindGroup, (a) => (a.length > 2 && a[2] !== undefined ? 'a bind group with dynamic offsets' : { k: 'bind', index: a[0] as number, group: a[1] as object }));
  noteCalls(passP, 'dispatchWorkgroups', o.dispatchWorkgroups, (a) => ({ k: 'dispatch', x: a[0] as number, y: (a[1] as number | undefined) ?? 1, z: (a[2] as number | undefined) ?? 1 }));
  noteCalls(passP, 'end', o.end, () => ({ k: 'end' }));
  noteCalls(queueP, 'submit', o.submit, (a) => ({ k: 'submit', count: (a[0] as unknown[]).length }));
  noteCalls(queueP, 'writeBuffer', o.writeBuffer, (a) => {
    const [buffer, offset, data, dataOffset, size] = a as [GpuBuffer, number, ArrayBufferView | ArrayBuffer, number | undefined, number | undefined];
    // Dawn reads data at the call, so the bytes are copied now: element offsets for typed arrays.
    const view = ArrayBuffer.isView(data) ? data : new Uint8Array(data);
    const el = ArrayBuffer.isView(data) && 'BYTES_PER_ELEMENT' in data ? (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
    const start = view.byteOffset + (dataOffset ?? 0) * el;
    const length = size !== undefined ? size * el : view.byteLength - (dataOffset ?? 0) * el;
    // A cached uniform is written once, at its first use, and never changes: a run that misses the
    // cache and one that hits it are the same step, and a replay need not write it again.
    if (recording!.skipUniformWrites && (buffer.usage & 0x40) !== 0) return null;
    return { k: 'write', buffer, offset, bytes: new Uint8Array(view.buffer.slice(start, start + length)) };
  });
  // Read-backs cannot be replayed.
  const probe = (device['createBuffer'] as Fn).call(device, { size: 4, usage: 1 | 8 }) as Record<string, unknown>;
  const bufP = proto(probe);
  (probe['destroy'] as Fn).call(probe);
  const mapAsync = bufP['mapAsync'] as Fn;
  bufP['mapAsync'] = function (this: unknown, ...a: unknown[]) {
    if (recording) recording.abort ??= 'it reads a tensor back (data() or dataSync() inside the step)';
    return mapAsync.apply(this, a);
  };
  protoOrig = o;
  return o;
}

/** Installs the hooks for a backend once: the prototypes' (once per process), its device's and its buffer pool's. */
function hooksFor(backend: GraphBackend): Hooks {
  const had = hooksByBackend.get(backend);
  if (had) return had;
  const device = backend.device;
  const orig: Originals = { ...hookPrototypes(device), createCommandEncoder: device['createCommandEncoder'] as Fn };
  noteCalls(device, 'createCommandEncoder', orig.createCommandEncoder, () => ({ k: 'encoder' }));
  // The bind groups' buffers, for reserving them.
  const bindGroupBuffers = new WeakMap<object, GpuBuffer[]>();
  const createBindGroup = (device['createBindGroup'] as Fn).bind(device);
  device['createBindGroup'] = (desc: { entries: { resource: { buffer?: GpuBuffer } }[] }): unknown => {
    const group = createBindGroup(desc) as object;
    if (!bindGroupBuffers.has(group)) bindGroupBuffers.set(group, desc.entries.map((e) => e.resource.buffer).filter((b): b is GpuBuffer => b !== undefined));
    return group;
  };
  // The pool: which buffers a recording acquires, and releases of reserved buffers.
  const pool = backend.bufferManager;
  const acquire = pool.acquireBuffer.bind(pool);
  pool.acquireBuffer = (size, usage, mapped, reuse) => {
    const b = acquire(size, usage, mapped, reuse);
    recording?.acquired.add(b);
    return b;
  };
  const reserved = new Map<GpuBuffer, Set<StepGraph>>();
  const orphans = new Set<GpuBuffer>();
  const release = pool.releaseBuffer.bind(pool);
  pool.releaseBuffer = (buffer, reuse) => {
    const graphs = reserved.get(buffer);
    // A buffer graphs bind was let go by its holder (a disposed tensor): the graphs keep it (so
    // that nothing else is given it) until the last of them drops its recording.
    if (graphs) {
      orphans.add(buffer);
      for (const g of graphs) g.heldBufferReleased();
      return;
    }
    release(buffer, reuse);
  };
  const hooks: Hooks = { orig, bindGroupBuffers, reserved, orphans };
  hooksByBackend.set(backend, hooks);
  return hooks;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Where two recordings first differ (undefined: identical). */
function firstDifference(a: Event[], b: Event[]): string | undefined {
  const what = (e: Record<string, unknown>): string => `${String(e['k'])}${e['k'] === 'write' ? ` of ${(e['bytes'] as Uint8Array).length} bytes` : ''}`;
  const counts = a.length === b.length ? '' : ` (${a.length} and ${b.length} recorded calls)`;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]! as Record<string, unknown>;
    const y = b[i]! as Record<string, unknown>;
    if (x['k'] !== y['k']) return `call ${i} is a ${what(x)}, then a ${what(y)}${counts}`;
    for (const key of Object.keys(x)) {
      const same = key === 'bytes' ? sameBytes(x[key] as Uint8Array, y[key] as Uint8Array) : x[key] === y[key];
      if (!same) return `call ${i} (${what(x)}) differs in its ${key}${counts}`;
    }
  }
  if (counts) return `one recording ends at call ${Math.min(a.length, b.length)}${counts}`;
  return undefined;
}

export interface GraphInputSpec {
  shape: number[];
  dtype: 'float32' | 'int32';
}

export interface StepGraphOptions<I extends string, O extends string> {
  /** The data that changes between steps: tensors the graph owns, overwritten before each run. */
  inputs: Record<I, GraphInputSpec>;
  /** Tensors the step changes in place (parameters, optimizer state): checked before each replay. */
  state: () => tf.Tensor[];
  /** The step: tfjs ops on the inputs; its results as tensors (everything else it makes is freed). */
  body: (inputs: Record<I, tf.Tensor>) => Record<O, tf.Tensor>;
  /**
   * Tensors made once that the body reads (a causal mask): owned by the graph and freed with it.
   * Made inside the body instead, they would be uploaded again at every run, and a replay would
   * write their bytes again.
   */
  constants?: tf.Tensor[];
}

export interface StepGraphStatus {
  /** Runs through tfjs (recorded or not), and runs replayed. */
  eager: number;
  replayed: number;
  /** Whether the next run replays. */
  ready: boolean;
  /** Commands per replay (dispatches), once ready. */
  dispatches: number;
  /** Why the graph is not (or no longer) replaying, if it is not. */
  reason?: string;
}

/** Whether steps run as step graphs here: on webgpu, unless SIRIC_WEBGPU_GRAPHS=0. */
export function useStepGraphs(): boolean {
  return tf.getBackend() === 'webgpu' && process.env['SIRIC_WEBGPU_GRAPHS'] !== '0';
}

const liveGraphs = new Set<StepGraph>();

/**
 * Tensors the live step graphs hold (their inputs and last outputs): a caller that checks a step
 * for leaks by counting tensors subtracts the change in this.
 */
export function tensorsHeldByStepGraphs(): number {
  let n = 0;
  for (const g of liveGraphs) n += g.heldTensors();
  return n;
}

/** How many eager runs in a row a graph records, at most, looking for two identical ones. */
const MAX_RECORDINGS = 6;

/**
 * A training step recorded once and replayed (webgpu). On other backends, and whenever replaying is
 * not possible, run() runs the body through tfjs: the numbers are the same either way.
 */
export class StepGraph<I extends string = string, O extends string = string> {
  private readonly inputTensors: Record<I, tf.Tensor>;
  private outputs: Record<O, tf.Tensor> | undefined;
  private previous: Recording | undefined;
  private frozen: Recording | undefined;
  private stateIds: object[] = [];
  private cacheClears = -1;
  private backend: GraphBackend | undefined;
  /** Buffers taken out of the pool for the frozen recording (its intermediates: this graph's alone). */
  private taken = new Set<GpuBuffer>();
  /** Every buffer the frozen recording binds, copies or writes (reserved for it). */
  private reserved: GpuBuffer[] = [];
  /** Held buffers of the recording that their holder released since it was frozen. */
  private orphaned = 0;
  private recordings = 0;
  private disposed = false;
  private readonly st: StepGraphStatus = { eager: 0, replayed: 0, ready: false, dispatches: 0 };

  constructor(private readonly opts: StepGraphOptions<I, O>) {
    this.inputTensors = {} as Record<I, tf.Tensor>;
    for (const [name, spec] of Object.entries(opts.inputs) as [I, GraphInputSpec][]) this.inputTensors[name] = tf.zeros(spec.shape, spec.dtype);
    liveGraphs.add(this);
  }

  /** Tensors this graph holds now (inputs, constants, and the last run's outputs). */
  heldTensors(): number {
    return Object.keys(this.inputTensors).length + (this.outputs ? Object.keys(this.outputs).length : 0) + (this.opts.constants?.length ?? 0);
  }

  status(): StepGraphStatus {
    return { ...this.st };
  }

  /**
   * One step with these inputs; returns the step's outputs, owned by the graph (valid until the
   * next run or dispose; do not dispose them).
   */
  run(values: Record<I, Float32Array | Int32Array>): Record<O, tf.Tensor> {
    if (this.disposed) throw new Error('StepGraph.run: disposed');
    const webgpu = useStepGraphs();
    for (const name of Object.keys(this.opts.inputs) as I[]) {
      const t = this.inputTensors[name];
      const v = values[name];
      if (!v) throw new Error(`StepGraph.run: no values for input ${name}`);
      if (webgpu) overwrite(t, v);
      else {
        // Elsewhere tensors are not written in place: a new tensor replaces the old (made from a
        // copy: a backend may keep the array it is given, and the caller may reuse theirs).
        this.inputTensors[name] = tf.tensor(v.slice(), t.shape, t.dtype);
        t.dispose();
      }
    }
    // Under tf.profile the kernels run through tfjs, one by one, to be timed.
    const profiling = (tf.engine() as unknown as { state: { profiling: boolean } }).state.profiling;
    if (webgpu && this.frozen && !profiling) {
      const why = this.invalidReason();
      if (!why) return this.replay();
      this.drop(why);
    }
    return this.eager(webgpu && !profiling);
  }

  /** Frees the inputs, outputs and reserved buffers. */
  dispose(): void {
    if (this.disposed) return;
    this.unfreeze();
    tf.dispose(Object.values(this.inputTensors) as tf.Tensor[]);
    if (this.outputs) tf.dispose(Object.values(this.outputs) as tf.Tensor[]);
    tf.dispose(this.opts.constants ?? []);
    this.outputs = undefined;
    this.disposed = true;
    liveGraphs.delete(this);
  }

  /** Called by the pool hook: a buffer this graph binds was released by whoever held it. */
  heldBufferReleased(): void {
    this.orphaned++;
  }

  /** Bytes of the buffers this graph took out of the pool (its intermediates): memory it alone holds. */
  reservedBytes(): number {
    let n = 0;
    for (const b of this.taken) n += (b as { size?: number }).size ?? 0;
    return n;
  }

  /** Whether this graph took the buffer out of the pool (its own; no other graph may bind it). */
  tookBuffer(buffer: GpuBuffer): boolean {
    return this.taken.has(buffer);
  }

  private eager(webgpu: boolean): Record<O, tf.Tensor> {
    this.st.eager++;
    // The last outputs go first: their buffers are then free for this run's outputs, as they will
    // be at every run, so that two recordings can be the same.
    if (this.outputs) tf.dispose(Object.values(this.outputs) as tf.Tensor[]);
    this.outputs = undefined;
    const record = webgpu && this.recordings < MAX_RECORDINGS && !this.st.reason?.startsWith('not replayable');
    let rec: Recording | undefined;
    let out: Record<O, tf.Tensor>;
    if (record) {
      const backend = tf.backend() as unknown as GraphBackend;
      hooksFor(backend);
      flushRecorded();
      if (backend.activeTimers != null) {
        out = this.runBody();
      } else {
        rec = new Recording(hasDispatchCaches(backend));
        recording = rec;
        try {
          out = this.runBody();
          flushRecorded();
        } finally {
          recording = null;
        }
      }
    } else out = this.runBody();
    // The graph frees its outputs at the next run: an input or a state tensor must not be one.
    const kept = new Set<tf.Tensor>([...(Object.values(this.inputTensors) as tf.Tensor[]), ...this.opts.state()]);
    if ((Object.values(out) as tf.Tensor[]).some((t) => kept.has(t))) throw new Error('StepGraph: the step returned one of its inputs or state tensors as an output; return a copy (tf.clone)');
    this.outputs = out;
    if (rec) this.consider(rec);
    return out;
  }

  private runBody(): Record<O, tf.Tensor> {
    return tf.tidy(() => {
      const out = this.opts.body(this.inputTensors);
      return out as unknown as tf.TensorContainer;
    }) as unknown as Record<O, tf.Tensor>;
  }

  /** A new recording: replay from now on if it matches the previous one and can be made safe. */
  private consider(rec: Recording): void {
    this.recordings++;
    if (rec.abort) return void this.giveUp(`not replayable: ${rec.abort}`);
    const prev = this.previous;
    this.previous = rec;
    if (!prev) return;
    const diff = firstDifference(prev.events, rec.events);
    if (diff) {
      // Another try at the next run (the pool may hand out other buffers once, after other work),
      // up to MAX_RECORDINGS in a row; past that the step is taken to change at every run.
      this.st.reason = `two recordings differ: ${diff}`;
      if (this.recordings >= MAX_RECORDINGS) this.giveUp(`not replayable: ${this.st.reason}`);
      return;
    }
    this.freeze(rec);
  }

  private giveUp(reason: string): void {
    this.st.reason = reason;
    this.previous = undefined;
  }

  private freeze(rec: Recording): void {
    const backend = tf.backend() as unknown as GraphBackend;
    const hooks = hooksFor(backend);
    const buffers = new Set<GpuBuffer>();
    for (const e of rec.events) {
      if (e.k === 'bind') for (const b of hooks.bindGroupBuffers.get(e.group) ?? []) buffers.add(b);
      else if (e.k === 'copy') (buffers.add(e.src), buffers.add(e.dst));
      else if (e.k === 'write') buffers.add(e.buffer);
    }
    const outputBuffers = new Set(Object.values(this.outputs as Record<string, tf.Tensor>).map((t) => bufferOf(t) as GpuBuffer));
    const pool = backend.bufferManager;
    const taken: GpuBuffer[] = [];
    for (const b of buffers) {
      // A buffer free when this step ran, taken by another graph since: record again (the pool no
      // longer hands it out, so the next recordings will not have it).
      if ([...(hooks.reserved.get(b) ?? [])].some((g) => g !== this && g.tookBuffer(b))) {
        this.previous = undefined;
        this.recordings = 0;
        this.st.reason = 'recording again: another step graph took one of its buffers';
        return;
      }
      const list = pool.freeBuffers.get(`${b.size}_${b.usage}`);
      const at = list?.indexOf(b) ?? -1;
      if (at >= 0) {
        taken.push(b);
        continue;
      }
      // Held by someone: a tensor from before the step, an output, a cached uniform. A buffer the
      // step acquired and still holds must be an output (or a uniform the dispatch cache keeps).
      const uniform = (b.usage & 0x40) !== 0;
      if (rec.acquired.has(b) && !outputBuffers.has(b) && !uniform) return void this.giveUp('not replayable: the step keeps a tensor it does not return');
    }
    // Take the free ones out of the pool, as if acquired (tfjs's accounting stays right).
    for (const b of taken) {
      const key = `${b.size}_${b.usage}`;
      const list = pool.freeBuffers.get(key)!;
      list.splice(list.indexOf(b), 1);
      pool.numFreeBuffers--;
      if (!pool.usedBuffers.has(key)) pool.usedBuffers.set(key, []);
      pool.usedBuffers.get(key)!.push(b);
      pool.numUsedBuffers++;
      pool.numBytesUsed += b.size;
    }
    for (const b of buffers) {
      const graphs = hooks.reserved.get(b) ?? new Set<StepGraph>();
      graphs.add(this);
      hooks.reserved.set(b, graphs);
    }
    this.reserved = [...buffers];
    this.taken = new Set(taken);
    this.frozen = rec;
    this.backend = backend;
    this.stateIds = this.opts.state().map((t) => t.dataId);
    this.cacheClears = dispatchCacheStats().clears;
    this.st.ready = true;
    this.st.dispatches = rec.events.filter((e) => e.k === 'dispatch').length;
    delete this.st.reason;
  }

  /** Why the frozen recording may no longer be replayed, if so. */
  private invalidReason(): string | undefined {
    if (tf.backend() !== (this.backend as unknown)) return 'the backend changed';
    if (dispatchCacheStats().clears !== this.cacheClears) return 'the dispatch caches were cleared';
    const state = this.opts.state();
    if (state.length !== this.stateIds.length || state.some((t, i) => t.dataId !== this.stateIds[i])) return 'a state tensor was given new data';
    if (this.orphaned > 0) return 'a tensor the step reads was disposed';
    return undefined;
  }

  /** Back to recording: the reserved buffers go back to the pool. */
  private drop(why: string): void {
    this.unfreeze();
    this.st.reason = `recording again: ${why}`;
    this.recordings = 0;
  }

  private unfreeze(): void {
    const backend = this.backend;
    if (!this.frozen || !backend) return;
    const hooks = hooksFor(backend);
    const alive = tf.backend() === (backend as unknown);
    const free: GpuBuffer[] = [...this.taken];
    for (const b of this.reserved) {
      const graphs = hooks.reserved.get(b);
      graphs?.delete(this);
      if (graphs && graphs.size > 0) continue;
      hooks.reserved.delete(b);
      // Released by its holder while reserved: the last graph to let go returns it.
      if (hooks.orphans.delete(b)) free.push(b);
    }
    if (alive) for (const b of free) backend.bufferManager.releaseBuffer(b);
    this.reserved = [];
    this.taken = new Set();
    this.orphaned = 0;
    this.frozen = undefined;
    this.previous = undefined;
    this.st.ready = false;
    this.st.dispatches = 0;
  }

  /** The frozen recording, issued again as it was made. */
  private replay(): Record<O, tf.Tensor> {
    const backend = this.backend!;
    const { orig } = hooksFor(backend);
    const device = backend.device;
    const queue = device.queue;
    flushRecorded();
    let enc: unknown;
    let pass: unknown;
    let cbs: unknown[] = [];
    for (const e of this.frozen!.events) {
      switch (e.k) {
        case 'encoder':
          enc = orig.createCommandEncoder.call(device);
          break;
        case 'begin':
          pass = orig.beginComputePass.call(enc);
          break;
        case 'pipeline':
          orig.setPipeline.call(pass, e.pipeline);
          break;
        case 'bind':
          orig.setBindGroup.call(pass, e.index, e.group);
          break;
        case 'dispatch':
          orig.dispatchWorkgroups.call(pass, e.x, e.y, e.z);
          break;
        case 'end':
          orig.end.call(pass);
          break;
        case 'copy':
          orig.copyBufferToBuffer.call(enc, e.src, e.srcOffset, e.dst, e.dstOffset, e.size);
          break;
        case 'finish':
          cbs.push(orig.finish.call(enc));
          break;
        case 'submit':
          orig.submit.call(queue, cbs.splice(0, e.count));
          cbs = [];
          break;
        case 'write':
          orig.writeBuffer.call(queue, e.buffer, e.offset, e.bytes);
          break;
      }
    }
    this.st.replayed++;
    for (const t of [...Object.values(this.outputs as Record<string, tf.Tensor>), ...this.opts.state()]) markWrittenOnDevice(t);
    return this.outputs!;
  }
}
