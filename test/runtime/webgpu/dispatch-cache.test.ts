// The uniform bytes our cache packs are exactly those tfjs-backend-webgpu's makeUniforms writes
// (the shaders read them at those offsets), for every field length and order tfjs uses. Runs on
// any machine: tfjs's makeUniforms is called on a stand-in backend that records what it writes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { packUniforms } from '../../../src/runtime/webgpu/dispatch-cache.js';

type Uniform = { type: string; data: number[] };

async function tfjsMakeUniforms(): Promise<(u: Uniform[]) => Uint8Array> {
  const g = globalThis as Record<string, unknown>;
  g['GPUBufferUsage'] ??= { COPY_DST: 0x08, UNIFORM: 0x40 };
  const spec: string = '@tensorflow/tfjs-backend-webgpu';
  const { WebGPUBackend } = (await import(spec)) as { WebGPUBackend: { prototype: { makeUniforms(this: unknown, u: Uniform[]): unknown } } };
  return (u: Uniform[]) => {
    let written: Uint8Array | undefined;
    const fake = {
      bufferManager: { acquireBuffer: () => ({}) },
      queue: { writeBuffer: (_b: unknown, _o: number, data: ArrayBuffer, off: number, size: number) => (written = new Uint8Array(data.slice(off, off + size))) },
      uniformPendingDisposal: [] as unknown[],
    };
    WebGPUBackend.prototype.makeUniforms.call(fake, u);
    return written!;
  };
}

const field = fc.record({
  type: fc.constantFrom('int32', 'uint32', 'float32'),
  data: fc.array(fc.integer({ min: -1000, max: 100000 }), { minLength: 0, maxLength: 6 }),
});

describe('packUniforms', () => {
  it('writes the bytes tfjs 4.22 writes, for any list of fields of 0–6 values', async () => {
    const reference = await tfjsMakeUniforms();
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 12 }), (fields) => {
        const a = fields.map((f) => ({ type: f.type, data: [...f.data] }));
        const b = fields.map((f) => ({ type: f.type, data: [...f.data] }));
        expect(new Uint8Array(packUniforms(a))).toEqual(reference(b));
      }),
      { numRuns: 300 },
    );
  });

  it('packs what a binary op of two [128, 64] tensors sends: NaN, Infinity, shapes, strides, size', async () => {
    const u = [
      { type: 'float32', data: [NaN] },
      { type: 'float32', data: [Infinity] },
      { type: 'int32', data: [128, 64] },
      { type: 'int32', data: [64] },
      { type: 'int32', data: [128, 64] },
      { type: 'int32', data: [64] },
      { type: 'int32', data: [8192] },
    ];
    const bytes = packUniforms(u.map((f) => ({ ...f, data: [...f.data] })));
    expect(new Uint8Array(bytes)).toEqual((await tfjsMakeUniforms())(u));
    expect(new Int32Array(bytes).slice(2, 4)).toEqual(Int32Array.from([128, 64]));
  });
});
