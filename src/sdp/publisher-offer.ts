/**
 * The client's offer on the publisher PeerConnection, read into what mediasoup needs: the DTLS parameters to
 * connect the transport, and per m-line the rtpParameters for `transport.produce()`.
 *
 *   parsePublisherOffer(sdp, router.rtpCapabilities): PublisherOffer
 *
 * Then `transport.connect({ dtlsParameters })` once per transport, `transport.produce({ kind, rtpParameters })`
 * for each media the session accepts, and buildPublisherAnswer() (publisher-answer.ts) for the answer.
 * A malformed offer throws LkcError('BAD_INPUT'); an m-line the router cannot take (no common codec, no
 * ssrc or rid to receive) is not an error: its rtpParameters are absent and the answer makes it inactive.
 */
import type { types } from 'mediasoup';
import { parseSimulcastStreamList } from 'sdp-transform';
import {
  negotiateCodecs,
  negotiateHeaderExtensions,
  oneCongestionFeedback,
  readSdpCodecs,
} from './codecs.js';
import { badSdp, type MediaObject, parseSdp, readMsid } from './sdp-text.js';
import { readRemoteDtls } from './transport-lines.js';

export interface OfferedMedia {
  mid: string;
  kind: 'audio' | 'video' | 'application';
  /** 'sendonly' | 'sendrecv' | 'recvonly' | 'inactive' as offered ('sendrecv' when the m-line says none). */
  direction: string;
  /** From a=msid: LiveKit matches an m-line to its AddTrack cid through the track id. */
  streamId?: string;
  trackId?: string;
  /**
   * For an audio/video m-line the client sends on, what transport.produce() needs: the first codec the
   * router shares (offer payload types; its RTX by apt), the router's header extensions with the offer's ids,
   * encodings from a=simulcast/a=rid (rid only, in simulcast order), a=ssrc-group:SIM/FID, or the one ssrc;
   * rtcp { cname, reducedSize }, mid. Absent for recvonly/inactive m-lines and for one the router cannot take.
   */
  rtpParameters?: types.RtpParameters;
}

export interface PublisherOffer {
  /** The client's fingerprint; role 'client' since the answer is always a=setup:passive. */
  dtlsParameters: types.DtlsParameters;
  media: OfferedMedia[];
  /** Present when the offer has m=application (SCTP data channels). */
  sctp?: { port: number; maxMessageSize: number };
}

/** RFC 8841: the max-message-size a peer assumes when the other side names none. */
const DEFAULT_MAX_MESSAGE_SIZE = 65536;

export function parsePublisherOffer(sdp: string, routerCapabilities: types.RtpCapabilities): PublisherOffer {
  const session = parseSdp(sdp, 'publisher offer');
  // actpass is what every browser offers; an offer that insists on passive would need us active, and the
  // LiveKit protocol has the server answer passive.
  const dtlsParameters = readRemoteDtls(session, 'publisher offer', { actpass: 'client', active: 'client' });
  const result: PublisherOffer = { dtlsParameters, media: [] };
  for (const media of session.media) {
    const mid = String(media.mid);
    const kind = media.type;
    if (kind !== 'audio' && kind !== 'video' && kind !== 'application') {
      throw badSdp(`m-line ${mid} of the publisher offer has media type ${kind}`);
    }
    const direction = media.direction ?? 'sendrecv';
    const offered: OfferedMedia = { mid, kind, direction, ...readMsid(media) };
    if (kind === 'application') {
      const port = media.sctpPort ?? media.sctpmap?.sctpmapNumber;
      if (port === undefined || !Number.isInteger(Number(port))) {
        throw badSdp(`m=application ${mid} of the publisher offer has no a=sctp-port`);
      }
      result.sctp ??= {
        port: Number(port),
        maxMessageSize: Number(
          media.maxMessageSize ?? media.sctpmap?.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
        ),
      };
    } else if (media.port !== 0 && (direction === 'sendonly' || direction === 'sendrecv')) {
      offered.rtpParameters = sendingParameters(media, kind, mid, routerCapabilities);
    }
    result.media.push(offered);
  }
  return result;
}

