/**
 * Delivers one direction of a relayed session in send order. Frames arrive numbered 1, 2, 3...; a frame ahead
 * of the next expected one waits in a small window until the missing ones arrive. The caller gives up (and
 * closes the session) when the window overflows or a gap stays open too long: it never delivers out of order
 * and never skips a frame.
 */
export type SequencerResult<T> =
  | { status: 'deliver'; items: T[] }
  | { status: 'duplicate' }
  | { status: 'overflow'; missing: number };

export class InboundSequencer<T> {
  private next = 1;
  private readonly waiting = new Map<number, T>();

  constructor(private readonly window: number) {}

  /** The sequence number delivered next. */
  get expected(): number {
    return this.next;
  }

  /** True while a frame is missing and later ones wait for it. */
  get hasGap(): boolean {
    return this.waiting.size > 0;
  }

  /** Frames held back behind a gap. */
  get held(): number {
    return this.waiting.size;
  }

  /** Takes frame `seq`; returns what can now be delivered, in order. */
  push(seq: number, item: T): SequencerResult<T> {
    if (seq < this.next || this.waiting.has(seq)) return { status: 'duplicate' };
    if (seq !== this.next) {
      if (seq - this.next > this.window || this.waiting.size >= this.window) {
        return { status: 'overflow', missing: this.next };
      }
      this.waiting.set(seq, item);
      return { status: 'deliver', items: [] };
    }
    const items = [item];
    this.next++;
    for (let held = this.waiting.get(this.next); held !== undefined; held = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      items.push(held);
      this.next++;
    }
    return { status: 'deliver', items };
  }
}
