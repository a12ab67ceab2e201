// A JSON-RPC client for the real `siric lsp` (bin/siric.js, so a build is needed): one server
// process, requests and notifications, and the diagnostics it publishes per file.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node.js';
import { BIN, ENV, ROOT } from './binary.js';

export class LspClient {
  readonly child: ChildProcessWithoutNullStreams;
  readonly conn: ProtocolConnection;
  readonly exited: Promise<number | null>;
  stderr = '';
  /** Everything the server wrote, as it came (for replies the connection cannot route, such as id null). */
  raw = '';
  private readonly waiters: { uri: string; pred: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  /** The latest diagnostics of each file. */
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();

  constructor(cwd = ROOT) {
    this.child = spawn(process.execPath, [BIN, 'lsp', '--stdio'], { cwd, env: ENV });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.stdout.on('data', (d: Buffer) => (this.raw += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    this.conn = createProtocolConnection(new StreamMessageReader(this.child.stdout), new StreamMessageWriter(this.child.stdin));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, p);
      for (const w of [...this.waiters]) {
        if (w.uri === p.uri && w.pred(p)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(p);
        }
      }
    });
    this.conn.listen();
  }

  /** The next diagnostics published for `uri` that satisfy `pred`. */
  nextDiagnostics(uri: string, pred: (p: PublishDiagnosticsParams) => boolean = () => true): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within 10 s`)), 10_000);
      this.waiters.push({ uri, pred, resolve: (p) => (clearTimeout(timer), resolve(p)) });
    });
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.conn.sendRequest(method, params) as Promise<R>;
  }

  notify(method: string, params: unknown): Promise<void> {
    return this.conn.sendNotification(method, params);
  }
}
