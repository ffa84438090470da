import { WebSocket } from 'ws';
import type { AnswerDataMap, Method, RequestDataMap } from '../src/signal/protocol.js';

/** How long one request may wait for its answer. */
const ANSWER_MS = 20_000;
/** Notifications kept for a listener not attached yet; a bot that never listens (a publisher) keeps no more. */
const EARLY_NOTIFICATIONS = 256;

interface Waiter {
  method: string;
  resolve(data: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** A bot's end of our JSON protocol on `/rtc` (docs/signalling.md): requests in order, and notifications. */
export class SignalClient {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private notify?: (method: string, data: unknown) => void;
  /**
   * Notifications that came before a listener was attached: a subscriber attaches its own once its transport is
   * up, and on a leg the other nodes' tracks arrive meanwhile (the pipes open as it joins).
   */
  private early: Array<[string, unknown]> = [];
  closed?: { code: number; reason: string };

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      const frame = JSON.parse(String(raw));
      if (frame.notification) {
        if (this.notify) this.notify(frame.method, frame.data);
        else if (this.early.length < EARLY_NOTIFICATIONS) this.early.push([frame.method, frame.data]);
        return;
      }
      const waiter = this.waiting.get(frame.id);
      if (!waiter) return;
      this.waiting.delete(frame.id);
      clearTimeout(waiter.timer);
      if (frame.ok) waiter.resolve(frame.data);
      else waiter.reject(new Error(`${waiter.method}: ${frame.error?.code}: ${frame.error?.message}`));
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      for (const [id, waiter] of this.waiting) {
        this.waiting.delete(id);
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`${waiter.method}: the socket closed (${code} ${String(reason)})`));
      }
    });
  }

  /** Opens `/rtc` on `url` (http(s) or ws(s)) with `token`. */
  static open(url: string, token: string): Promise<SignalClient> {
    const wsUrl = `${url.replace(/^http/, 'ws')}/rtc?access_token=${encodeURIComponent(token)}`;
    const socket = new WebSocket(wsUrl, { handshakeTimeout: ANSWER_MS, perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new SignalClient(socket)));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => reject(new Error(`${url}/rtc refused the join with ${res.statusCode}: ${body}`)));
      });
      socket.once('error', (err) => reject(new Error(`opening ${url}/rtc: ${err.message}`)));
    });
  }

  /** Sends a request; resolves with its answer's data, rejects with the node's error. */
  request<M extends Method>(method: M, data: RequestDataMap[M]): Promise<AnswerDataMap[M]> {
    if (this.closed)
      return Promise.reject(
        new Error(`${method}: the socket is closed (${this.closed.code} ${this.closed.reason})`),
      );
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${method}: no answer within ${ANSWER_MS / 1000} s`));
      }, ANSWER_MS);
      this.waiting.set(id, { method, resolve: resolve as (data: unknown) => void, reject, timer });
      this.socket.send(JSON.stringify({ id, method, data }));
    });
  }

  /** Calls `listener` with every notification, first those that came before it was attached. */
  onNotification(listener: (method: string, data: unknown) => void): void {
    this.notify = listener;
    for (const [method, data] of this.early.splice(0)) listener(method, data);
  }

  close(): void {
    if (!this.closed) this.socket.close(1000, 'load test done');
  }
}
