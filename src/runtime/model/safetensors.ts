// The safetensors format (https://github.com/huggingface/safetensors), read and written exactly:
//
//   [8 bytes: N, unsigned little-endian 64-bit] [N bytes: JSON header, UTF-8, padded with spaces]
//   [byte buffer: the tensors' data, contiguous, little-endian, row-major]
//
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into
// the byte buffer) plus an optional "__metadata__" of string → string. Like the reference writer we
// pad the header so that the buffer starts at a multiple of 8, put `__metadata__` first and lay the
// tensors out in sorted-name order. Reading hands every tensor over as float32.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HostTensor } from '../types.js';
import { RunError } from '../types.js';

export type WriteDtype = 'F32' | 'F16' | 'BF16';

export interface SafetensorsFile {
  tensors: Record<string, HostTensor>;
  metadata: Record<string, string>;
}

/** Bytes per element of every dtype the format defines (those we can read are in READERS). */
const DTYPE_SIZE: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** Refuse headers larger than this (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;

const LITTLE_ENDIAN = os.endianness() === 'LE';

// ---------- float16 / bfloat16 conversions ----------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE binary16 bits, rounding to nearest even; overflow → ±Inf, NaN kept quiet. */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: Inf
  if (e <= 0) {
    // subnormal half (or zero)
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // may carry into the exponent: still right
  return sign | h;
}

/** IEEE binary16 bits → number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 → bfloat16 bits, rounding to nearest even; NaN stays NaN. */
export function floatToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

let halfTable: Float32Array | undefined;
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = halfToFloat(i);
  }
  return halfTable;
}

// ---------- writing ----------

/** Sets an own property even for names like "__proto__" (tensor names come from files). */
function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function encodeTensor(t: HostTensor, dtype: WriteDtype): Uint8Array {
  const n = t.data.length;
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN) return new Uint8Array(t.data.buffer, t.data.byteOffset, n * 4);
    const out = new Uint8Array(n * 4);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < n; i++) dv.setFloat32(i * 4, t.data[i]!, true);
    return out;
  }
  const out = new Uint8Array(n * 2);
  const dv = new DataView(out.buffer);
  const conv = dtype === 'F16' ? floatToHalf : floatToBf16;
  for (let i = 0; i < n; i++) dv.setUint16(i * 2, conv(t.data[i]!), true);
  return out;
}

/**
 * Writes `tensors` to `file` in the safetensors format, atomically (a temporary file in the same
 * folder, then rename). Values are converted to `dtype` (default F32).
 */
export function writeSafetensors(file: string, tensors: Record<string, HostTensor>, opts: { dtype?: WriteDtype; metadata?: Record<string, string> } = {}): void {
  const dtype = opts.dtype ?? 'F32';
  if (!(dtype in DTYPE_SIZE) || !['F32', 'F16', 'BF16'].includes(dtype)) throw new RunError(`cannot write ${file}: unsupported dtype ${String(dtype)}`, 'use F32, F16 or BF16');
  const size = DTYPE_SIZE[dtype]!;
  const names = Object.keys(tensors).sort(compareUtf8);
  const header: Record<string, unknown> = {};
  if (opts.metadata && Object.keys(opts.metadata).length > 0) {
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.metadata)) {
      if (typeof v !== 'string') throw new RunError(`cannot write ${file}: metadata value for "${k}" is not a string`);
      setOwn(meta, k, v);
    }
    header['__metadata__'] = meta;
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    if (name === '__metadata__') throw new RunError(`cannot write ${file}: "__metadata__" is reserved and cannot name a tensor`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new RunError(`cannot write ${file}: tensor "${name}" has an invalid shape [${String(t.shape)}]`);
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (!(t.data instanceof Float32Array) || t.data.length !== numel) {
      throw new RunError(`cannot write ${file}: tensor "${name}" has shape [${t.shape.join(', ')}] (${numel} values) but ${t.data?.length ?? 'no'} values`);
    }
    setOwn(header, name, { dtype, shape: t.shape, data_offsets: [offset, offset + numel * size] });
    offset += numel * size;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBuf = Buffer.from(json, 'utf8');
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(headerBuf.length));

  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, lenBuf);
    fs.writeSync(fd, headerBuf);
    for (const name of names) {
      const bytes = encodeTensor(tensors[name]!, dtype);
      let done = 0;
      while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // ignore
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // ignore
    }
    if (e instanceof RunError) throw e;
    throw new RunError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

