/**
 * Coalesces the relay messages bound for one peer node within one turn of the event loop into one bus message.
 * Under load a bridge node reads many sessions' frames in one poll of its sockets; one PUBLISH for all of them,
 * instead of one each, saves a socket write here, a command in Redis and a message read on the peer, per frame.
 * A turn with a single message for a peer sends it as it is, so a quiet session pays no wrapping; nothing waits
 * for a timer, so no message is delayed past the end of the turn it was sent in.
 */
import { encodeRelayBatch } from './relay-messages.js';

/** Sends one bus message to a peer's channel; resolves with how many subscribers heard it (as RelayBus). */
export type BusSend = (peer: string, text: string) => Promise<number | undefined>;

/** A batch is cut here (in characters of encoded messages) and the rest goes in the next publish of the turn. */
const MAX_BATCH_CHARS = 256 * 1024;

interface Waiter {
  resolve: (heard: number | undefined) => void;
  reject: (err: unknown) => void;
}

interface Pending {
  encoded: string[];
  waiters: Waiter[];
  chars: number;
}

export class PeerBatcher {
  private readonly pending = new Map<string, Pending[]>();
  private scheduled = false;

  constructor(
    private readonly from: string,
    private readonly send: BusSend,
  ) {}

  /** Queues an encoded message for `peer`; settles with its batch's publish. */
  enqueue(peer: string, encoded: string): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      let batches = this.pending.get(peer);
      if (!batches) {
        batches = [];
        this.pending.set(peer, batches);
      }
      let last = batches.at(-1);
      if (!last || (last.encoded.length > 0 && last.chars + encoded.length > MAX_BATCH_CHARS)) {
        last = { encoded: [], waiters: [], chars: 0 };
        batches.push(last);
      }
      last.encoded.push(encoded);
      last.waiters.push({ resolve, reject });
      last.chars += encoded.length;
      if (!this.scheduled) {
        this.scheduled = true;
        // After the poll phase: every frame read from the sockets in this turn is queued by then.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Hands everything queued to the bus now (also run after each turn). */
  flush(): void {
    this.scheduled = false;
    const pending = [...this.pending];
    this.pending.clear();
    // Publishes are issued in queue order on the one connection, so a peer receives its batches in order.
    for (const [peer, batches] of pending) {
      for (const { encoded, waiters } of batches) {
        const text = encoded.length === 1 ? encoded[0]! : encodeRelayBatch(this.from, encoded);
        this.send(peer, text).then(
          (heard) => {
            for (const w of waiters) w.resolve(heard);
          },
          (err: unknown) => {
            for (const w of waiters) w.reject(err);
          },
        );
      }
    }
  }
}
