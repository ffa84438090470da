/**
 * The server's answer on the publisher PeerConnection.
 *
 *   buildPublisherAnswer(offerSdp, parsePublisherOffer(offerSdp, caps), transportParams, accept): string
 *
 * Rebuilt whole for every offer, m-line by m-line in the offer's order and mids, all in one BUNDLE group.
 * Accepted media (accept() true and rtpParameters present) is answered recvonly with the negotiated codecs and
 * extensions; every other audio/video m-line (recvonly placeholders, refused or unsupported tracks) is
 * answered a=inactive, never port 0: the Rust client recycles a rejected m-line's transceiver into its first
 * m-line and silently breaks its BUNDLE group. Only an m-line the offer itself closed (port 0) stays closed.
 * m=application is always answered (accept() is not asked), with the transport's SCTP port and
 * max-message-size: the client's data channels are part of every LiveKit session.
 */
import { type SessionDescription, write } from 'sdp-transform';
import { LkcError } from '../errors.js';
import { codecName, isRtx, readSdpCodecs, writeCodecs } from './codecs.js';
import type { OfferedMedia, PublisherOffer } from './publisher-offer.js';
import { badSdp, type MediaObject, parseSdp } from './sdp-text.js';
import {
  sessionIdOf,
  sessionSkeleton,
  type TransportSdpParams,
  writeTransportLines,
} from './transport-lines.js';

export type { TransportSdpParams } from './transport-lines.js';

export function buildPublisherAnswer(
  offerSdp: string,
  offer: PublisherOffer,
  transport: TransportSdpParams,
  accept: (media: OfferedMedia) => boolean,
): string {
  const session = parseSdp(offerSdp, 'publisher offer');
  const byMid = new Map(offer.media.map((media) => [media.mid, media]));
  const media = session.media.map((offered) => {
    const parsed = byMid.get(String(offered.mid));
    if (!parsed) throw badSdp(`m-line ${offered.mid} of the offer is not in the parsed offer given with it`);
    return answerMedia(offered, parsed, transport, accept);
  });
  const bundled = media.filter((answered) => answered.port !== 0).map((answered) => String(answered.mid));
  const answer: SessionDescription = {
    ...sessionSkeleton(sessionIdOf(transport), Number(session.origin?.sessionVersion ?? 1) || 1, bundled),
    media,
  };
  // We can receive one- and two-byte header extensions alike.
  if (session.extmapAllowMixed) answer.extmapAllowMixed = 'extmap-allow-mixed';
  return write(answer);
}

function answerMedia(
  offered: MediaObject,
  parsed: OfferedMedia,
  transport: TransportSdpParams,
  accept: (media: OfferedMedia) => boolean,
): MediaObject {
  const answer: MediaObject = {
    type: offered.type,
    port: 9,
    protocol: offered.protocol,
    payloads: '',
    connection: { version: 4, ip: '0.0.0.0' },
    mid: String(offered.mid),
    rtp: [],
    fmtp: [],
  };
  if (offered.port === 0) {
    // The client closed this m-line; an answer must keep it closed (RFC 3264 section 6).
    answer.port = 0;
    answer.payloads = offered.payloads;
    answer.direction = 'inactive';
    return answer;
  }
  writeTransportLines(answer, transport, 'passive');
  if (parsed.kind === 'application') {
    if (!transport.sctpParameters) {
      throw new LkcError(
        'INTERNAL',
        'the offer has m=application but the transport has no SCTP (enableSctp)',
      );
    }
    answer.payloads = 'webrtc-datachannel';
    answer.sctpPort = transport.sctpParameters.port;
    answer.maxMessageSize = transport.sctpParameters.maxMessageSize;
    return answer;
  }
  answer.rtcpMux = 'rtcp-mux';
  if (offered.rtcpRsize) answer.rtcpRsize = 'rtcp-rsize';
  if (offered.extmapAllowMixed) answer.extmapAllowMixed = 'extmap-allow-mixed';
  const rtp = parsed.rtpParameters;
  if (rtp && accept(parsed)) {
    answer.direction = 'recvonly';
    writeCodecs(answer, rtp.codecs);
    answer.ext = rtp.headerExtensions?.map((ext) => ({ value: ext.id, uri: ext.uri })) ?? [];
    const rids = (rtp.encodings ?? []).map((encoding) => encoding.rid).filter((rid) => rid !== undefined);
    if (rids.length > 0) {
      answer.rids = rids.map((id) => ({ id, direction: 'recv' }));
      answer.simulcast = { dir1: 'recv', list1: rids.join(';') };
    }
    return answer;
  }
  answer.direction = 'inactive';
  if (rtp) {
    writeCodecs(answer, rtp.codecs);
  } else {
    // An answer must list a codec of the offer even when nothing flows: the first plain media codec.
    const kind = parsed.kind as 'audio' | 'video';
    const codecs = readSdpCodecs(offered, kind);
    const plain =
      codecs.find(
        (codec) => !isRtx(codec.mimeType) && !NOT_MEDIA.has(codecName(codec.mimeType).toLowerCase()),
      ) ?? codecs[0];
    if (!plain) throw badSdp(`m-line ${parsed.mid} of the publisher offer has no codec`);
    writeCodecs(answer, [{ ...plain, rtcpFeedback: [] }]);
  }
  return answer;
}

/** Payload formats that are not a codec on their own: an inactive answer must not pick one of them alone. */
const NOT_MEDIA = new Set(['red', 'ulpfec', 'flexfec-03', 'cn', 'telephone-event']);
