import nodeDataChannel from 'node-datachannel';
import {
  localFingerprint,
  type RemoteMedia,
  remoteDescription,
  type TransportParameters,
} from './remote-sdp.js';
import type { SignalClient } from './signal-client.js';

const { PeerConnection } = nodeDataChannel;
export type PeerConnection = InstanceType<typeof PeerConnection>;

/** A PeerConnection that reaches a node's WebRtcTransport over ICE, DTLS and SRTP. */
export function newPeerConnection(name: string): PeerConnection {
  return new PeerConnection(name, { iceServers: [], disableAutoNegotiation: true });
}

/** Resolves when the PeerConnection is connected (ICE and DTLS done), rejects when it fails or times out. */
export function connected(pc: PeerConnection, timeoutMs = 20_000): Promise<void> {
  if (pc.state() === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`ICE/DTLS did not connect within ${timeoutMs / 1000} s (state ${pc.state()})`)),
      timeoutMs,
    );
    pc.onStateChange((state) => {
      if (state === 'connected') {
        clearTimeout(timer);
        resolve();
      } else if (state === 'failed' || state === 'closed') {
        clearTimeout(timer);
        reject(new Error(`the PeerConnection ${state}`));
      }
    });
  });
}

/**
 * Sets the node's side of a transport as the remote description, telling the node the bot's fingerprint first
 * (once per transport) so that the node, the DTLS client, starts the handshake as soon as ICE is up.
 */
export async function negotiate(
  pc: PeerConnection,
  signal: SignalClient,
  transport: TransportParameters,
  media: RemoteMedia[],
  step: { version: number; connected: boolean },
): Promise<void> {
  step.version++;
  const sdp = remoteDescription(transport, media, step.version);
  if (pc.localDescription()?.type === 'offer') {
    if (!step.connected) await connect(pc, signal, transport);
    step.connected = true;
    pc.setRemoteDescription(sdp, 'answer');
    return;
  }
  pc.setRemoteDescription(sdp, 'offer');
  pc.setLocalDescription('answer');
  if (!step.connected) await connect(pc, signal, transport);
  step.connected = true;
}

async function connect(pc: PeerConnection, signal: SignalClient, transport: TransportParameters) {
  const local = pc.localDescription();
  if (!local) throw new Error('no local description to take the fingerprint from');
  await signal.request('connectWebRtcTransport', {
    transportId: transport.id,
    dtlsParameters: { role: 'server', fingerprints: [localFingerprint(local.sdp)] },
  });
}
