// safetensors: the exact on-disk layout, round trips in F32/F16/BF16, sharded folders, and clear
// errors for corrupt or truncated files.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { floatToBf16, floatToHalf, halfToFloat, readSafetensors, readShardedSafetensors, writeSafetensors } from '../../../src/runtime/model/safetensors.js';
import type { HostTensor } from '../../../src/runtime/types.js';
import { RunError } from '../../../src/runtime/types.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'siric-st-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let n = 0;
const tmpFile = (name = 'x.safetensors'): string => {
  const dir = path.join(tmpRoot, String(n++));
  fs.mkdirSync(dir);
  return path.join(dir, name);
};

const T = (shape: number[], values: number[]): HostTensor => ({ shape, data: Float32Array.from(values) });

/** A file laid out by hand, following the spec: u64 LE header size, JSON header, data. */
function handMade(header: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(header)));
  return Buffer.concat([len, Buffer.from(header, 'utf8'), data]);
}

function f32Bytes(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return b;
}

function errorOf(f: () => unknown): RunError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RunError);
    return e as RunError;
  }
  throw new Error('expected a RunError');
}

describe('writeSafetensors layout', () => {
  it('matches a file built by hand from the spec, byte for byte', () => {
    const file = tmpFile();
    writeSafetensors(file, { 'b.weight': T([2], [1, -2]), 'a.weight': T([1, 1], [0.5]) }, { metadata: { format: 'pt' } });
    const json = '{"__metadata__":{"format":"pt"},"a.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b.weight":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    const expected = handMade(padded, f32Bytes([0.5, 1, -2]));
    const got = fs.readFileSync(file);
    expect(got.readBigUInt64LE(0)).toBe(BigInt(padded.length));
    expect(padded.length % 8).toBe(0); // the data starts 8-aligned
    expect(got.equals(expected)).toBe(true);
  });

  it('lays tensors out contiguously in sorted-name order, whatever the insertion order', () => {
    const file = tmpFile();
    const names = ['z', 'model.layers.10.w', 'model.layers.2.w', 'A', 'lm_head.weight', 'model.embed_tokens.weight'];
    const tensors: Record<string, HostTensor> = {};
    names.forEach((name, i) => (tensors[name] = T([i + 1], Array.from({ length: i + 1 }, () => i))));
    writeSafetensors(file, tensors);
    const buf = fs.readFileSync(file);
    const len = Number(buf.readBigUInt64LE(0));
    expect(len % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8')) as Record<string, { data_offsets: [number, number] }>;
    expect(Object.keys(header)).toEqual([...names].sort());
    expect('__metadata__' in header).toBe(false); // no metadata given: no key
    let at = 0;
    for (const name of Object.keys(header)) {
      expect(header[name]!.data_offsets[0]).toBe(at);
      at = header[name]!.data_offsets[1];
    }
    expect(8 + len + at).toBe(buf.length);
  });

  it('pads the header with spaces only, and leaves no temp file behind', () => {
    const file = tmpFile();
    writeSafetensors(file, { x: T([3], [1, 2, 3]) });
    const buf = fs.readFileSync(file);
    const header = buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString('utf8');
    expect(header).toMatch(/^\{.*\} *$/);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['x.safetensors']);
  });

  it('refuses tensors whose data does not match their shape', () => {
    const file = tmpFile();
    expect(errorOf(() => writeSafetensors(file, { w: T([2, 2], [1, 2, 3]) })).message).toMatch(/"w" has shape \[2, 2\] \(4 values\) but 3 values/);
    expect(fs.readdirSync(path.dirname(file))).toEqual([]);
  });
});