function sendingParameters(
  media: MediaObject,
  kind: 'audio' | 'video',
  mid: string,
  capabilities: types.RtpCapabilities,
): types.RtpParameters | undefined {
  const encodings = readEncodings(media, mid);
  if (!encodings) return undefined;
  const codecs = negotiateCodecs(readSdpCodecs(media, kind), capabilities, kind, {
    simulcast: encodings.length > 1,
  });
  if (codecs.length === 0) return undefined;
  // A repair ssrc means nothing to the router without an RTX codec to read it with.
  if (codecs.length === 1) for (const encoding of encodings) delete encoding.rtx;
  const headerExtensions = negotiateHeaderExtensions(media, capabilities, kind);
  codecs[0].rtcpFeedback = oneCongestionFeedback(codecs[0].rtcpFeedback ?? [], headerExtensions);
  // libwebrtc's simulcast VP8 and H.264 streams carry three temporal layers; without saying so mediasoup
  // assumes one and a simulcast consumer would forward only the base temporal layer.
  const mimeType = codecs[0].mimeType.toLowerCase();
  if (encodings.length > 1 && (mimeType === 'video/vp8' || mimeType === 'video/h264')) {
    for (const encoding of encodings) encoding.scalabilityMode = 'L1T3';
  }
  const cname = media.ssrcs?.find((line) => line.attribute === 'cname')?.value;
  return {
    mid,
    codecs,
    headerExtensions,
    encodings,
    rtcp: { ...(cname ? { cname } : {}), reducedSize: media.rtcpRsize === 'rtcp-rsize' },
  };
}

/** The encodings the client sends, low to high as mediasoup expects them (LiveKit offers q, h, f in that order). */
function readEncodings(media: MediaObject, mid: string): types.RtpEncodingParameters[] | undefined {
  const sendRids = (media.rids ?? []).filter((rid) => rid.direction === 'send').map((rid) => String(rid.id));
  const simulcast = media.simulcast;
  const sendList =
    simulcast?.dir1 === 'send' ? simulcast.list1 : simulcast?.dir2 === 'send' ? simulcast.list2 : undefined;
  if (sendList) {
    // Each ';' entry is one stream; ',' separates alternatives of which the first is the preferred one.
    const rids = parseSimulcastStreamList(sendList).map((alternatives) =>
      String(alternatives[0]?.scid ?? ''),
    );
    for (const rid of rids) {
      if (!sendRids.includes(rid))
        throw badSdp(`m-line ${mid}: a=simulcast names rid ${rid} without a=rid send`);
    }
    return rids.map((rid) => ({ rid }));
  }
  if (sendRids.length > 0) return sendRids.map((rid) => ({ rid }));

  const groups = media.ssrcGroups ?? [];
  const ssrcsOf = (semantics: string) =>
    groups
      .filter((group) => group.semantics === semantics)
      .map((group) => group.ssrcs.split(' ').filter(Boolean).map(Number));
  const rtxOf = new Map<number, number>();
  for (const [primary, rtx] of ssrcsOf('FID')) if (primary && rtx) rtxOf.set(primary, rtx);
  const withItsRtx = (ssrc: number): types.RtpEncodingParameters => {
    const rtx = rtxOf.get(ssrc);
    return rtx ? { ssrc, rtx: { ssrc: rtx } } : { ssrc };
  };
  const sim = ssrcsOf('SIM')[0];
  if (sim && sim.length > 0) return sim.map(withItsRtx);

  const repair = new Set(rtxOf.values());
  const primary = (media.ssrcs ?? []).map((line) => Number(line.id)).find((ssrc) => !repair.has(ssrc));
  if (primary === undefined) return undefined;
  if (!Number.isInteger(primary) || primary <= 0 || primary > 0xffffffff) {
    throw badSdp(`m-line ${mid} has a malformed a=ssrc`);
  }
  return [withItsRtx(primary)];
}
