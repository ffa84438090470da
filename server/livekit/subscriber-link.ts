import { SessionDescription, VideoQuality } from '@livekit/protocol';
import type { types } from 'mediasoup';
import { parseSubscriberAnswer } from '../../src/sdp/subscriber-answer.js';
import { buildSubscriberOffer, type OfferEntry } from '../../src/sdp/subscriber-offer.js';
import type { Logger } from '../logger.js';
import type { Participant } from '../media/participant.js';
import { trackOf } from '../media/track.js';

/** One m-line of the subscriber PeerConnection: a consumer while it carries one, kept (inactive) after. */
interface Line {
  mid: string;
  kind: types.MediaKind;
  consumer?: types.Consumer;
  trackSid?: string;
  streamId: string;
  trackId: string;
  /** False while the client's track settings disable it (an adaptive stream's hidden video). */
  wanted: boolean;
  /** In the offer the client answered last: its consumer may run. */
  answered: boolean;
  /** Taken by a subscription whose consumer is being made. */
  reserved?: boolean;
}

/** What a client's UpdateTrackSettings asks of one subscribed track. */
export interface TrackSettings {
  disabled: boolean;
  quality: VideoQuality;
  width: number;
  height: number;
}

/**
 * The subscriber PeerConnection of a LiveKit session: the server offers, the client answers. Each subscribed
 * track is a paused consumer on the session's receive transport and an m-line in the next offer; one offer is in
 * flight at a time (a change while one is out makes one more offer after its answer). Consumers run once an
 * answer covering them arrives. m-lines are never removed: a line whose track ended goes inactive and is
 * reused by the next track of its kind, as a browser expects of renegotiation.
 */
export class SubscriberLink {
  private readonly lines: Line[] = [];
  /** Producers whose consumer is being made. */
  private readonly reserved = new Set<string>();
  private readonly sessionId = String(Math.floor(Math.random() * 2 ** 52));
  private version = 0;
  private offerId = 0;
  private inFlight?: { id: number; lines: Line[] };
  private again = false;
  private connected = false;
  private closed = false;

  constructor(
    private readonly transport: types.WebRtcTransport,
    private readonly router: types.Router,
    /** Makes a producer consumable on this session's router (it may live on another router of the room). */
    private readonly bring: (producerId: string) => Promise<void>,
    private readonly participant: Participant,
    private readonly sendOffer: (offer: SessionDescription) => void,
    private readonly logger: Logger,
  ) {}

  /** True while it consumes `producer`. */
  has(producer: types.Producer): boolean {
    return this.lines.some((line) => line.consumer?.producerId === producer.id);
  }

  /** The consumer of the track `trackSid`, if subscribed. */
  private lineOf(trackSid: string): Line | undefined {
    return this.lines.find((line) => line.consumer && line.trackSid === trackSid);
  }

  /** Starts consuming `owner`'s `producer` and offers it. */
  async subscribe(owner: Participant, producer: types.Producer): Promise<void> {
    if (this.closed || producer.closed || this.has(producer) || this.reserved.has(producer.id)) return;
    const track = trackOf(producer);
    // The line is taken before the await, so that two subscriptions at once never share one.
    const free = this.lines.find(
      (line) => !line.consumer && !line.reserved && line.kind === producer.kind && !this.isOffered(line),
    );
    const line: Line = free ?? {
      mid: String(this.lines.length),
      kind: producer.kind,
      streamId: '',
      trackId: '',
      wanted: true,
      answered: false,
    };
    line.reserved = true;
    if (!free) this.lines.push(line);
    this.reserved.add(producer.id);
    let consumer: types.Consumer;
    try {
      await this.bring(producer.id);
      consumer = await this.transport.consume({
        producerId: producer.id,
        // The client's capabilities are unknown until it answers; it offers within the router's.
        rtpCapabilities: this.router.rtpCapabilities,
        paused: true,
        // mediasoup writes this mid into the RTP mid extension; the browser routes packets to the m-line by it.
        mid: line.mid,
        appData: {
          participant: this.participant.identity,
          producerOwner: owner.identity,
          spatialLayers: producer.rtpParameters.encodings?.length ?? 1,
          topHeight: track.height,
        },
      });
    } catch (err) {
      line.reserved = false;
      this.reserved.delete(producer.id);
      // The subscriptions that succeeded beside this one still get their offer.
      if (this.reserved.size === 0 && this.lines.some((l) => l.consumer && !l.answered)) this.negotiate();
      throw err;
    }
    line.reserved = false;
    this.reserved.delete(producer.id);
    if (this.closed) {
      consumer.close();
      return;
    }
    this.participant.addConsumer(consumer);
    Object.assign(line, {
      consumer,
      trackSid: track.sid,
      streamId: `${owner.sid}|${track.sid}`,
      trackId: track.sid,
      wanted: true,
      answered: false,
    });
    consumer.observer.once('close', () => this.release(line, consumer));
    // Subscriptions made together (a join into a room with tracks) go in one offer: the last one sends it.
    if (this.reserved.size === 0) this.negotiate();
  }

