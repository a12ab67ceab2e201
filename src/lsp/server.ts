// `siric lsp`: the language server over stdio. Documents are re-checked a moment after the user
// stops typing (a newer edit cancels the pending check), and their importers with them.
import { TextDocuments, TextDocumentSyncKind, type Connection, type Diagnostic as LspDiagnostic, type InitializeResult } from 'vscode-languageserver';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { VERSION } from '../version.js';
import { complete } from './completion.js';
import { offsetAt, toPath } from './convert.js';
import { diagnose, TARGETS, type Target } from './diagnose.js';
import { codeActions, documentSymbols, formatDocument, inlayHints } from './editing.js';
import { hover } from './hover.js';
import { definition, locations, referencesOf, rename, targetAt } from './navigate.js';
import { stdioTransport } from './transport.js';
import { Workspace, type Analysis } from './workspace.js';

export interface ServerOptions {
  /** The compile target to check for: `ir` (what `siric check` checks) or `verl`. */
  target?: Target;
  /** Milliseconds to wait after an edit before re-checking. */
  debounceMs?: number;
}

const DEFAULT_DEBOUNCE_MS = 15;

export function startServer(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Connection {
  const { reader, writer } = stdioTransport(input, output);
  const connection = createConnection(ProposedFeatures.all, reader, writer);
  // When the editor goes away (stdin ends) the process ends too, as the library's own stream
  // handling does: 0 after `shutdown`, else 1; the messages read just before are answered first.
  let shutdown = false;
  input.on('end', () => setTimeout(() => process.exit(shutdown ? 0 : 1), 200));
  connection.onShutdown(() => {
    shutdown = true;
  });
  const documents = new TextDocuments(TextDocument);
  let ws = new Workspace(process.cwd());
  let target: Target = 'ir';
  let debounceMs = DEFAULT_DEBOUNCE_MS;
  const pending = new Map<string, NodeJS.Timeout>();
  /** Entry document → the diagnostics its compilation gave each file. */
  const contributions = new Map<string, Map<string, LspDiagnostic[]>>();

  const setTarget = (t: unknown): void => {
    if (typeof t === 'string' && (TARGETS as readonly string[]).includes(t)) target = t as Target;
    else if (t !== undefined) connection.console.warn(`siric.target: \`${String(t)}\` is not a target (${TARGETS.join(', ')}); checking for \`${target}\``);
  };

  connection.onInitialize((params): InitializeResult => {
    const root = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
    if (root) ws = new Workspace(toPath(root));
    const o = (params.initializationOptions ?? {}) as ServerOptions;
    setTarget(o.target);
    if (typeof o.debounceMs === 'number' && o.debounceMs >= 0) debounceMs = o.debounceMs;
    return {
      serverInfo: { name: 'siric', version: VERSION },
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['.', '"', '/', ' ', '='] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: false },
        documentSymbolProvider: true,
        documentFormattingProvider: true,
        inlayHintProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'] },
      },
    };
  });

  connection.onDidChangeConfiguration((p) => {
    const settings = (p.settings ?? {}) as { siric?: { target?: unknown } };
    setTarget(settings.siric?.target);
    for (const uri of ws.openUris()) schedule(uri, 0);
  });

  function publish(files: Iterable<string>): void {
    for (const file of files) {
      const seen = new Set<string>();
      const diagnostics: LspDiagnostic[] = [];
      for (const c of contributions.values()) {
        for (const d of c.get(file) ?? []) {
          const key = `${d.code}|${d.range.start.line}:${d.range.start.character}|${d.range.end.line}:${d.range.end.character}|${d.message}`;
          if (seen.has(key)) continue;
          seen.add(key);
          diagnostics.push(d);
        }
      }
      const version = ws.analyses.get(file)?.version;
      void connection.sendDiagnostics(version === undefined ? { uri: file, diagnostics } : { uri: file, version, diagnostics });
    }
  }

  function check(uri: string): void {
    pending.delete(uri);
    try {
      const result = diagnose(ws, uri, target);
      if (!result) return;
      const before = contributions.get(uri);
      contributions.set(uri, result.byUri);
      publish(new Set([...(before?.keys() ?? []), ...result.byUri.keys()]));
    } catch (e) {
      connection.console.error(`siric lsp: checking ${uri} failed: ${(e as Error).stack ?? String(e)}`);
    }
  }

  // The compiler is synchronous: a check, once started, runs to its end. Debouncing is what
  // cancels stale work: each edit replaces the pending check of its document.
  function schedule(uri: string, delay: number): void {
    clearTimeout(pending.get(uri));
    pending.set(uri, setTimeout(() => check(uri), delay));
  }

  // Only files are checked: an unsaved buffer (`untitled:`) has no folder to resolve its imports and data from.
  const isFile = (uri: string): boolean => uri.startsWith('file:');
  documents.onDidChangeContent((e) => {
    if (!isFile(e.document.uri)) return;
    ws.setDocument(e.document.uri, e.document.getText(), e.document.version);
    schedule(e.document.uri, debounceMs);
    for (const importer of ws.importersOf(toPath(e.document.uri))) schedule(importer, debounceMs);
  });
  documents.onDidClose((e) => {
    if (!isFile(e.document.uri)) return;
    clearTimeout(pending.get(e.document.uri));
    pending.delete(e.document.uri);
    const importers = ws.importersOf(toPath(e.document.uri));
    ws.closeDocument(e.document.uri);
    const before = contributions.get(e.document.uri);
    contributions.delete(e.document.uri);
    publish(new Set([e.document.uri, ...(before?.keys() ?? [])]));
    for (const importer of importers) schedule(importer, 0);
  });
  documents.onDidSave(() => ws.invalidateDisk());
  connection.onDidChangeWatchedFiles(() => {
    ws.invalidateDisk();
    for (const uri of ws.openUris()) schedule(uri, debounceMs);
  });

  /** The document's analysis, brought up to date first if an edit is still waiting for its check. */
  function current(uri: string): Analysis | undefined {
    const doc = isFile(uri) ? ws.document(uri) : undefined;
    if (!doc) return undefined;
    const a = ws.analyses.get(uri);
    return a && a.version === doc.version ? a : ws.analyse(uri);
  }
  const at = (uri: string, pos: { line: number; character: number }): { a: Analysis; offset: number } | undefined => {
    const a = current(uri);
    return a ? { a, offset: offsetAt(a.text, pos) } : undefined;
  };

  connection.onHover((p) => {
    const q = at(p.textDocument.uri, p.position);
    return q ? (hover(q.a, q.offset, [...ws.analyses.values()]) ?? null) : null;
  });
  connection.onCompletion((p) => {
    const q = at(p.textDocument.uri, p.position);
    return q ? complete(q.a, q.offset, ws) : [];
  });
  connection.onDefinition((p) => {
    const q = at(p.textDocument.uri, p.position);
    return (q && definition(q.a, q.offset)) ?? null;
  });
  connection.onReferences((p) => {
    const q = at(p.textDocument.uri, p.position);
    const t = q && targetAt(q.a, q.offset);
    if (!t) return [];
    const refs = referencesOf(t, ws.universe());
    return locations(p.context.includeDeclaration ? refs : refs.slice(1));
  });
  connection.onRenameRequest((p) => {
    const q = at(p.textDocument.uri, p.position);
    return rename(q && targetAt(q.a, q.offset), p.newName, ws.universe());
  });
  connection.onDocumentSymbol((p) => {
    const a = current(p.textDocument.uri);
    return a?.module ? documentSymbols(a.module.file) : [];
  });
  connection.onDocumentFormatting((p) => {
    const a = current(p.textDocument.uri);
    return a ? formatDocument(a.module?.display ?? a.abs, a.text) : [];
  });
  connection.languages.inlayHint.on((p) => {
    const a = current(p.textDocument.uri);
    return a ? inlayHints(a, [...ws.analyses.values()]) : [];
  });
  connection.onCodeAction((p) => {
    const a = current(p.textDocument.uri);
    return a ? codeActions(p.textDocument.uri, a.text, p.context.diagnostics) : [];
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}
