// The server's side of stdio: JSON-RPC messages in and out, where what is not a message gets
// JSON-RPC's own error instead of silence: text that is not JSON a parse error (id null), a JSON
// value that is neither a request, a notification nor a response an invalid-request error.
import { ErrorCodes, type Message, type MessageReader, type ResponseMessage } from 'vscode-languageserver';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver/node.js';

export function stdioTransport(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): { reader: MessageReader; writer: StreamMessageWriter } {
  const inner = new StreamMessageReader(input);
  const writer = new StreamMessageWriter(output);
  const reply = (id: ResponseMessage['id'], code: number, message: string): void => void writer.write({ jsonrpc: '2.0', id, error: { code, message } } as ResponseMessage);
  inner.onError((e) => reply(null, ErrorCodes.ParseError, `not a JSON-RPC message: ${e.message}`));
  const reader: MessageReader = {
    onError: inner.onError,
    onClose: inner.onClose,
    onPartialMessage: inner.onPartialMessage,
    dispose: () => inner.dispose(),
    listen: (callback) =>
      inner.listen((m: Message) => {
        const o = m as unknown as Record<string, unknown>;
        const isObject = typeof o === 'object' && o !== null && !Array.isArray(o);
        const ok = isObject && (typeof o['method'] === 'string' || (!('method' in o) && ('result' in o || 'error' in o)));
        if (ok) return callback(m);
        const id = isObject && (typeof o['id'] === 'number' || typeof o['id'] === 'string') ? (o['id'] as number | string) : null;
        reply(id, ErrorCodes.InvalidRequest, 'not a request, a notification or a response: a message needs a `method` (or a `result` or `error`)');
      }),
  };
  return { reader, writer };
}
