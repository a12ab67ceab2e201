// A test file on the webgpu backend: the software device (Dawn on Mesa's GL, SIRIC_WEBGPU_ADAPTER=gles)
// where the GL packages are installed. Call at the top level of a test file; each test skips with
// the returned reason when webgpu did not start.
import { afterAll, beforeAll } from 'vitest';
import { releaseBackend, selectBackend } from '../../src/runtime/backend.js';

export function useWebgpu(): { unavailable: () => string | undefined } {
  process.env['SIRIC_WEBGPU_ADAPTER'] ??= 'gles';
  let reason: string | undefined;
  beforeAll(async () => {
    try {
      await selectBackend('webgpu');
    } catch (e) {
      reason = String((e as Error)?.message ?? e).split('\n')[0];
    }
  }, 60_000);
  afterAll(async () => {
    await releaseBackend();
  });
  return { unavailable: () => reason };
}
