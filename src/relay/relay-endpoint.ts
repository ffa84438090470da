/**
 * A node's end of the signal bridge. On a signal node it opens sessions towards room nodes; on a room node it
 * accepts them. It routes relay messages from the node's bus channel to their sessions, and keeps each peer
 * node's liveness: every heartbeat it sends each peer a beat listing the sessions they share, and closes every
 * session with a peer that has fallen silent, or that no longer lists a session it once knew.
 */
import type { TokenClaims } from '../auth/token.js';
import { CloseCode } from '../signal/close-codes.js';
import { PeerBatcher } from './peer-batcher.js';
import {
  decodeRelayMessage,
  encodeRelayMessage,
  type OpenMessage,
  type RelayMessage,
  type SingleRelayMessage,
} from './relay-messages.js';
import { type HoldLimits, type RelayRole, RelaySession } from './relay-session.js';

/** The part of the cluster router the bridge needs: a channel per node. */
export interface RelayBus {
  /** Resolves with how many subscribers heard the message (0: nobody listens there now; undefined: unknown). */
  publish(nodeId: string, message: string): Promise<number | undefined>;
}

export const DEFAULT_HEARTBEAT_MS = 1000;
export const DEFAULT_PEER_TIMEOUT_MS = 3500;
export const DEFAULT_GAP_TIMEOUT_MS = 2000;
export const DEFAULT_WINDOW = 64;
/** What one session holds at most while it cannot publish: a burst of signalling, far from a flood. */
export const DEFAULT_HOLD: HoldLimits = { frames: 512, bytes: 1024 * 1024, ms: 30_000 };

export interface RelayEndpointOptions {
  /** This node's id (its channel is where peers answer). */
  nodeId: string;
  bus: RelayBus;
  heartbeatMs?: number;
  /** Silence from a peer after which all sessions with it close. */
  peerTimeoutMs?: number;
  /** How long a missing frame may be awaited while later ones are held. */
  gapTimeoutMs?: number;
  /** Frames held at most behind a missing one. */
  window?: number;
  /** Bounds on the frames a session holds while the bus is down; past one, the session closes. */
  hold?: Partial<HoldLimits>;
  /** A signal node opened a session here (this node should host `open.room`). */
  onOpen?: (session: RelaySession, open: OpenMessage) => void;
  /** Failures worth a log line: a publish that failed, a peer that went silent. */
  onEvent?: (event: string, details: Record<string, unknown>) => void;
  /** Told of every frame that arrives from a peer, alone or in a batch (the node's frame counter). */
  onFrame?: () => void;
  /** Whether messages to a peer that reads batches are coalesced per turn of the event loop (default true). */
  batch?: boolean;
}

interface Peer {
  lastSeen: number;
  sessions: Set<string>;
  /** It said it reads `relay.batch`. */
  batches: boolean;
}

export class RelayEndpoint {
  readonly nodeId: string;
  private readonly sessions = new Map<string, RelaySession>();
  private readonly peers = new Map<string, Peer>();
  private readonly heartbeatMs: number;
  private readonly peerTimeoutMs: number;
  private readonly gapTimeoutMs: number;
  private readonly window: number;
  private readonly hold: HoldLimits;
  private timer?: ReturnType<typeof setInterval>;
  /** This node lost the bus (its Redis connection): a peer's silence is not its fault until the bus returns. */
  private busDown = false;
  private readonly batcher?: PeerBatcher;

  constructor(private readonly options: RelayEndpointOptions) {
    this.nodeId = options.nodeId;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.peerTimeoutMs = options.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
    this.gapTimeoutMs = options.gapTimeoutMs ?? DEFAULT_GAP_TIMEOUT_MS;
    this.window = options.window ?? DEFAULT_WINDOW;
    this.hold = { ...DEFAULT_HOLD, ...options.hold };
    if (options.batch !== false) {
      this.batcher = new PeerBatcher(this.nodeId, (peer, text) => this.options.bus.publish(peer, text));
    }
  }