// ---------- reading ----------

type Reader = (bytes: Uint8Array, n: number) => Float32Array;

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

function convert(n: number, get: (i: number) => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = get(i);
  return out;
}

const READERS: Record<string, Reader> = {
  F32: (b, n) => {
    if (LITTLE_ENDIAN && b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, n);
    const dv = view(b);
    return convert(n, (i) => dv.getFloat32(i * 4, true));
  },
  F16: (b, n) => {
    const table = halfLookup();
    const dv = view(b);
    return convert(n, (i) => table[dv.getUint16(i * 2, true)]!);
  },
  BF16: (b, n) => {
    const out = new Float32Array(n);
    const bits = new Uint32Array(out.buffer);
    const dv = view(b);
    for (let i = 0; i < n; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
    return out;
  },
  F64: (b, n) => {
    const dv = view(b);
    return convert(n, (i) => dv.getFloat64(i * 8, true));
  },
  I64: (b, n) => {
    const dv = view(b);
    return convert(n, (i) => Number(dv.getBigInt64(i * 8, true)));
  },
  I32: (b, n) => {
    const dv = view(b);
    return convert(n, (i) => dv.getInt32(i * 4, true));
  },
  I16: (b, n) => {
    const dv = view(b);
    return convert(n, (i) => dv.getInt16(i * 2, true));
  },
  I8: (b, n) => {
    const dv = view(b);
    return convert(n, (i) => dv.getInt8(i));
  },
  U8: (b, n) => convert(n, (i) => b[i]!),
  BOOL: (b, n) => convert(n, (i) => (b[i] ? 1 : 0)),
};

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function readExact(fd: number, buf: Uint8Array, position: number, file: string, what: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new RunError(`${file}: truncated safetensors file (end of file while reading ${what})`);
    done += n;
  }
}

