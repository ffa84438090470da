/**
 * The server's offer on the subscriber PeerConnection, written from mediasoup consumers.
 *
 *   buildSubscriberOffer(transportParams, entries, { sessionId, version, withData, routerCapabilities }): string
 *
 * m=application first (when withData), then one m-line per entry in the order given. The caller keeps the
 * entries of a PeerConnection for its whole life: m-lines are never removed or reordered (JSEP refuses a
 * subsequent offer that does), so an unpublished track's entry stays, without rtpParameters, and goes
 * a=inactive; a later consumer of the same kind may take its mid again. `withData` must not change between
 * offers of one PeerConnection, for the same reason.
 *
 * Each consumer must be created with `mid` equal to its entry's mid (`transport.consume({ ..., mid })`):
 * mediasoup writes its consumer mid into the RTP mid header extension, and the browser routes packets by it.
 */
import type { types } from 'mediasoup';
import { type SessionDescription, write } from 'sdp-transform';
import { LkcError } from '../errors.js';
import { isRtx, oneCongestionFeedback, writeCodecs } from './codecs.js';
import type { MediaObject } from './sdp-text.js';
import { sessionSkeleton, type TransportSdpParams, writeTransportLines } from './transport-lines.js';

export interface OfferEntry {
  mid: string;
  kind: 'audio' | 'video';
  /** consumer.rtpParameters; absent when the consumer is gone: the m-line stays, a=inactive. */
  rtpParameters?: types.RtpParameters;
  /** msid: stream `PA_x|TR_y`, track `TR_y` (LiveKit's clients parse the stream id). */
  streamId: string;
  trackId: string;
}

export interface SubscriberOfferOptions {
  /** The o= session id, digits, the same for every offer of the PeerConnection. */
  sessionId: string;
  /** The o= session version: higher in every offer. */
  version: number;
  /** Carry m=application for the server's data channels; the same in every offer of the PeerConnection. */
  withData: boolean;
  /**
   * router.rtpCapabilities. An inactive m-line still names one codec; it names the router's codec of its kind
   * with the router's payload type, which is the payload type every consumer of the router uses for it, so
   * no offer ever maps one payload type to two codecs in the BUNDLE (libwebrtc refuses that).
   */
  routerCapabilities: types.RtpCapabilities;
  /** The mid of m=application; 'data' unless given, so it never meets mediasoup's numeric consumer mids. */
  dataMid?: string;
}

const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

function badEntry(message: string): LkcError {
  return new LkcError('BAD_INPUT', `subscriber offer: ${message}`);
}

export function buildSubscriberOffer(
  transport: TransportSdpParams,
  entries: OfferEntry[],
  options: SubscriberOfferOptions,
): string {
  const dataMid = options.dataMid ?? 'data';
  if (!/^\d{1,19}$/.test(options.sessionId)) throw badEntry(`session id ${options.sessionId} is not digits`);
  if (!Number.isSafeInteger(options.version) || options.version < 0) {
    throw badEntry(`version ${options.version} is not a non-negative integer`);
  }
  const mids = new Set<string>(options.withData ? [dataMid] : []);
  for (const entry of entries) {
    if (!TOKEN.test(entry.mid) || mids.has(entry.mid))
      throw badEntry(`mid ${entry.mid} is not a unique token`);
    mids.add(entry.mid);
  }
  const media: MediaObject[] = [];
  if (options.withData) media.push(dataMedia(dataMid, transport));
  for (const entry of entries) media.push(entryMedia(entry, transport, options.routerCapabilities));
  const offer: SessionDescription = {
    ...sessionSkeleton(options.sessionId, options.version, [...mids]),
    media,
  };
  return write(offer);
}

