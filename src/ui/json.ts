// The JSON reporter: one typed event per line (the same events the terminal view consumes).
import type { RunEvent } from '../runtime/types.js';

export const jsonLine = (e: RunEvent): string => JSON.stringify(e);