function parseHeader(file: string, headerBytes: Uint8Array, bufferSize: number): { entries: Entry[]; metadata: Record<string, string> } {
  const bad = (problem: string): RunError => new RunError(`${file}: corrupt safetensors header: ${problem}`, 'the file may be truncated or not a safetensors file; re-save or re-download it');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw bad('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw bad('the header does not start with "{"');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('"__metadata__" is not an object');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') throw bad(`"__metadata__"."${k}" is not a string`);
        setOwn(metadata, k, s);
      }
      continue;
    }
    const info = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (info === null || typeof info !== 'object') throw bad(`the entry for "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZE)) throw bad(`tensor "${name}" has an unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end - begin !== numel * DTYPE_SIZE[dtype]!) {
      throw bad(`tensor "${name}": data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} [${(shape as number[]).join(', ')}] needs ${numel * DTYPE_SIZE[dtype]!}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // The data must be contiguous: no gaps, no overlaps, nothing left over.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of byOffset) {
    if (e.begin !== at) throw bad(e.begin > at ? `a gap before tensor "${e.name}" (bytes ${at}..${e.begin} unused)` : `tensor "${e.name}" overlaps the previous tensor`);
    at = e.end;
  }
  if (at !== bufferSize) {
    if (at > bufferSize) throw new RunError(`${file}: truncated safetensors file: the header describes ${at} bytes of tensor data but only ${bufferSize} follow it`, 'the file is incomplete; re-save or re-download it');
    throw bad(`${bufferSize - at} bytes of data after the last tensor`);
  }
  return { entries, metadata };
}

/** Reads a safetensors file; every tensor comes back as float32. Corrupt files throw RunError. */
export function readSafetensors(file: string): SafetensorsFile {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RunError(code === 'ENOENT' ? `${file}: no such file` : `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 8) throw new RunError(`${file}: truncated safetensors file (${size} bytes; the 8-byte header length is missing)`, 'the file is incomplete; re-save or re-download it');
    const lenBuf = Buffer.alloc(8);
    readExact(fd, lenBuf, 0, file, 'the header length');
    const n = lenBuf.readBigUInt64LE(0);
    if (n > BigInt(MAX_HEADER)) throw new RunError(`${file}: corrupt safetensors file: header length ${n} is implausible (over ${MAX_HEADER} bytes)`, 'the file may not be a safetensors file');
    const headerLen = Number(n);
    if (8 + headerLen > size) throw new RunError(`${file}: truncated safetensors file: the header is ${headerLen} bytes but the file has only ${size - 8} after the length`, 'the file is incomplete; re-save or re-download it');
    if (headerLen < 2) throw new RunError(`${file}: corrupt safetensors header: header length ${headerLen} is too small`);
    const headerBytes = new Uint8Array(headerLen);
    readExact(fd, headerBytes, 8, file, 'the header');
    const dataStart = 8 + headerLen;
    const { entries, metadata } = parseHeader(file, headerBytes, size - dataStart);
    const tensors: Record<string, HostTensor> = {};
    for (const e of entries.sort((a, b) => a.begin - b.begin)) {
      const reader = READERS[e.dtype];
      if (!reader) throw new RunError(`${file}: tensor "${e.name}" has dtype ${e.dtype}, which siric cannot read`, 'convert the checkpoint to F32, F16 or BF16');
      const numel = e.shape.reduce((a, b) => a * b, 1);
      // A fresh buffer per tensor: F32 data is then used in place (aligned, no second copy).
      const bytes = new Uint8Array(e.end - e.begin);
      readExact(fd, bytes, dataStart + e.begin, file, `tensor "${e.name}"`);
      setOwn(tensors, e.name, { shape: e.shape, data: reader(bytes, numel) });
    }
    return { tensors, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads a Hugging Face model folder's weights: `model.safetensors.index.json` and all its shards
 * when present, else `model.safetensors`. Metadata of the index (`metadata`, stringified) and of the
 * shards is merged.
 */
export function readShardedSafetensors(dir: string): SafetensorsFile {
  const indexFile = path.join(dir, 'model.safetensors.index.json');
  const single = path.join(dir, 'model.safetensors');
  if (!fs.existsSync(indexFile)) {
    if (!fs.existsSync(single)) throw new RunError(`${dir}: no model.safetensors or model.safetensors.index.json`, 'point the model at a folder saved by Hugging Face transformers (save_pretrained with safe_serialization)');
    return readSafetensors(single);
  }
  let index: unknown;
  try {
    index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
  } catch (e) {
    throw new RunError(`${indexFile}: cannot read the shard index: ${(e as Error).message}`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) throw new RunError(`${indexFile}: the shard index has no "weight_map" object`);
  const wanted = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\') || shard === '..') throw new RunError(`${indexFile}: weight_map["${name}"] is not a shard file name`);
    wanted.set(name, shard);
  }
  const metadata: Record<string, string> = {};
  const indexMeta = (index as { metadata?: unknown }).metadata;
  if (indexMeta && typeof indexMeta === 'object') {
    for (const [k, v] of Object.entries(indexMeta as Record<string, unknown>)) setOwn(metadata, k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  const tensors: Record<string, HostTensor> = {};
  for (const shard of [...new Set(wanted.values())].sort()) {
    const shardFile = path.join(dir, shard);
    const r = readSafetensors(shardFile);
    for (const [k, v] of Object.entries(r.metadata)) setOwn(metadata, k, v);
    for (const [name, t] of Object.entries(r.tensors)) {
      if (Object.hasOwn(tensors, name)) throw new RunError(`${shardFile}: tensor "${name}" is also in another shard`);
      setOwn(tensors, name, t);
    }
  }
  for (const [name, shard] of wanted) {
    if (!Object.hasOwn(tensors, name)) throw new RunError(`${indexFile}: tensor "${name}" should be in ${shard} but is not`, 'the shards do not match the index; re-download the model');
  }
  return { tensors, metadata };
}
