/**
 * One end of a bridged session: on the signal node it stands for the room node's side, on the room node for the
 * client's. It numbers what it sends, delivers what it receives in order (or closes the session when a frame is
 * lost), and runs its close handlers once, whichever side closed.
 */
import type { TokenClaims } from '../auth/token.js';
import { CloseCode, closeReason } from '../signal/close-codes.js';
import type { SignalFrame, SignalTransport } from '../signal/transport.js';
import { type TransportEnd, TransportHandlers } from '../signal/transport-handlers.js';
import type { FrameMessage, RelayMessage } from './relay-messages.js';
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
  /**
   * Sends a message to the peer's channel; the endpoint keeps the publish order. Resolves false when the bus took
   * it but nobody listens on that channel now (the peer has not resubscribed since Redis returned).
   */
  publish: (message: RelayMessage) => Promise<boolean>;
  /** False while this node's bus is down: frames are held instead of published. */
  busUp: () => boolean;
  /** How much a session may hold while it cannot publish, before it closes. */
  hold: HoldLimits;
  /** Called once the session has ended, to drop it from the endpoint. */
  forget: (session: RelaySession) => void;
}

/** How a session ended, and which side ended it. */
export interface RelaySessionEnd extends TransportEnd {
  by: 'local' | 'peer';
}

/** Bounds on the frames one session holds while the bus is down or a publish failed. */
export interface HoldLimits {
  frames: number;
  bytes: number;
  ms: number;
}

export class RelaySession implements SignalTransport {
  readonly id: string;
  readonly peer: string;
  readonly role: RelayRole;
  readonly room: string;
  readonly identity: string;
  readonly claims?: TokenClaims;
  /** The peer has sent something for this session, so it knows it; from then on its beats must list it. */
  acknowledged = false;
  private sent = 0;
  private readonly inbound: InboundSequencer<SignalFrame>;
  private gapTimer?: ReturnType<typeof setTimeout>;
  private readonly handlers = new TransportHandlers<RelaySessionEnd>();
  /** Frames not yet on the bus, in seq order; they go out before any newer frame. */
  private readonly outbox: FrameMessage[] = [];
  private outboxBytes = 0;
  /** When the oldest held frame was first held. */
  private holdingSince?: number;
  /** Frames published directly whose fate is not known yet: the outbox waits for them to keep the order. */
  private inflight = 0;
  private draining = false;

  constructor(private readonly init: RelaySessionInit) {
    this.id = init.id;
    this.peer = init.peer;
    this.role = init.role;
    this.room = init.room;
    this.identity = init.identity;
    this.claims = init.claims;
    this.inbound = new InboundSequencer(init.window);
  }

  get closed(): boolean {
    return this.handlers.closed;
  }

  /** How the session ended, once it has. */
  get closedWith(): RelaySessionEnd | undefined {
    return this.handlers.closedWith;
  }

  /** Frames sent so far (the seq of the last one). */
  get framesSent(): number {
    return this.sent;
  }

  /** Frames delivered so far, in order. */
  get framesDelivered(): number {
    return this.inbound.expected - 1;
  }

  /** Frames waiting for the bus. */
  get held(): number {
    return this.outbox.length;
  }

  send(frame: SignalFrame): void {
    if (this.closed) return;
    this.sent++;
    const message: FrameMessage = {
      type: 'relay.frame',
      session: this.id,
      from: this.init.self,
      seq: this.sent,
      payload: typeof frame === 'string' ? frame : Buffer.from(frame).toString('base64'),
    };
    if (typeof frame !== 'string') message.binary = true;
    if (this.outbox.length > 0 || this.draining || !this.init.busUp()) this.hold(message);
    else this.transmit(message);
  }

  /**
   * Called on every heartbeat and when the bus returns: closes the session once it has held frames too long,
   * and otherwise sends what it holds, oldest first, when the bus is up.
   */
  pump(now = Date.now()): void {
    if (this.closed || this.holdingSince === undefined) return;
    if (now - this.holdingSince > this.init.hold.ms) {
      this.overflow(`held frames for more than ${this.init.hold.ms / 1000} s`);
      return;
    }
    if (this.init.busUp()) void this.drain();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    const cut = closeReason(reason);
    // Held frames are dropped: the session is over; the close itself is best effort, and a peer that misses it
    // learns from the next beat, which no longer lists the session.
    this.outbox.length = 0;
    this.outboxBytes = 0;
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

  /** Frames that arrived before anyone listened are delivered now, still in order. */
  onFrame(handler: (frame: SignalFrame) => void): void {
    this.handlers.onFrame(handler);
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.handlers.onClose(handler);
  }

  /** A frame from the peer (called by the endpoint). */
  receiveFrame(seq: number, payload: string, binary = false): void {
    if (this.closed) return;
    this.acknowledged = true;
    const result = this.inbound.push(seq, binary ? new Uint8Array(Buffer.from(payload, 'base64')) : payload);
    if (result.status === 'duplicate') return;
    if (result.status === 'overflow') {
      this.close(CloseCode.RELAY_BROKEN, `relay lost frame ${result.missing} of session ${this.id}`);
      return;
    }
    for (const frame of result.items) {
      if (this.closed) return;
      this.handlers.deliver(frame);
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
    this.init.publish(message).catch(() => undefined);
  }

  /** Publishes a frame at once; one the bus refused or nobody heard is held and sent again, in its place. */
  private transmit(message: FrameMessage): void {
    this.inflight++;
    this.init.publish(message).then(
      (heard) => this.settled(heard ? undefined : message),
      () => this.settled(message),
    );
  }

  private settled(failed: FrameMessage | undefined): void {
    this.inflight--;
    if (this.closed) return;
    if (failed) this.hold(failed);
    else if (this.inflight === 0 && this.outbox.length > 0 && this.init.busUp()) void this.drain();
  }

  /** Queues a frame in seq order (a frame that failed after later ones were held goes before them). */
  private hold(message: FrameMessage): void {
    if (this.closed) return;
    let at = this.outbox.length;
    while (at > 0 && this.outbox[at - 1]!.seq > message.seq) at--;
    if (at > 0 && this.outbox[at - 1]!.seq === message.seq) return;
    this.outbox.splice(at, 0, message);
    this.outboxBytes += Buffer.byteLength(message.payload);
    this.holdingSince ??= Date.now();
    const { frames, bytes } = this.init.hold;
    if (this.outbox.length > frames) this.overflow(`held more than ${frames} frames`);
    else if (this.outboxBytes > bytes) this.overflow(`held more than ${bytes} bytes of frames`);
  }

  private overflow(bound: string): void {
    this.close(CloseCode.RELAY_BROKEN, `relay bus unavailable: the session ${bound}`);
  }

  /** Sends the held frames one at a time, oldest first; stops (still holding) at the first one not heard. */
  private async drain(): Promise<void> {
    if (this.draining || this.inflight > 0) return;
    this.draining = true;
    try {
      while (this.outbox.length > 0 && !this.closed) {
        const message = this.outbox[0]!;
        const heard = await this.init.publish(message).catch(() => false);
        if (this.closed || !heard) return;
        this.outbox.shift();
        this.outboxBytes -= Buffer.byteLength(message.payload);
      }
      this.holdingSince = undefined;
    } finally {
      this.draining = false;
    }
  }

  private finish(code: number, reason: string, by: 'local' | 'peer'): void {
    this.handlers.finish({ code, reason, by }, () => {
      if (this.gapTimer) clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
      // Frames no handler took are dropped with the session.
      this.handlers.dropEarly();
      this.init.forget(this);
    });
  }
}
