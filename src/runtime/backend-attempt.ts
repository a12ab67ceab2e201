// What trying a backend gives, and the two helpers every attempt uses to say why one failed.

export type Attempt = { ok: true; device: string } | { ok: false; reasons: string[]; hint: string };

export function isNotInstalled(e: unknown, pkg: string): boolean {
  const err = e as { code?: string; message?: string };
  const code = err?.code;
  const msg = String(err?.message ?? '');
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)|Failed to load url/.test(msg)) && msg.includes(pkg);
}

export const firstLine = (e: unknown): string => String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 200);
