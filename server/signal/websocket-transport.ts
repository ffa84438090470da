import { WebSocket } from 'ws';
import { closeReason } from '../../src/signal/close-codes.js';
import type { SignalFrame, SignalTransport } from '../../src/signal/transport.js';
import { TransportHandlers } from '../../src/signal/transport-handlers.js';

/** How often the node pings a client; a client that misses two pongs is gone (half-open TCP, a sleeping laptop). */
const PING_INTERVAL_MS = 10_000;

/** A client's `/rtc` WebSocket as a signalling transport; close handlers run at once when either side closes. */
export class WebSocketTransport implements SignalTransport {
  private readonly handlers = new TransportHandlers();
  private readonly pinger: NodeJS.Timeout;
  private alive = true;

  constructor(private readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      // ws hands text frames over as Buffers too; isBinary says which kind the client sent.
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      this.handlers.deliver(isBinary ? new Uint8Array(bytes) : bytes.toString('utf8'));
    });
    socket.on('close', (code, reason) => this.finish(code, reason.toString('utf8')));
    // An 'error' is always followed by 'close'; without a listener it would crash the node.
    socket.on('error', () => undefined);
    socket.on('pong', () => {
      this.alive = true;
    });
    this.pinger = setInterval(() => {
      if (!this.alive) {
        socket.terminate();
        this.finish(1006, 'client stopped answering pings');
        return;
      }
      this.alive = false;
      socket.ping();
    }, PING_INTERVAL_MS);
    this.pinger.unref();
  }

  get closed(): boolean {
    return this.handlers.closed;
  }

  send(frame: SignalFrame): void {
    if (!this.closed && this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    const cut = closeReason(reason);
    try {
      this.socket.close(code, cut);
    } catch {
      this.socket.terminate();
    }
    this.finish(code, cut);
  }

  onFrame(handler: (frame: SignalFrame) => void): void {
    this.handlers.onFrame(handler);
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.handlers.onClose(handler);
  }

  private finish(code: number, reason: string): void {
    this.handlers.finish({ code, reason }, () => clearInterval(this.pinger));
  }
}
