import type { CompletionItem } from 'vscode-languageserver';
import type { Analysis, Workspace } from './workspace.js';
export function complete(_a: Analysis, _offset: number, _ws: Workspace): CompletionItem[] {
  return [];
}
