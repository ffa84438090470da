/** The browser's end of `/rtc`: requests with ids, answers matched to them, notifications and the close. */
import { describeCloseCode } from '../src/signal/close-codes.js';
import { parseServerMessage } from '../src/signal/parse.js';
import type {
  AnswerDataMap,
  Method,
  NotificationDataMap,
  NotificationMethod,
  RequestDataMap,
  SignalError,
} from '../src/signal/protocol.js';

/** A refused request, with the protocol's error code. */
export class RequestFailed extends Error {
  constructor(
    readonly method: string,
    readonly error: SignalError,
  ) {
    super(`${method} failed: ${error.code}: ${error.message}`);
  }
}

/** Asks the node why it refused the socket of `url`. */
async function whyRefused(url: string): Promise<string> {
  const validate = new URL(url.replace(/^ws/, 'http'));
  validate.pathname = `${validate.pathname.replace(/\/$/, '')}/validate`;
  try {
    const answer = await fetch(validate);
    const body = (await answer.json()) as { msg?: string };
    if (!answer.ok && body.msg) return `the node refused the token: ${body.msg}`;
  } catch {
    // The node itself is unreachable: say so below.
  }
  return 'could not open the signalling socket (node unreachable, or the room cannot be placed)';
}

type NotificationHandler = <N extends NotificationMethod>(method: N, data: NotificationDataMap[N]) => void;

export interface CloseInfo {
  code: number;
  reason: string;
  /** The reason, or what the code means when the server gave none. */
  text: string;
}

export class SignalClient {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { method: string; resolve: (data: unknown) => void; reject: (err: Error) => void }
  >();
  private notificationHandler: NotificationHandler = () => undefined;
  private closeHandler: (info: CloseInfo) => void = () => undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => this.receive(String(event.data)));
    socket.addEventListener('close', (event) => {
      const info = {
        code: event.code,
        reason: event.reason,
        text: event.reason || describeCloseCode(event.code),
      };
      for (const { method, reject } of this.pending.values())
        reject(new Error(`${method}: socket closed (${info.code} ${info.text})`));
      this.pending.clear();
      this.closeHandler(info);
    });
  }

  /**
   * Opens the socket; rejects when it cannot open. A refused upgrade hides its reason from the browser, so the
   * reason is then asked of `/rtc/validate` (as LiveKit's clients do).
   */
  static connect(url: string): Promise<SignalClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const fail = () => {
        void whyRefused(url).then((reason) => reject(new Error(reason)));
      };
      socket.addEventListener('error', fail, { once: true });
      socket.addEventListener(
        'open',
        () => {
          socket.removeEventListener('error', fail);
          resolve(new SignalClient(socket));
        },
        { once: true },
      );
    });
  }

  /** Sends a request and resolves with its answer's data. */
  request<M extends Method>(method: M, data: RequestDataMap[M]): Promise<AnswerDataMap[M]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== WebSocket.OPEN) {
        reject(new Error(`${method}: socket is not open`));
        return;
      }
      this.pending.set(id, { method, resolve: resolve as (data: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, data }));
    });
  }

  onNotification(handler: NotificationHandler): void {
    this.notificationHandler = handler;
  }

  onClose(handler: (info: CloseInfo) => void): void {
    this.closeHandler = handler;
  }

  close(): void {
    this.socket.close(1000, 'client left');
  }

  private receive(frame: string): void {
    const message = parseServerMessage(frame);
    if (!message) return;
    if ('notification' in message) {
      this.notificationHandler(message.method, message.data as never);
      return;
    }
    if (typeof message.id !== 'number') return;
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    if (message.ok) waiting.resolve(message.data);
    else waiting.reject(new RequestFailed(waiting.method, message.error));
  }
}
