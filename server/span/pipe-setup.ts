import type { types } from 'mediasoup';

/**
 * Times how long a piped video track takes to reach this node once wanted: from its first consumer here running
 * (the pipe was paused: VideoDemand's `true`) until the first keyframe crosses the pipe into its producer here,
 * the first frame a consumer can decode. The producer's keyframe trace is on only while a setup is timed, so the
 * worker reports nothing per packet otherwise. A want withdrawn before the keyframe came is no sample.
 */
export class PipeSetupTimer {
  private since: number | undefined;

  constructor(
    private readonly producer: types.Producer,
    private readonly observe: (seconds: number) => void,
  ) {
    producer.on('trace', (trace) => {
      if (trace.type === 'keyframe') this.arrived();
    });
  }

  /** The consumers here started (true) or stopped (false) wanting the track. */
  want(want: boolean): void {
    if (want && this.since === undefined) {
      this.since = performance.now();
      // Asked of the worker before the sending node hears the want, so the keyframe it asks for is seen.
      this.trace(true);
    } else if (!want && this.since !== undefined) {
      this.since = undefined;
      this.trace(false);
    }
  }

  private arrived(): void {
    if (this.since === undefined) return;
    this.observe((performance.now() - this.since) / 1000);
    this.since = undefined;
    this.trace(false);
  }

  private trace(on: boolean): void {
    if (this.producer.closed) return;
    // A producer closing meanwhile has nothing left to time.
    this.producer.enableTraceEvent(on ? ['keyframe'] : []).catch(() => undefined);
  }
}
