// A user reward module, run in a worker thread: the main thread stays free for Ctrl-C and the
// schedule, a call that loops or never settles is cut off after a time limit (the worker is
// terminated and started again for the next call), and `process.exit()` in the module ends only
// the worker (reported as that call's failure, with where it was called).
import { Worker } from 'node:worker_threads';

/** What one call gave back: the module's value as it is (checked by the caller), or why it failed. */
export type CallResult = { ok: true; value: unknown } | { ok: false; message: string; stack?: string };

// The worker's own code, as a string (eval: true), so that it works the same from dist/ and from
// the single-file bundle. It imports the module, then answers calls one at a time.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
if (process.setSourceMapsEnabled) process.setSourceMapsEnabled(true);
// The module's console output goes to stderr: stdout carries the run's lines (and --json events).
globalThis.console = new (require('node:console').Console)(process.stderr, process.stderr);
const exit = process.exit.bind(process);
process.exit = (code) => {
  parentPort.postMessage({ t: 'exit', code: code === undefined ? (process.exitCode ?? 0) : code, stack: new Error('process.exit').stack });
  exit(code);
};
const describe = (e) => (e instanceof Error ? { message: e.message, stack: e.stack } : { message: String(e) });
(async () => {
  let mod;
  try {
    mod = await import(workerData.url);
  } catch (e) {
    parentPort.postMessage({ t: 'load_error', ...describe(e) });
    return;
  }
  const fn = mod[workerData.exportName];
  const functions = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
  parentPort.postMessage({ t: 'ready', ok: typeof fn === 'function', functions });
  if (typeof fn !== 'function') return;
  parentPort.on('message', async ({ id, input }) => {
    try {
      const value = await fn(input);
      try {
        parentPort.postMessage({ t: 'result', id, value });
      } catch {
        parentPort.postMessage({ t: 'result', id, value: { __unsendable: typeof value } });
      }
    } catch (e) {
      parentPort.postMessage({ t: 'error', id, ...describe(e) });
    }
  });
})();
`;

type Message =
  | { t: 'ready'; ok: boolean; functions: string[] }
  | { t: 'load_error'; message: string; stack?: string }
  | { t: 'result'; id: number; value: unknown }
  | { t: 'error'; id: number; message: string; stack?: string }
  | { t: 'exit'; code: number; stack: string };

/** Why a module could not be started: it failed to import, or lacks the export. */
export type LoadFailure = { kind: 'load_error'; message: string } | { kind: 'no_export'; functions: string[] };

interface Pending {
  id: number;
  resolve: (r: CallResult) => void;
  timer: NodeJS.Timeout;
}

export class RewardWorker {
  private worker: Worker | null = null;
  private ready: Promise<LoadFailure | null> | null = null;
  private pending: Pending | null = null;
  private exitCall: { code: number; stack: string } | null = null;
  private nextId = 0;
  /** Calls run one after another: the time limit is the call's own time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly exportName: string,
    private readonly timeoutMs: number,
  ) {}

  /** Starts the worker and imports the module; null when the export is ready to call. */
  start(): Promise<LoadFailure | null> {
    if (this.ready) return this.ready;
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { url: this.url, exportName: this.exportName } });
    this.worker = w;
    this.exitCall = null;
    this.ready = new Promise((resolve) => {
      w.on('message', (m: Message) => {
        if (m.t === 'ready') resolve(m.ok ? null : { kind: 'no_export', functions: m.functions });
        else if (m.t === 'load_error') resolve({ kind: 'load_error', message: m.message });
        else if (m.t === 'exit') this.exitCall = { code: m.code, stack: m.stack };
        else this.settle(m.id, m.t === 'result' ? { ok: true, value: m.value } : { ok: false, message: m.message, ...(m.stack ? { stack: m.stack } : {}) });
      });
      w.on('error', (e) => {
        resolve({ kind: 'load_error', message: e.message });
        if (this.pending) this.settle(this.pending.id, { ok: false, message: `an uncaught error in the module: ${e.message}`, ...(e.stack ? { stack: e.stack } : {}) });
      });
      w.on('exit', (code) => {
        if (this.worker !== w) return; // terminated on purpose, already settled
        this.worker = null;
        this.ready = null;
        const exit = this.exitCall;
        resolve({ kind: 'load_error', message: exit ? `the module called process.exit(${exit.code}) while loading` : `its worker stopped (exit code ${code})` });
        if (this.pending) {
          const r: CallResult = exit ? { ok: false, message: `called process.exit(${exit.code}) (a reward must return a score, not end the process)`, stack: exit.stack } : { ok: false, message: `its worker stopped (exit code ${code}) before the call returned` };
          this.settle(this.pending.id, r);
        }
      });
    });
    // Only an idle worker lets the process end (unref after the listeners: adding them refs it).
    void this.ready.then(() => this.pending === null && w.unref());
    return this.ready;
  }

  call(input: unknown): Promise<CallResult> {
    const run = this.queue.then(() => this.callNow(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async callNow(input: unknown): Promise<CallResult> {
    const failure = await this.start();
    if (failure) return { ok: false, message: failure.kind === 'load_error' ? `could not start the module again: ${failure.message}` : 'the export is gone' };
    const w = this.worker!;
    const id = this.nextId++;
    return new Promise<CallResult>((resolve) => {
      const timer = setTimeout(() => {
        this.stopWorker();
        const s = this.timeoutMs / 1000;
        resolve({ ok: false, message: `timed out after ${s} s (a loop, or a promise that never settles?); set \`timeout_s\` on the reward to allow more` });
      }, this.timeoutMs);
      this.pending = { id, resolve, timer };
      w.ref();
      w.postMessage({ id, input });
    });
  }

  private settle(id: number, r: CallResult): void {
    const p = this.pending;
    if (!p || p.id !== id) return;
    clearTimeout(p.timer);
    this.pending = null;
    this.worker?.unref();
    p.resolve(r);
  }

  private stopWorker(): void {
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    this.pending = null;
    void w?.terminate();
  }

  /** Ends the worker (the next call would start it again). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    await w?.terminate();
  }
}
