/**
 * One end of a bridged session: on the signal node it stands for the room node's side, on the room node for the
 * client's. It numbers what it sends, delivers what it receives in order (or closes the session when a frame is
 * lost), and runs its close handlers once, whichever side closed.
 */
import type { TokenClaims } from '../auth/token.js';
import { CloseCode, closeReason } from '../signal/close-codes.js';
import type { SignalTransport } from '../signal/transport.js';
import type { RelayMessage } from './messages.js';
import { InboundSequencer } from './sequencer.js';

/** `signal`: this node holds the client's WebSocket. `room`: this node hosts the room. */
export type RelayRole = 'signal' | 'room';

export interface RelaySessionInit {
  id: string;
  /** The node at the other end. */
  peer: string;
  /** This node. */
  self: string;
  role: RelayRole;
  room: string;
  identity: string;
  claims?: TokenClaims;
  window: number;
  gapTimeoutMs: number;
  /** Sends a message to the peer's channel; the endpoint keeps the publish order. */
  publish: (message: RelayMessage) => Promise<void>;
  /** Called once the session has ended, to drop it from the endpoint. */
  forget: (session: RelaySession) => void;
}

export class RelaySession implements SignalTransport {
  readonly id: string;
  readonly peer: string;
  readonly role: RelayRole;
  readonly room: string;
  readonly identity: string;
  readonly claims?: TokenClaims;
  closed = false;
  /** The peer has sent something for this session, so it knows it; from then on its beats must list it. */
  acknowledged = false;
  /** How the session ended, once it has. */
  closedWith?: { code: number; reason: string; by: 'local' | 'peer' };
  private sent = 0;
  private readonly inbound: InboundSequencer<string>;
  private gapTimer?: ReturnType<typeof setTimeout>;
  private frameHandler?: (frame: string) => void;
  private readonly early: string[] = [];
  private readonly closeHandlers: ((code: number, reason: string) => void)[] = [];

  constructor(private readonly init: RelaySessionInit) {
    this.id = init.id;
    this.peer = init.peer;
    this.role = init.role;
    this.room = init.room;
    this.identity = init.identity;
    this.claims = init.claims;
    this.inbound = new InboundSequencer(init.window);
  }

  /** Frames sent so far (the seq of the last one). */
  get framesSent(): number {
    return this.sent;
  }

  /** Frames delivered so far, in order. */
  get framesDelivered(): number {
    return this.inbound.expected - 1;
  }

  send(frame: string): void {
    if (this.closed) return;
    this.sent++;
    this.publish({
      type: 'relay.frame',
      session: this.id,
      from: this.init.self,
      seq: this.sent,
      payload: frame,
    });
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    const cut = closeReason(reason);
    this.publish({
      type: 'relay.close',
      session: this.id,
      from: this.init.self,
      seq: this.sent,
      code,
      reason: cut,
    });
    this.finish(code, cut, 'local');
  }

  onFrame(handler: (frame: string) => void): void {
    this.frameHandler = handler;
    // Frames that arrived before anyone listened are delivered now, still in order.
    for (const frame of this.early.splice(0)) handler(frame);
  }

  onClose(handler: (code: number, reason: string) => void): void {
    if (this.closedWith) handler(this.closedWith.code, this.closedWith.reason);
    else this.closeHandlers.push(handler);
  }

  /** A frame from the peer (called by the endpoint). */
  receiveFrame(seq: number, payload: string): void {
    if (this.closed) return;
    this.acknowledged = true;
    const result = this.inbound.push(seq, payload);
    if (result.status === 'duplicate') return;
    if (result.status === 'overflow') {
      this.close(CloseCode.RELAY_BROKEN, `relay lost frame ${result.missing} of session ${this.id}`);
      return;
    }
    for (const frame of result.items) {
      if (this.closed) return;
      this.deliver(frame);
    }
    this.watchGap();
  }

  /** The peer ended the session (called by the endpoint). */
  receiveClose(code: number, reason: string): void {
    if (this.closed) return;
    this.finish(code, reason, 'peer');
  }

  /** The peer acknowledged the session by some other message (an answer to `open`). */
  markAcknowledged(): void {
    this.acknowledged = true;
  }

  private deliver(frame: string): void {
    if (this.frameHandler) this.frameHandler(frame);
    else this.early.push(frame);
  }

  private watchGap(): void {
    if (!this.inbound.hasGap) {
      if (this.gapTimer) clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
      return;
    }
    if (this.gapTimer) return;
    const missing = this.inbound.expected;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (this.inbound.hasGap && this.inbound.expected === missing) {
        this.close(CloseCode.RELAY_BROKEN, `relay lost frame ${missing} of session ${this.id}`);
      } else this.watchGap();
    }, this.init.gapTimeoutMs);
    this.gapTimer.unref?.();
  }

  private publish(message: RelayMessage): void {
    this.init.publish(message).catch((err: unknown) => {
      // A frame that did not reach the bus breaks the order; nothing later may be delivered as if it had.
      const detail = err instanceof Error ? err.message : String(err);
      if (!this.closed)
        this.finish(CloseCode.RELAY_BROKEN, closeReason(`relay could not publish: ${detail}`), 'local');
    });
  }

  private finish(code: number, reason: string, by: 'local' | 'peer'): void {
    this.closed = true;
    this.closedWith = { code, reason, by };
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    this.early.length = 0;
    this.init.forget(this);
    for (const handler of this.closeHandlers.splice(0)) handler(code, reason);
  }
}
