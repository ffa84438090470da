/**
 * Codec and header-extension matching against a mediasoup router, in SDP's terms (rtpmap/fmtp/rtcp-fb/extmap).
 * The rules are the ones `transport.produce()` applies (mediasoup's ortc matchCodecs, strict), so whatever is
 * negotiated here is accepted there: same mime type, clock rate and channels, and for H.264 the same
 * packetization-mode and profile, for VP9 the same profile-id.
 */
import type { types } from 'mediasoup';
import type { MediaObject } from './sdp-text.js';

export type CodecParameters = Record<string, string | number>;

/**
 * fmtp config -> parameters. All-digit values become numbers because mediasoup compares packetization-mode and
 * profile-id with ===; profile-level-id is hex and stays a string even when its digits look decimal (640032).
 */
export function parseFmtp(config: string | undefined): CodecParameters {
  const parameters: CodecParameters = {};
  for (const part of (config ?? '').split(';')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!key) continue;
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    parameters[key] = /^\d{1,15}$/.test(value) && key !== 'profile-level-id' ? Number(value) : value;
  }
  return parameters;
}

export function writeFmtp(parameters: Record<string, unknown> | undefined): string {
  return Object.entries(parameters ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => (value === '' ? key : `${key}=${value}`))
    .join(';');
}

/** 'video/VP8' -> 'VP8', the rtpmap encoding name. */
export function codecName(mimeType: string): string {
  return mimeType.slice(mimeType.indexOf('/') + 1);
}

export function isRtx(mimeType: string): boolean {
  return mimeType.toLowerCase().endsWith('/rtx');
}

/** One offered payload type with everything SDP says of it. */
export interface SdpCodec {
  payloadType: number;
  mimeType: string;
  clockRate: number;
  channels?: number;
  parameters: CodecParameters;
  rtcpFeedback: types.RtcpFeedback[];
}

/** The payload types of an m-line in m= order, each with its rtpmap, fmtp and rtcp-fb (wildcard '*' included). */
export function readSdpCodecs(media: MediaObject, kind: 'audio' | 'video'): SdpCodec[] {
  const order = String(media.payloads ?? '')
    .split(' ')
    .filter(Boolean)
    .map(Number);
  const codecs: SdpCodec[] = [];
  for (const payloadType of order) {
    const rtp = media.rtp.find((line) => line.payload === payloadType);
    // Static payload types (0 PCMU, 8 PCMA...) may come without rtpmap; none of them is a codec mediasoup routes.
    if (!rtp) continue;
    const fmtp = media.fmtp.find((line) => line.payload === payloadType);
    const rtcpFeedback = (media.rtcpFb ?? [])
      .filter((line) => line.payload === '*' || Number(line.payload) === payloadType)
      .map((line) => (line.subtype ? { type: line.type, parameter: line.subtype } : { type: line.type }));
    codecs.push({
      payloadType,
      mimeType: `${kind}/${rtp.codec}`,
      clockRate: Number(rtp.rate),
      // mediasoup counts an audio codec without a channel count as mono, and a video codec as having none.
      channels: kind === 'audio' ? Number(rtp.encoding ?? 1) : undefined,
      parameters: parseFmtp(fmtp?.config),
      rtcpFeedback,
    });
  }
  return codecs;
}

type H264Profile = 'cb' | 'b' | 'm' | 'h' | 'ch' | 'ph444';

/** RFC 6184 / libwebrtc: profile_idc and the profile_iop bit pattern that together name an H.264 profile. */
const H264_PROFILES: [idc: number, iop: string, profile: H264Profile][] = [
  [0x42, 'x1xx0000', 'cb'],
  [0x4d, '1xxx0000', 'cb'],
  [0x58, '11xx0000', 'cb'],
  [0x42, 'x0xx0000', 'b'],
  [0x58, '10xx0000', 'b'],
  [0x4d, '0x0x0000', 'm'],
  [0x64, '00000000', 'h'],
  [0x64, '00001100', 'ch'],
  [0xf4, '00000000', 'ph444'],
];

function h264Profile(parameters: CodecParameters): H264Profile | undefined {
  // Absent means constrained baseline (libwebrtc and mediasoup's default, 42e01f).
  const id = String(parameters['profile-level-id'] ?? '42e01f');
  if (!/^[0-9a-fA-F]{6}$/.test(id)) return undefined;
  const idc = Number.parseInt(id.slice(0, 2), 16);
  const iop = Number.parseInt(id.slice(2, 4), 16);
  for (const [profileIdc, pattern, profile] of H264_PROFILES) {
    if (profileIdc !== idc) continue;
    const fits = [...pattern].every(
      (bit, index) => bit === 'x' || Number(bit) === ((iop >> (7 - index)) & 1),
    );
    if (fits) return profile;
  }
  return undefined;
}

/** True when mediasoup's strict matching would take `offered` for the router codec `capability`. */
export function codecMatches(offered: SdpCodec, capability: types.RtpCodecCapability): boolean {
  const mimeType = offered.mimeType.toLowerCase();
  if (mimeType !== capability.mimeType.toLowerCase()) return false;
  if (offered.clockRate !== capability.clockRate) return false;
  const capChannels = capability.kind === 'audio' ? (capability.channels ?? 1) : undefined;
  if (offered.channels !== capChannels) return false;
  const capParameters = (capability.parameters ?? {}) as CodecParameters;
  switch (mimeType) {
    case 'video/h264': {
      const mode = offered.parameters['packetization-mode'] ?? 0;
      if (mode !== 1 || mode !== (capParameters['packetization-mode'] ?? 0)) return false;
      const profile = h264Profile(offered.parameters);
      return profile !== undefined && profile === h264Profile(capParameters);
    }
    case 'video/vp9':
      return (offered.parameters['profile-id'] ?? 0) === (capParameters['profile-id'] ?? 0);
    case 'audio/multiopus':
      return (
        offered.parameters['num_streams'] === capParameters['num_streams'] &&
        offered.parameters['coupled_streams'] === capParameters['coupled_streams']
      );
    default:
      return true;
  }
}