describe('round trips', () => {
  const values = [0, -0, 1, -1, 0.1, -3.14159, 65504, 1e-3, 2 ** -20, 123.456, -7.5e4, 1e30];
  const tensors = { 'a.b': T([3, 4], values), scalar: T([], [42.5]), empty: T([0, 3], []) };

  it('F32 is exact, with metadata', () => {
    const file = tmpFile();
    writeSafetensors(file, tensors, { metadata: { format: 'pt', step: '17' } });
    const r = readSafetensors(file);
    expect(r.metadata).toEqual({ format: 'pt', step: '17' });
    expect(Object.keys(r.tensors).sort()).toEqual(['a.b', 'empty', 'scalar']);
    expect(r.tensors['a.b']!.shape).toEqual([3, 4]);
    expect(Array.from(r.tensors['a.b']!.data)).toEqual(Array.from(Float32Array.from(values)));
    expect(Object.is(r.tensors['a.b']!.data[1], -0)).toBe(true);
    expect(r.tensors['scalar']).toEqual({ shape: [], data: Float32Array.from([42.5]) });
    expect(r.tensors['empty']).toEqual({ shape: [0, 3], data: new Float32Array(0) });
  });

  it('F16 is within half precision (relative 2^-11), saturating to Inf above 65504', () => {
    const file = tmpFile();
    writeSafetensors(file, tensors, { dtype: 'F16' });
    const r = readSafetensors(file);
    const got = r.tensors['a.b']!.data;
    values.forEach((v, i) => {
      if (Math.abs(v) > 65504) expect(got[i]).toBe(Math.sign(v) * Infinity);
      else if (Math.abs(v) < 2 ** -14) expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(2 ** -25);
      else expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
    });
    expect(fs.statSync(file).size - 8 - Number(fs.readFileSync(file).readBigUInt64LE(0))).toBe(13 * 2);
  });

  it('BF16 is within bfloat16 precision (relative 2^-8)', () => {
    const file = tmpFile();
    writeSafetensors(file, tensors, { dtype: 'BF16' });
    const r = readSafetensors(file);
    const got = r.tensors['a.b']!.data;
    values.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -8));
    expect(r.tensors['scalar']!.data[0]).toBe(42.5);
  });

  it('a big random tensor survives each dtype', () => {
    const data = new Float32Array(10_000).map((_, i) => Math.sin(i * 12.9898) * 43758.5453 % 4);
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const file = tmpFile();
      writeSafetensors(file, { w: { shape: [100, 100], data } }, { dtype });
      const back = readSafetensors(file).tensors['w']!.data;
      const tol = dtype === 'F32' ? 0 : dtype === 'F16' ? 2 ** -11 : 2 ** -8;
      for (let i = 0; i < data.length; i++) expect(Math.abs(back[i]! - data[i]!)).toBeLessThanOrEqual(Math.abs(data[i]!) * tol + 1e-7);
    }
  });

  it('half and bfloat16 conversions round to nearest even and keep specials', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds up to Inf
    expect(floatToHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(floatToHalf(2 ** -25)).toBe(0); // a tie: to even (zero)
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // a tie: to even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // a tie: to even (up)
    expect(floatToHalf(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    for (let h = 0; h < 0x7c00; h += 7) expect(floatToHalf(halfToFloat(h))).toBe(h); // every finite half survives
    expect(floatToBf16(1)).toBe(0x3f80);
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie to even
    expect(floatToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(floatToBf16(Infinity)).toBe(0x7f80);
    expect(floatToBf16(NaN) & 0x7fc0).toBe(0x7fc0);
  });
});

describe('reading files written elsewhere', () => {
  it('reads an unpadded header with keys in any order, and F64/I64/F16/BF16 data', () => {
    const data = new Uint8Array(8 + 8 + 2 + 2);
    const dv = new DataView(data.buffer);
    dv.setFloat64(0, 0.1, true);
    dv.setBigInt64(8, -5n, true);
    dv.setUint16(16, 0x3c00, true); // F16 1.0
    dv.setUint16(18, 0xc040, true); // BF16 -3.0
    const header = '{"y":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"h":{"dtype":"F16","shape":[1],"data_offsets":[16,18]},"b":{"dtype":"BF16","shape":[],"data_offsets":[18,20]}}';
    const file = tmpFile();
    fs.writeFileSync(file, handMade(header, data));
    const r = readSafetensors(file);
    expect(r.metadata).toEqual({});
    expect(r.tensors['x']!.data[0]).toBeCloseTo(0.1, 7);
    expect(r.tensors['y']!.data[0]).toBe(-5);
    expect(r.tensors['h']!.data[0]).toBe(1);
    expect(r.tensors['b']).toEqual({ shape: [], data: Float32Array.from([-3]) });
  });

  it('reads F32 data at an odd offset', () => {
    const header = '{"u":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}';
    const data = new Uint8Array(9);
    data[0] = 7;
    data.set(f32Bytes([1.5, -2.25]), 1);
    const file = tmpFile();
    fs.writeFileSync(file, handMade(header, data));
    const r = readSafetensors(file);
    expect(Array.from(r.tensors['w']!.data)).toEqual([1.5, -2.25]);
    expect(Array.from(r.tensors['u']!.data)).toEqual([7]);
  });
});

describe('corrupt and truncated files', () => {
  const good = (): Buffer => {
    const file = tmpFile();
    writeSafetensors(file, { a: T([2], [1, 2]), b: T([3], [3, 4, 5]) }, { metadata: { format: 'pt' } });
    return fs.readFileSync(file);
  };
  const readBytes = (bytes: Uint8Array): RunError => {
    const file = tmpFile('bad.safetensors');
    fs.writeFileSync(file, bytes);
    const e = errorOf(() => readSafetensors(file));
    expect(e.message).toContain(file);
    return e;
  };

  it('a missing file', () => {
    const file = path.join(tmpRoot, 'nope.safetensors');
    expect(errorOf(() => readSafetensors(file)).message).toBe(`${file}: no such file`);
  });

  it('shorter than the 8-byte length', () => {
    expect(readBytes(new Uint8Array([1, 2, 3])).message).toMatch(/truncated safetensors file \(3 bytes/);
  });

  it('a header length beyond the file', () => {
    const b = good();
    expect(readBytes(b.subarray(0, 20)).message).toMatch(/truncated safetensors file: the header is \d+ bytes but the file has only 12/);
  });

  it('an implausible header length', () => {
    const b = Buffer.from(good());
    b.writeBigUInt64LE(2n ** 62n, 0);
    expect(readBytes(b).message).toMatch(/header length \d+ is implausible/);
  });

  it('data cut short', () => {
    const b = good();
    expect(readBytes(b.subarray(0, b.length - 4)).message).toMatch(/truncated safetensors file: the header describes 20 bytes of tensor data but only 16 follow it/);
  });

  it('extra bytes after the data', () => {
    expect(readBytes(Buffer.concat([good(), Buffer.from([0, 0, 0, 0])])).message).toMatch(/4 bytes of data after the last tensor/);
  });

  it('a header that is not JSON', () => {
    const b = Buffer.from(good());
    expect(b.toString('utf8', 8, 8 + 16)).toBe('{"__metadata__":');
    b[8 + 15] = 0x3b; // ":" → ";"
    expect(readBytes(b).message).toMatch(/corrupt safetensors header: the header is not valid JSON/);
  });

  it('not a safetensors file at all', () => {
    expect(readBytes(Buffer.from('PK\x03\x04 this is a zip file, honestly')).message).toMatch(/implausible|truncated/);
  });

  it('bad dtype, shape, offsets, gaps, overlaps, metadata', () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4), /tensor "a" has an unknown dtype "F33"/],
      ['{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', new Uint8Array(4), /tensor "a" has an invalid shape \[-1\]/],
      ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', new Uint8Array(4), /data_offsets \[0, 4\] hold 4 bytes, but F32 \[2\] needs 8/],
      ['{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Uint8Array(8), /a gap before tensor "a"/],
      ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Uint8Array(8), /tensor "b" overlaps/],
      ['{"__metadata__":{"step":3},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4), /"__metadata__"."step" is not a string/],
      ['[1,2]', new Uint8Array(0), /does not start with "\{"/],
      ['{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1), /dtype F8_E4M3, which siric cannot read/],
    ];
    for (const [header, data, re] of cases) expect(readBytes(handMade(header, data)).message).toMatch(re);
  });
});