  /** Starts the heartbeat. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.heartbeatMs);
    this.timer.unref?.();
  }

  /** Closes every session with `code` and stops the heartbeat. */
  stop(code: number = CloseCode.GOING_AWAY, reason = 'node shutting down'): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const session of [...this.sessions.values()]) session.close(code, reason);
    // The closes go on the bus now, before whoever stops this endpoint closes the bus itself.
    this.batcher?.flush();
  }

  /** Live sessions, both roles. */
  get size(): number {
    return this.sessions.size;
  }

  /** Live sessions of one role. */
  count(role: RelayRole): number {
    let n = 0;
    for (const session of this.sessions.values()) if (session.role === role) n++;
    return n;
  }

  /** Signal side: opens a session in `room` on room node `peer` for a client whose token has been verified. */
  open(
    peer: string,
    info: Pick<OpenMessage, 'room' | 'identity' | 'claims' | 'claimed_for' | 'leg_of' | 'livekit'>,
  ): RelaySession {
    const session = this.track(crypto.randomUUID(), peer, 'signal', info.room, info.identity, info.claims);
    this.publish(peer, {
      type: 'relay.open',
      session: session.id,
      from: this.nodeId,
      ...info,
      ...this.batchesField(),
    }).catch((err: unknown) =>
      session.close(CloseCode.UNAVAILABLE, `room node ${peer} unreachable: ${message(err)}`),
    );
    return session;
  }

  /**
   * Closes every session shared with `peerId` at once, because the cluster declared that node dead (its lease
   * expired and the sweeper removed it): an explicit signal that comes before its silence would. Returns how many
   * sessions it closed.
   */
  closePeer(peerId: string, why: string): number {
    const peer = this.peers.get(peerId);
    if (!peer) return 0;
    let closed = 0;
    for (const id of [...peer.sessions]) {
      const session = this.sessions.get(id);
      if (!session) continue;
      session.close(this.goneCode(session), `${this.peerName(session)} ${peerId} ${why}`);
      closed++;
    }
    return closed;
  }

  /**
   * This node's bus connection dropped (a Redis outage) or came back. While it is down, neither beats nor verdicts
   * on peers' silence: an idle session outlives the outage, and every peer's silence clock restarts when the bus
   * returns. Frames sent during the outage are held by their session, in order, and sent before any newer one
   * once the bus is back (within the hold limits; past one the session closes).
   */
  setBusUp(up: boolean): void {
    const returned = up && this.busDown;
    if (returned) {
      const now = Date.now();
      for (const peer of this.peers.values()) peer.lastSeen = now;
    }
    this.busDown = !up;
    if (returned) for (const session of [...this.sessions.values()]) session.pump();
  }

  /** Takes one message from this node's bus channel (raw or parsed). Returns false when it is not a relay message. */
  handle(raw: unknown): boolean {
    const msg = decodeRelayMessage(raw);
    if (!msg) return false;
    if (msg.type === 'relay.batch') {
      for (const inner of msg.messages) this.handleOne(inner);
      // A batch proves its sender reads them; its inner messages created the peer if it was new.
      this.markBatches(msg.from);
    } else {
      this.handleOne(msg);
      if (msg.type === 'relay.open' || msg.type === 'relay.beat') {
        if (msg.batches === true) this.markBatches(msg.from);
      }
    }
    return true;
  }

  private markBatches(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (peer) peer.batches = true;
  }

  private batchesField(): { batches?: true } {
    return this.batcher ? { batches: true } : {};
  }

  private handleOne(msg: SingleRelayMessage): void {
    const peer = this.peers.get(msg.from);
    if (peer) peer.lastSeen = Date.now();
    switch (msg.type) {
      case 'relay.open':
        this.accept(msg);
        break;
      case 'relay.frame': {
        this.options.onFrame?.();
        const session = this.sessions.get(msg.session);
        if (session && session.peer === msg.from)
          session.receiveFrame(msg.seq, msg.payload, msg.binary === true);
        else if (!session) this.refuseUnknown(msg.from, msg.session);
        break;
      }
      case 'relay.close': {
        const session = this.sessions.get(msg.session);
        if (session && session.peer === msg.from) session.receiveClose(msg.code, msg.reason);
        break;
      }
      case 'relay.beat':
        this.checkBeat(msg.from, new Set(msg.sessions));
        break;
    }
  }

  private accept(open: OpenMessage): void {
    if (this.sessions.has(open.session)) return;
    const session = this.track(open.session, open.from, 'room', open.room, open.identity, open.claims);
    session.markAcknowledged();
    if (!this.options.onOpen) {
      session.close(CloseCode.UNAVAILABLE, `node ${this.nodeId} does not host rooms`);
      return;
    }
    try {
      this.options.onOpen(session, open);
    } catch (err) {
      session.close(CloseCode.INTERNAL_ERROR, `room node failed to open the session: ${message(err)}`);
    }
  }

  private track(
    id: string,
    peerId: string,
    role: RelayRole,
    room: string,
    identity: string,
    claims: TokenClaims,
  ): RelaySession {
    const session = new RelaySession({
      id,
      peer: peerId,
      self: this.nodeId,
      role,
      room,
      identity,
      claims,
      window: this.window,
      gapTimeoutMs: this.gapTimeoutMs,
      publish: async (msg) => (await this.publish(peerId, msg)) !== 0,
      busUp: () => !this.busDown,
      hold: this.hold,
      forget: (ended) => this.forget(ended),
    });
    this.sessions.set(id, session);
    let peer = this.peers.get(peerId);
    if (!peer) {
      // The silence clock of a new peer starts now.
      peer = { lastSeen: Date.now(), sessions: new Set(), batches: false };
      this.peers.set(peerId, peer);
    }
    peer.sessions.add(id);
    return session;
  }

  private forget(session: RelaySession): void {
    this.sessions.delete(session.id);
    const peer = this.peers.get(session.peer);
    peer?.sessions.delete(session.id);
    if (peer && peer.sessions.size === 0) this.peers.delete(session.peer);
  }

  /**
   * Tells a peer that a session it still uses is unknown here. The peer's open always precedes its frames and
   * beats on the bus, so an unknown session was lost here (this node restarted) or closed here, in which case our
   * own close reached the peer first and this one is ignored.
   */
  private refuseUnknown(peer: string, session: string): void {
    const reason = `session unknown on node ${this.nodeId}`;
    const close: RelayMessage = {
      type: 'relay.close',
      session,
      from: this.nodeId,
      seq: 0,
      code: CloseCode.ROOM_NODE_GONE,
      reason,
    };
    this.publish(peer, close).catch(() => undefined);
  }

  /**
   * Compares a peer's list of shared sessions with ours: a session it lists that we do not know is refused; one
   * it no longer lists after acknowledging it was lost on its side (restarted, or closed unseen).
   */
  private checkBeat(peerId: string, listed: Set<string>): void {
    for (const id of listed) if (!this.sessions.has(id)) this.refuseUnknown(peerId, id);
    const peer = this.peers.get(peerId);
    if (!peer) return;
    for (const id of [...peer.sessions]) {
      const session = this.sessions.get(id);
      if (session?.acknowledged && !listed.has(id)) {
        session.close(
          this.goneCode(session),
          `${this.peerName(session)} ${peerId} no longer knows the session`,
        );
      }
    }
  }

  private tick(): void {
    const now = Date.now();
    // Held frames are retried (and their age judged) whatever the bus: a session must not outwait its bound.
    for (const session of [...this.sessions.values()]) session.pump(now);
    if (this.busDown) return;
    for (const [peerId, peer] of [...this.peers]) {
      if (now - peer.lastSeen > this.peerTimeoutMs) {
        this.options.onEvent?.('peer silent', {
          peer: peerId,
          silentMs: now - peer.lastSeen,
          sessions: peer.sessions.size,
        });
        for (const id of [...peer.sessions]) {
          const session = this.sessions.get(id);
          if (session)
            session.close(this.goneCode(session), `${this.peerName(session)} ${peerId} stopped answering`);
        }
        continue;
      }
      const beat: RelayMessage = {
        type: 'relay.beat',
        from: this.nodeId,
        sessions: [...peer.sessions],
        ...this.batchesField(),
      };
      this.publish(peerId, beat).catch(() => undefined);
    }
  }

  private goneCode(session: RelaySession): number {
    return session.role === 'signal' ? CloseCode.ROOM_NODE_GONE : CloseCode.GOING_AWAY;
  }

  private peerName(session: RelaySession): string {
    return session.role === 'signal' ? 'room node' : 'signal node';
  }

  private async publish(peer: string, msg: RelayMessage): Promise<number | undefined> {
    const text = encodeRelayMessage(msg);
    try {
      if (this.batcher && this.peers.get(peer)?.batches) return await this.batcher.enqueue(peer, text);
      return await this.options.bus.publish(peer, text);
    } catch (err) {
      this.options.onEvent?.('publish failed', { peer, type: msg.type, error: message(err) });
      throw err;
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