function sameFeedback(a: types.RtcpFeedback, b: types.RtcpFeedback): boolean {
  return a.type === b.type && (a.parameter ?? '') === (b.parameter ?? '');
}

/**
 * What the offer and the router share for one m-line: the first offered codec the router has (offer order is
 * the client's preference, and the client sends the first codec of the answer), with its RTX when both have
 * RTX. One codec, as mediasoup-client negotiates: a producer must not list a payload type the sender never
 * uses, or consumers would be offered it. With several encodings only the codecs mediasoup forwards as
 * simulcast qualify (its SimulcastConsumer takes VP8 and H.264; VP9 or AV1 simulcast fails to consume).
 */
export function negotiateCodecs(
  offered: SdpCodec[],
  capabilities: types.RtpCapabilities,
  kind: 'audio' | 'video',
  { simulcast }: { simulcast: boolean },
): types.RtpCodecParameters[] {
  const caps = (capabilities.codecs ?? []).filter((cap) => cap.kind === kind);
  for (const codec of offered) {
    if (isRtx(codec.mimeType)) continue;
    if (simulcast && !SIMULCAST_CODECS.has(codec.mimeType.toLowerCase())) continue;
    const cap = caps.find((candidate) => !isRtx(candidate.mimeType) && codecMatches(codec, candidate));
    if (!cap) continue;
    const media: types.RtpCodecParameters = {
      mimeType: codec.mimeType,
      payloadType: codec.payloadType,
      clockRate: codec.clockRate,
      ...(codec.channels !== undefined && kind === 'audio' ? { channels: codec.channels } : {}),
      parameters: { ...codec.parameters, ...googleParameters(cap) },
      rtcpFeedback: codec.rtcpFeedback.filter((fb) =>
        (cap.rtcpFeedback ?? []).some((capFb) => sameFeedback(fb, capFb)),
      ),
    };
    const result = [media];
    const routerHasRtx = caps.some((candidate) => isRtx(candidate.mimeType));
    const rtx = offered.find(
      (other) => isRtx(other.mimeType) && other.parameters['apt'] === codec.payloadType,
    );
    if (routerHasRtx && rtx) {
      result.push({
        mimeType: rtx.mimeType,
        payloadType: rtx.payloadType,
        clockRate: rtx.clockRate,
        parameters: { apt: codec.payloadType },
        rtcpFeedback: [],
      });
    }
    return result;
  }
  return [];
}

/** The offered a=extmap lines the router receives (its direction sendrecv or recvonly), with the offer's ids. */
export function negotiateHeaderExtensions(
  media: MediaObject,
  capabilities: types.RtpCapabilities,
  kind: 'audio' | 'video',
): types.RtpHeaderExtensionParameters[] {
  const caps = (capabilities.headerExtensions ?? []).filter(
    (cap) => cap.kind === kind && (cap.direction === 'sendrecv' || cap.direction === 'recvonly'),
  );
  return (media.ext ?? [])
    .filter((ext) => caps.some((cap) => cap.uri === ext.uri))
    .map((ext) => ({ uri: ext.uri as types.RtpHeaderExtensionUri, id: Number(ext.value) }));
}

/**
 * The router's x-google-* codec parameters (MEDIA_CODECS sets x-google-start-bitrate): in the answer they tell
 * libwebrtc where to start its bandwidth estimate, so the higher simulcast layers come seconds sooner.
 */
function googleParameters(cap: types.RtpCodecCapability): CodecParameters {
  return Object.fromEntries(
    Object.entries(cap.parameters ?? {}).filter(([key]) => key.startsWith('x-google-')),
  ) as CodecParameters;
}

const SIMULCAST_CODECS = new Set(['video/vp8', 'video/h264']);

export const TRANSPORT_CC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/**
 * One congestion-control feedback per codec: transport-cc when its header extension is negotiated, else REMB.
 * libwebrtc warns of inconsistent congestion control feedback when both are offered.
 */
export function oneCongestionFeedback(
  feedback: types.RtcpFeedback[],
  headerExtensions: types.RtpHeaderExtensionParameters[],
): types.RtcpFeedback[] {
  const transportCc =
    headerExtensions.some((ext) => ext.uri === TRANSPORT_CC_URI) &&
    feedback.some((fb) => fb.type === 'transport-cc');
  return feedback.filter((fb) => (transportCc ? fb.type !== 'goog-remb' : fb.type !== 'transport-cc'));
}

/** rtpmap, fmtp and rtcp-fb lines (and the m= payload list) of `codecs`, in their order. */
export function writeCodecs(media: MediaObject, codecs: types.RtpCodecParameters[]): void {
  media.payloads = codecs.map((codec) => codec.payloadType).join(' ');
  media.rtp = codecs.map((codec) => ({
    payload: codec.payloadType,
    codec: codecName(codec.mimeType),
    rate: codec.clockRate,
    ...(codec.channels && codec.channels > 1 ? { encoding: codec.channels } : {}),
  }));
  media.fmtp = codecs
    .map((codec) => ({ payload: codec.payloadType, config: writeFmtp(codec.parameters) }))
    .filter((fmtp) => fmtp.config !== '');
  media.rtcpFb = codecs.flatMap((codec) =>
    (codec.rtcpFeedback ?? []).map((fb) => ({
      payload: codec.payloadType,
      type: fb.type,
      ...(fb.parameter ? { subtype: fb.parameter } : {}),
    })),
  );
}
