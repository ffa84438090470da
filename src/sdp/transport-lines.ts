/**
 * The ICE and DTLS lines the server writes into every m-line it sends (answer or offer), and the DTLS
 * parameters it reads from the client's SDP. Every m-line repeats them: all are BUNDLEd onto the one mediasoup
 * WebRtcTransport of the PeerConnection, and writing them everywhere keeps any m-line usable as the BUNDLE tag.
 */
import type { types } from 'mediasoup';
import type { SessionDescription } from 'sdp-transform';
import { badSdp, type MediaObject } from './sdp-text.js';

/** What the SDP needs of a mediasoup WebRtcTransport: pass the transport's own properties. */
export interface TransportSdpParams {
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
  /** Required when the SDP carries m=application: create the transport with enableSctp: true. */
  sctpParameters?: types.SctpParameters;
}

const ALGORITHMS: readonly types.FingerprintAlgorithm[] = [
  'sha-1',
  'sha-224',
  'sha-256',
  'sha-384',
  'sha-512',
];

/** sha-256 when the transport has it: every browser checks it, and one fingerprint line is all SDP carries here. */
function chosenFingerprint(dtls: types.DtlsParameters): types.DtlsFingerprint {
  const fingerprint =
    dtls.fingerprints.find((candidate) => candidate.algorithm === 'sha-256') ??
    dtls.fingerprints[dtls.fingerprints.length - 1];
  if (!fingerprint) throw badSdp('the transport has no DTLS fingerprint');
  return fingerprint;
}

/** ice-ufrag/pwd, candidates, end-of-candidates, fingerprint and a=setup into `media`. */
export function writeTransportLines(
  media: MediaObject,
  transport: TransportSdpParams,
  setup: 'passive' | 'actpass',
): void {
  media.iceUfrag = transport.iceParameters.usernameFragment;
  media.icePwd = transport.iceParameters.password;
  media.candidates = transport.iceCandidates.map((candidate) => ({
    foundation: candidate.foundation,
    // mediasoup requires rtcp-mux: every candidate is component 1 (RTP).
    component: 1,
    transport: candidate.protocol,
    priority: candidate.priority,
    ip: candidate.address ?? candidate.ip,
    port: candidate.port,
    type: candidate.type,
    ...(candidate.tcpType ? { tcptype: candidate.tcpType } : {}),
  }));
  // ICE-lite with every candidate given: the client need not wait for trickle.
  media.endOfCandidates = 'end-of-candidates';
  const fingerprint = chosenFingerprint(transport.dtlsParameters);
  media.fingerprint = { type: fingerprint.algorithm, hash: fingerprint.value };
  media.setup = setup;
}

/**
 * A stable numeric o= session id for the server's side of one transport: the same for every answer on it, as
 * RFC 3264 wants of a session, without the caller keeping one.
 */
export function sessionIdOf(transport: TransportSdpParams): string {
  const text = chosenFingerprint(transport.dtlsParameters).value;
  let hash = 0n;
  for (const char of text) hash = (hash * 31n + BigInt(char.charCodeAt(0))) % 9_007_199_254_740_881n;
  return String(hash + 1n);
}

/** The session-level lines of every SDP the server writes: ICE-lite, one BUNDLE group, msid semantics. */
export function sessionSkeleton(
  sessionId: string,
  version: number,
  mids: string[],
): Omit<SessionDescription, 'media'> {
  return {
    version: 0,
    origin: {
      username: '-',
      sessionId,
      sessionVersion: version,
      netType: 'IN',
      ipVer: 4,
      address: '127.0.0.1',
    },
    name: '-',
    timing: { start: 0, stop: 0 },
    icelite: 'ice-lite',
    groups: [{ type: 'BUNDLE', mids: mids.join(' ') }],
    msidSemantic: { semantic: 'WMS', token: '*' },
  };
}

/**
 * The remote DTLS parameters of the client's SDP: its fingerprint, and its role from a=setup as mediasoup's
 * transport.connect() wants it (the client's role, not ours). `allowed` maps the setup values this kind of
 * description may carry to that role; anything else is refused.
 */
export function readRemoteDtls(
  session: SessionDescription,
  what: string,
  allowed: Partial<Record<string, types.DtlsRole>>,
): types.DtlsParameters {
  const carrier = session.media.find((media) => media.fingerprint) ?? session;
  const fingerprint = carrier.fingerprint;
  if (!fingerprint?.type || !fingerprint.hash) throw badSdp(`the ${what} has no a=fingerprint`);
  const algorithm = fingerprint.type.toLowerCase() as types.FingerprintAlgorithm;
  if (!ALGORITHMS.includes(algorithm)) {
    throw badSdp(`the ${what} has a fingerprint of unknown algorithm ${fingerprint.type}`);
  }
  if (!/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})+$/.test(fingerprint.hash)) {
    throw badSdp(`the ${what} has a malformed fingerprint ${fingerprint.hash}`);
  }
  const setup = session.media.find((media) => media.setup)?.setup ?? session.setup;
  if (!setup) throw badSdp(`the ${what} has no a=setup`);
  const role = allowed[setup];
  if (!role) {
    throw badSdp(`the ${what} says a=setup:${setup}; expected ${Object.keys(allowed).join(' or ')}`);
  }
  return { role, fingerprints: [{ algorithm, value: fingerprint.hash }] };
}
