import { WebSocket } from 'ws';
import type { Method, RequestDataMap } from '../../src/signal/protocol.js';
import { waitFor } from './wait.js';

// biome-ignore lint/suspicious/noExplicitAny: frames of every shape; the assertions check them
export type Frame = any;

/** A test client on `/rtc`: sends requests or raw text, and records every frame and the close. */
export interface WsSession {
  socket: WebSocket;
  frames: Frame[];
  closed: () => { code: number; reason: string } | undefined;
  /** Sends a request and resolves with its response frame (ok or not). */
  request<M extends Method>(method: M, data?: RequestDataMap[M]): Promise<Frame>;
  /** Sends any text and resolves with the next response frame. */
  sendRaw(text: string): Promise<Frame>;
  waitClosed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Why the server refused the upgrade. */
export interface UpgradeRefusal {
  status: number;
  body: string;
  authenticate: string | undefined;
}

/** Opens `/rtc` with `token`; rejects with an UpgradeRefusal when the server answers with an HTTP error. */
export function openSession(nodeUrl: string, token: string | undefined, query = ''): Promise<WsSession> {
  const wsUrl = `${nodeUrl.replace(/^http/, 'ws')}/rtc?${token ? `access_token=${encodeURIComponent(token)}` : ''}${query}`;
  const socket = new WebSocket(wsUrl);
  const frames: Frame[] = [];
  let closed: { code: number; reason: string } | undefined;
  let nextId = 1;
  const waiters: ((frame: Frame) => void)[] = [];
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data));
    frames.push(frame);
    if (!frame.notification) waiters.shift()?.(frame);
  });
  socket.on('close', (code, reason) => {
    closed = { code, reason: String(reason) };
  });
  const session: WsSession = {
    socket,
    frames,
    closed: () => closed,
    request(method, data) {
      const id = nextId++;
      return session.sendRaw(JSON.stringify(data === undefined ? { id, method } : { id, method, data }));
    },
    sendRaw(text) {
      return new Promise((resolve) => {
        waiters.push(resolve);
        socket.send(text);
      });
    },
    waitClosed: (timeoutMs = 10_000) => waitFor(() => closed, { timeoutMs, what: 'the socket to close' }),
    close: () => socket.close(1000, 'test done'),
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(session));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        const refusal: UpgradeRefusal = {
          status: res.statusCode ?? 0,
          body,
          authenticate: res.headers['www-authenticate'],
        };
        reject(Object.assign(new Error(`upgrade refused with ${res.statusCode}: ${body}`), { refusal }));
      });
    });
    socket.once('error', reject);
  });
}
