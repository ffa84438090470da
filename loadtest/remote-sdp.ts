/**
 * The node's side of a bot's PeerConnection as SDP. Our signalling speaks mediasoup's parameters (ICE, DTLS,
 * candidates, RTP parameters), not SDP; libdatachannel wants SDP, so the bot writes the description a browser's
 * mediasoup-client would: ICE-lite, the node's candidates, the node as DTLS client (it starts the handshake once
 * `connectWebRtcTransport` told it the bot's fingerprint, so no handshake races the signalling).
 */

/** What createWebRtcTransport answers, as far as SDP needs it. */
export interface TransportParameters {
  id: string;
  iceParameters: { usernameFragment: string; password: string };
  iceCandidates: {
    foundation: string;
    priority: number;
    address?: string;
    ip?: string;
    protocol: string;
    port: number;
    type: string;
  }[];
  dtlsParameters: { fingerprints: { algorithm: string; value: string }[] };
}

/** mediasoup's RtpParameters, the fields SDP carries. */
export interface MediaRtpParameters {
  mid?: string;
  codecs: {
    mimeType: string;
    payloadType: number;
    clockRate: number;
    channels?: number;
    parameters?: Record<string, unknown>;
    rtcpFeedback?: { type: string; parameter?: string }[];
  }[];
  headerExtensions?: { uri: string; id: number }[];
  encodings?: { ssrc?: number }[];
  rtcp?: { cname?: string };
}

/** One m-line of the node's description. */
export interface RemoteMedia {
  mid: string;
  kind: 'audio' | 'video';
  /** What the node does on it: receive (the bot's offer to publish) or send (a consumer). */
  direction: 'recvonly' | 'sendonly';
  rtp: MediaRtpParameters;
}

function mediaLines(transport: TransportParameters, media: RemoteMedia): string[] {
  const types = media.rtp.codecs.map((codec) => codec.payloadType).join(' ');
  const lines = [
    `m=${media.kind} 7 UDP/TLS/RTP/SAVPF ${types}`,
    'c=IN IP4 127.0.0.1',
    `a=mid:${media.mid}`,
    `a=${media.direction}`,
    `a=ice-ufrag:${transport.iceParameters.usernameFragment}`,
    `a=ice-pwd:${transport.iceParameters.password}`,
    'a=setup:active',
    'a=rtcp-mux',
    'a=rtcp-rsize',
  ];
  for (const codec of media.rtp.codecs) {
    const channels = codec.channels && codec.channels > 1 ? `/${codec.channels}` : '';
    lines.push(`a=rtpmap:${codec.payloadType} ${codec.mimeType.split('/')[1]}/${codec.clockRate}${channels}`);
    for (const fb of codec.rtcpFeedback ?? [])
      lines.push(`a=rtcp-fb:${codec.payloadType} ${fb.type}${fb.parameter ? ` ${fb.parameter}` : ''}`);
    const fmtp = Object.entries(codec.parameters ?? {}).map(([key, value]) => `${key}=${value}`);
    if (fmtp.length > 0) lines.push(`a=fmtp:${codec.payloadType} ${fmtp.join(';')}`);
  }
  for (const ext of media.rtp.headerExtensions ?? []) lines.push(`a=extmap:${ext.id} ${ext.uri}`);
  if (media.direction === 'sendonly') {
    const cname = media.rtp.rtcp?.cname ?? 'node';
    for (const { ssrc } of media.rtp.encodings ?? []) {
      if (ssrc === undefined) continue;
      lines.push(`a=ssrc:${ssrc} cname:${cname}`, `a=ssrc:${ssrc} msid:node-${media.mid} track-${media.mid}`);
    }
  }
  for (const candidate of transport.iceCandidates) {
    if (candidate.protocol !== 'udp') continue;
    const address = candidate.address ?? candidate.ip;
    lines.push(
      `a=candidate:${candidate.foundation} 1 udp ${candidate.priority} ${address} ${candidate.port} typ ${candidate.type}`,
    );
  }
  lines.push('a=end-of-candidates');
  return lines;
}

/** The node's description of `transport` with these m-lines, in order; an offer or an answer alike. */
export function remoteDescription(
  transport: TransportParameters,
  media: RemoteMedia[],
  version: number,
): string {
  const fingerprint =
    transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ??
    transport.dtlsParameters.fingerprints[0]!;
  const lines = [
    'v=0',
    `o=- ${transport.id.replace(/\D/g, '').slice(0, 12) || '1'} ${version} IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=group:BUNDLE ${media.map((m) => m.mid).join(' ')}`,
    'a=msid-semantic: WMS *',
    `a=fingerprint:${fingerprint.algorithm} ${fingerprint.value}`,
    ...media.flatMap((m) => mediaLines(transport, m)),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** The sha-256 fingerprint in a description the bot's PeerConnection wrote. */
export function localFingerprint(sdp: string): { algorithm: string; value: string } {
  const match = /a=fingerprint:(\S+) (\S+)/.exec(sdp);
  if (!match) throw new Error('the local description has no DTLS fingerprint');
  return { algorithm: match[1]!.toLowerCase(), value: match[2]! };
}