  /** Offers the PeerConnection as it is (its data channels) unless an offer is out or due. */
  offerData(): void {
    if (this.offerId === 0 && !this.inFlight && this.reserved.size === 0) this.negotiate();
  }

  /** Stops consuming the track `trackSid` (the client unsubscribed). */
  unsubscribe(trackSid: string): void {
    this.lineOf(trackSid)?.consumer?.close();
  }

  /** Applies a client's track settings: disabled pauses the consumer; quality or size picks a simulcast layer. */
  async configure(trackSid: string, settings: TrackSettings): Promise<void> {
    const line = this.lineOf(trackSid);
    const consumer = line?.consumer;
    if (!line || !consumer) return;
    line.wanted = !settings.disabled;
    if (line.answered) {
      if (line.wanted && consumer.paused) await consumer.resume();
      else if (!line.wanted && !consumer.paused) await consumer.pause();
    }
    if (consumer.kind === 'video' && consumer.type === 'simulcast') {
      await consumer.setPreferredLayers({ spatialLayer: spatialLayerFor(consumer, settings) });
    }
  }

  /** The client answered an offer: connect on the first, then run the consumers the answer covers. */
  async answer(description: SessionDescription): Promise<void> {
    const offered = this.inFlight;
    // An answer to an older offer (or to none) is stale: the newest offer's answer is what counts.
    if (!offered || (description.id !== 0 && description.id !== offered.id)) {
      this.logger.debug({ id: description.id, expected: offered?.id }, 'stale subscriber answer dropped');
      return;
    }
    const answer = parseSubscriberAnswer(description.sdp);
    if (!this.connected) {
      await this.transport.connect({ dtlsParameters: answer.dtlsParameters });
      this.connected = true;
    }
    this.inFlight = undefined;
    for (const line of offered.lines) {
      const consumer = line.consumer;
      if (!consumer || consumer.closed || answer.rejectedMids.includes(line.mid)) continue;
      line.answered = true;
      if (line.wanted && consumer.paused) await consumer.resume().catch(() => undefined);
      if (consumer.kind === 'video' && !consumer.closed)
        await consumer.requestKeyFrame().catch(() => undefined);
    }
    if (this.again) {
      this.again = false;
      this.negotiate();
    }
  }

  close(): void {
    this.closed = true;
  }

  private isOffered(line: Line): boolean {
    return this.inFlight?.lines.includes(line) ?? false;
  }

  private release(line: Line, consumer: types.Consumer): void {
    if (line.consumer !== consumer) return;
    line.consumer = undefined;
    line.trackSid = undefined;
    line.answered = false;
    this.negotiate();
  }

  /** Sends an offer of every line as it is now, or notes that one is due after the answer in flight. */
  private negotiate(): void {
    if (this.closed) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const entries: OfferEntry[] = this.lines.map((line) => ({
      mid: line.mid,
      kind: line.kind,
      rtpParameters: line.consumer?.rtpParameters,
      streamId: line.streamId || `-|${line.mid}`,
      trackId: line.trackId || `inactive-${line.mid}`,
    }));
    const sdp = buildSubscriberOffer(
      {
        iceParameters: this.transport.iceParameters,
        iceCandidates: this.transport.iceCandidates,
        dtlsParameters: this.transport.dtlsParameters,
        sctpParameters: this.transport.sctpParameters,
      },
      entries,
      {
        sessionId: this.sessionId,
        version: ++this.version,
        withData: true,
        routerCapabilities: this.router.rtpCapabilities,
      },
    );
    const id = ++this.offerId;
    this.inFlight = { id, lines: this.lines.filter((line) => line.consumer) };
    this.sendOffer(new SessionDescription({ type: 'offer', sdp, id }));
  }
}

/** The simulcast layer a client's settings ask for: the smallest covering its size, else by quality. */
function spatialLayerFor(consumer: types.Consumer, settings: TrackSettings): number {
  const top = Math.max(0, ((consumer.appData.spatialLayers as number | undefined) ?? 1) - 1);
  const topHeight = (consumer.appData.topHeight as number | undefined) ?? 0;
  if (settings.height > 0 && topHeight > 0) {
    // Layers scale down by two each step below the top (LiveKit's and the browsers' default ladder).
    for (let layer = 0; layer < top; layer++)
      if (topHeight / 2 ** (top - layer) >= settings.height) return layer;
    return top;
  }
  switch (settings.quality) {
    case VideoQuality.LOW:
      return 0;
    case VideoQuality.MEDIUM:
      return Math.min(1, top);
    default:
      return top;
  }
}