describe('readShardedSafetensors', () => {
  it('reads model.safetensors', () => {
    const dir = path.dirname(tmpFile());
    writeSafetensors(path.join(dir, 'model.safetensors'), { w: T([1], [3]) }, { metadata: { format: 'pt' } });
    const r = readShardedSafetensors(dir);
    expect(r.tensors['w']!.data[0]).toBe(3);
    expect(r.metadata).toEqual({ format: 'pt' });
  });

  it('reads the index and all its shards', () => {
    const dir = path.dirname(tmpFile());
    writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), { a: T([2], [1, 2]), b: T([1], [3]) }, { metadata: { format: 'pt' } });
    writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), { c: T([1], [4]) }, { metadata: { format: 'pt' } });
    // a stale single file is ignored when there is an index
    writeSafetensors(path.join(dir, 'model.safetensors'), { stale: T([1], [0]) });
    const index: { metadata: unknown; weight_map: Record<string, string> } = { metadata: { total_size: 16 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' } };
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    const r = readShardedSafetensors(dir);
    expect(Object.keys(r.tensors).sort()).toEqual(['a', 'b', 'c']);
    expect(Array.from(r.tensors['a']!.data)).toEqual([1, 2]);
    expect(r.tensors['c']!.data[0]).toBe(4);
    expect(r.metadata).toEqual({ total_size: '16', format: 'pt' });

    index.weight_map = { ...index.weight_map, d: 'model-00002-of-00002.safetensors' };
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    expect(errorOf(() => readShardedSafetensors(dir)).message).toMatch(/tensor "d" should be in model-00002-of-00002.safetensors but is not/);
  });

  it('names the folder when there are no weights', () => {
    const dir = path.dirname(tmpFile());
    expect(errorOf(() => readShardedSafetensors(dir)).message).toBe(`${dir}: no model.safetensors or model.safetensors.index.json`);
  });
});