function dataMedia(mid: string, transport: TransportSdpParams): MediaObject {
  if (!transport.sctpParameters) {
    throw new LkcError('INTERNAL', 'subscriber offer with data, but the transport has no SCTP (enableSctp)');
  }
  const media: MediaObject = {
    type: 'application',
    port: 9,
    protocol: 'UDP/DTLS/SCTP',
    payloads: 'webrtc-datachannel',
    connection: { version: 4, ip: '0.0.0.0' },
    mid,
    rtp: [],
    fmtp: [],
    sctpPort: transport.sctpParameters.port,
    maxMessageSize: transport.sctpParameters.maxMessageSize,
  };
  writeTransportLines(media, transport, 'actpass');
  return media;
}

function entryMedia(
  entry: OfferEntry,
  transport: TransportSdpParams,
  capabilities: types.RtpCapabilities,
): MediaObject {
  if (entry.kind !== 'audio' && entry.kind !== 'video')
    throw badEntry(`mid ${entry.mid} has kind ${entry.kind}`);
  const media: MediaObject = {
    type: entry.kind,
    port: 9,
    protocol: 'UDP/TLS/RTP/SAVPF',
    payloads: '',
    connection: { version: 4, ip: '0.0.0.0' },
    mid: entry.mid,
    rtp: [],
    fmtp: [],
  };
  writeTransportLines(media, transport, 'actpass');
  media.rtcpMux = 'rtcp-mux';
  media.rtcpRsize = 'rtcp-rsize';
  const rtp = entry.rtpParameters;
  if (!rtp) {
    const codec = capabilities.codecs?.find(
      (candidate) => candidate.kind === entry.kind && !isRtx(candidate.mimeType),
    );
    if (!codec?.preferredPayloadType) throw badEntry(`the router has no ${entry.kind} codec`);
    media.direction = 'inactive';
    writeCodecs(media, [
      {
        mimeType: codec.mimeType,
        payloadType: codec.preferredPayloadType,
        clockRate: codec.clockRate,
        channels: codec.channels,
        parameters: codec.parameters,
      },
    ]);
    return media;
  }
  if (rtp.mid !== undefined && rtp.mid !== entry.mid) {
    throw badEntry(`consumer mid ${rtp.mid} is not its m-line's mid ${entry.mid}: consume with { mid }`);
  }
  if (!TOKEN.test(entry.streamId) || !TOKEN.test(entry.trackId)) {
    throw badEntry(`mid ${entry.mid}: msid ${entry.streamId} ${entry.trackId} is not two tokens`);
  }
  const codecs = rtp.codecs ?? [];
  if (
    codecs.length === 0 ||
    codecs.some((codec) => !codec.mimeType.toLowerCase().startsWith(`${entry.kind}/`))
  ) {
    throw badEntry(`mid ${entry.mid}: rtpParameters have no ${entry.kind} codec`);
  }
  const encoding = rtp.encodings?.[0];
  if (!encoding?.ssrc) throw badEntry(`mid ${entry.mid}: rtpParameters have no ssrc`);
  const headerExtensions = rtp.headerExtensions ?? [];
  media.direction = 'sendonly';
  media.msid = [{ id: entry.streamId, appdata: entry.trackId }];
  // mediasoup may send one- and two-byte header extensions.
  media.extmapAllowMixed = 'extmap-allow-mixed';
  media.ext = headerExtensions.map((ext) => ({ value: ext.id, uri: ext.uri }));
  writeCodecs(
    media,
    codecs.map((codec) => ({
      ...codec,
      rtcpFeedback: oneCongestionFeedback(codec.rtcpFeedback ?? [], headerExtensions),
    })),
  );
  if (rtp.rtcp?.reducedSize === false) delete media.rtcpRsize;
  const cname = rtp.rtcp?.cname || entry.streamId;
  const msid = `${entry.streamId} ${entry.trackId}`;
  const ssrcs = [encoding.ssrc, ...(encoding.rtx?.ssrc ? [encoding.rtx.ssrc] : [])];
  media.ssrcs = ssrcs.flatMap((id) => [
    { id, attribute: 'cname', value: cname },
    { id, attribute: 'msid', value: msid },
  ]);
  if (ssrcs.length > 1) media.ssrcGroups = [{ semantics: 'FID', ssrcs: ssrcs.join(' ') }];
  return media;
}
