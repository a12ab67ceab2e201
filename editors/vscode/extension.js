// The VS Code client: starts `siric lsp` over stdio for .siri files and passes it the target.
// Plain JavaScript with vscode-languageclient as this folder's own dependency (not siric's).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

/** `siric.path`, else the workspace's node_modules/.bin/siric, else `siric` on the PATH. */
function serverCommand() {
  const configured = vscode.workspace.getConfiguration('siric').get('path');
  const args = ['lsp', '--stdio'];
  if (configured) return configured.endsWith('.js') ? { command: process.execPath, args: [configured, ...args] } : { command: configured, args };
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const local = path.join(folder.uri.fsPath, 'node_modules', '.bin', process.platform === 'win32' ? 'siric.cmd' : 'siric');
    if (fs.existsSync(local)) return { command: local, args };
  }
  return { command: 'siric', args };
}

function activate(context) {
  const { command, args } = serverCommand();
  const run = { command, args, transport: TransportKind.stdio, options: { env: process.env } };
  client = new LanguageClient('siric', 'siric', { run, debug: run }, {
    documentSelector: [{ scheme: 'file', language: 'siri' }],
    initializationOptions: { target: vscode.workspace.getConfiguration('siric').get('target') },
    synchronize: { configurationSection: 'siric', fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{siri,jsonl,parquet,json}') },
  });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('siric.path')) void vscode.window.showInformationMessage('siric.path changed: run "Developer: Reload Window" to restart the server.');
    }),
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
