// sha256 of files, read in chunks so that multi-gigabyte weights are never held in memory at once.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

const CHUNK = 8 << 20;

export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let n; (n = fs.readSync(fd, buf, 0, CHUNK, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}
