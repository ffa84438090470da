import { WebSocket } from 'ws';
import type { Method, RequestDataMap } from '../../src/signal/protocol.js';
import { waitFor, within } from './wait.js';

// biome-ignore lint/suspicious/noExplicitAny: frames of every shape; the assertions check them
export type Frame = any;

/** A test client on `/rtc`: sends requests or raw text, and records every frame and the close. */
export interface WsSession {
  socket: WebSocket;
  frames: Frame[];
  closed: () => { code: number; reason: string } | undefined;
  /**
   * Sends a request and resolves with its response frame (ok or not); rejects, naming the method, when the
   * socket closes first or no answer comes within `timeoutMs`.
   */
  request<M extends Method>(method: M, data?: RequestDataMap[M], timeoutMs?: number): Promise<Frame>;
  /** Sends any text and resolves with the next response frame; rejects as request does. */
  sendRaw(text: string, timeoutMs?: number): Promise<Frame>;
  waitClosed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  close(): void;
}

/** Why the server refused the upgrade. */
export interface UpgradeRefusal {
  status: number;
  body: string;
  authenticate: string | undefined;
}

/** How long a request or the opening handshake may take before the test fails instead of waiting on. */
const ANSWER_MS = 10_000;

/** A request waiting for its answer. */
interface Waiter {
  what: string;
  resolve(frame: Frame): void;
  reject(err: Error): void;
}

/** Opens `/rtc` with `token`; rejects with an UpgradeRefusal when the server answers with an HTTP error. */
export function openSession(nodeUrl: string, token: string | undefined, query = ''): Promise<WsSession> {
  const wsUrl = `${nodeUrl.replace(/^http/, 'ws')}/rtc?${token ? `access_token=${encodeURIComponent(token)}` : ''}${query}`;
  const socket = new WebSocket(wsUrl, { handshakeTimeout: ANSWER_MS });
  const frames: Frame[] = [];
  let closed: { code: number; reason: string } | undefined;
  let nextId = 1;
  const waiters: Waiter[] = [];
  const closedBefore = (what: string) =>
    new Error(
      `${what}: the socket closed before the answer (${closed?.code} ${closed?.reason || 'no reason'})`,
    );
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data));
    frames.push(frame);
    if (!frame.notification) waiters.shift()?.resolve(frame);
  });
  socket.on('close', (code, reason) => {
    closed = { code, reason: String(reason) };
    for (const waiter of waiters.splice(0)) waiter.reject(closedBefore(waiter.what));
  });
  const send = (text: string, what: string, timeoutMs: number): Promise<Frame> => {
    if (closed) return Promise.reject(closedBefore(what));
    // One that times out stays queued: answers match requests in order, so its late answer must not be taken for
    // the next request's.
    const answer = new Promise<Frame>((resolve, reject) => waiters.push({ what, resolve, reject }));
    socket.send(text);
    return within(answer, timeoutMs, `the answer to ${what}`);
  };
  const session: WsSession = {
    socket,
    frames,
    closed: () => closed,
    request(method, data, timeoutMs = ANSWER_MS) {
      const id = nextId++;
      const text = JSON.stringify(data === undefined ? { id, method } : { id, method, data });
      return send(text, `${method} (id ${id})`, timeoutMs);
    },
    sendRaw: (text, timeoutMs = ANSWER_MS) =>
      send(text, `the frame ${JSON.stringify(text.slice(0, 80))}`, timeoutMs),
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
    // The handshake timeout comes as an error too: name the node it waited for.
    socket.once('error', (err) =>
      reject(new Error(`opening /rtc on ${nodeUrl}: ${err.message}`, { cause: err })),
    );
  });
}
