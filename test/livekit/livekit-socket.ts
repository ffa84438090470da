import { SignalRequest, SignalResponse } from '@livekit/protocol';
import { WebSocket } from 'ws';
import { waitFor } from '../helpers/wait.js';

/** One server message as the client decodes it. */
export type Message = SignalResponse['message'];

/**
 * A LiveKit client's signalling socket without the SDK around it: what a test needs to send exactly one
 * frame (good, bad or odd) and read exactly what comes back.
 */
export interface LiveKitSocket {
  socket: WebSocket;
  messages: Message[];
  closed(): { code: number; reason: string } | undefined;
  send(message: SignalRequest['message']): void;
  sendRaw(bytes: Uint8Array | string): void;
  /** The first message of `kind` after index `from` (default: any seen so far), waiting for it. */
  next<K extends NonNullable<Message['case']>>(
    kind: K,
    options?: { from?: number; what?: string; timeoutMs?: number },
  ): Promise<Extract<Message, { case: K }>['value']>;
  waitClosed(): Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Connects as LiveKit's JS SDK does (protocol 17 on /rtc), with the token in the query or a Bearer header. */
export async function connectLiveKit(
  nodeUrl: string,
  token: string,
  options: { bearer?: boolean; query?: string } = {},
): Promise<LiveKitSocket> {
  const query = `protocol=17&sdk=js&version=2.23.0&auto_subscribe=1${options.query ?? ''}`;
  const url = `${nodeUrl.replace(/^http/, 'ws')}/rtc?${options.bearer ? '' : `access_token=${token}&`}${query}`;
  const socket = new WebSocket(url, {
    handshakeTimeout: 10_000,
    headers: options.bearer ? { authorization: `Bearer ${token}` } : {},
  });
  const messages: Message[] = [];
  let closed: { code: number; reason: string } | undefined;
  socket.on('message', (data) =>
    messages.push(SignalResponse.fromBinary(new Uint8Array(data as Buffer)).message),
  );
  socket.on('close', (code, reason) => {
    closed = { code, reason: String(reason) };
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: ${res.statusCode}`)),
    );
  });
  return {
    socket,
    messages,
    closed: () => closed,
    send: (message) => socket.send(new SignalRequest({ message }).toBinary()),
    sendRaw: (bytes) => socket.send(bytes),
    async next(kind, { from = 0, what, timeoutMs } = {}) {
      const found = await waitFor(() => messages.slice(from).find((m) => m.case === kind), {
        timeoutMs,
        what: () =>
          `${what ?? `a ${kind} message`} (seen: ${messages.map((m) => m.case).join(', ') || 'none'})`,
      });
      return found.value as never;
    },
    async waitClosed() {
      return waitFor(() => closed, { what: 'the socket to close' });
    },
    close: () => socket.close(1000),
  };
}
