/**
 * The client's answer on the subscriber PeerConnection.
 *
 *   parseSubscriberAnswer(sdp): { dtlsParameters, rejectedMids }
 *
 * Connect the subscriber transport with dtlsParameters after the first answer (later answers carry the same
 * fingerprint), then resume the consumers of every offered mid not in rejectedMids. A rejected m-line (port 0)
 * is one the client refused: its consumer will never be received.
 */
import type { types } from 'mediasoup';
import { parseSdp } from './sdp-text.js';
import { readRemoteDtls } from './transport-lines.js';

export interface SubscriberAnswer {
  /** The client's DTLS role from its a=setup: active -> 'client', passive -> 'server'. */
  dtlsParameters: types.DtlsParameters;
  rejectedMids: string[];
}

export function parseSubscriberAnswer(sdp: string): SubscriberAnswer {
  const session = parseSdp(sdp, 'subscriber answer');
  // An answer must pick a side; actpass is an offerer's word (RFC 5763).
  const dtlsParameters = readRemoteDtls(session, 'subscriber answer', {
    active: 'client',
    passive: 'server',
  });
  const rejectedMids = session.media.filter((media) => media.port === 0).map((media) => String(media.mid));
  return { dtlsParameters, rejectedMids };
}
