import type { types } from 'mediasoup';

/** How long a node keeps a video track piped after its last consumer there left: a quick resubscribe finds it. */
export const VIDEO_UNPIPE_GRACE_MS = 5_000;

/**
 * Which video tracks the consumers of a room on this node want, for the tracks that reach the room by pipe
 * (another node's part of a spanning room, a forwarded participant): the follower of a track hears `true` when its
 * first consumer here runs and `false` a grace after its last one left or paused (a resubscribe within it changes
 * nothing), so that its node sends the video only while someone here watches it.
 *
 * A consumer counts once it is resumed, not when it is made (paused, until its client is ready): the pipe's key
 * frame then arrives for a consumer that can take it. Counted at creation, the pipe's key frame came while the
 * consumer was still paused, and the consumer's own request, moments later, found the publisher holding off key
 * frames (a browser answers one request per 300 ms), so mediasoup asked again only after a second (bench/span).
 */
export class VideoDemand {
  private readonly counts = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly followers = new Map<string, (want: boolean) => void>();
  private stopped = false;

  /** Counts the consumers made on `router`'s transports from now on (a room's routers, as it makes them). */
  watch(router: types.Router): void {
    router.observer.on('newtransport', (transport: types.Transport) => {
      transport.observer.on('newconsumer', (consumer: types.Consumer) => {
        if (consumer.type === 'pipe' || consumer.kind !== 'video') return;
        let counted = false;
        // The observer's pause and resume also follow the producer's; only the consumer's own state counts.
        const update = () => {
          const running = !consumer.closed && !consumer.paused;
          if (running === counted) return;
          counted = running;
          this.change(consumer.producerId, running ? 1 : -1);
        };
        update();
        consumer.observer.on('pause', update);
        consumer.observer.on('resume', update);
        consumer.observer.once('close', update);
      });
    });
  }

  /** Tells `follower` when consumers here start and stop wanting `producerId`; returns what stops it. */
  follow(producerId: string, follower: (want: boolean) => void): () => void {
    this.followers.set(producerId, follower);
    if ((this.counts.get(producerId) ?? 0) > 0) follower(true);
    return () => {
      if (this.followers.get(producerId) === follower) this.followers.delete(producerId);
      clearTimeout(this.timers.get(producerId));
      this.timers.delete(producerId);
    };
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.followers.clear();
  }

  private change(producerId: string, delta: number): void {
    const before = this.counts.get(producerId) ?? 0;
    const after = Math.max(0, before + delta);
    if (after === 0) this.counts.delete(producerId);
    else this.counts.set(producerId, after);
    const follower = this.followers.get(producerId);
    if (!follower || this.stopped) return;
    if (before === 0 && after > 0) {
      const pending = this.timers.get(producerId);
      if (pending) {
        clearTimeout(pending);
        this.timers.delete(producerId);
      } else follower(true);
    } else if (before > 0 && after === 0) {
      this.timers.set(
        producerId,
        setTimeout(() => {
          this.timers.delete(producerId);
          if (!this.counts.has(producerId) && !this.stopped) this.followers.get(producerId)?.(false);
        }, VIDEO_UNPIPE_GRACE_MS),
      );
    }
  }
}
