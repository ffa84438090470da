import { randomBytes, X509Certificate } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
// werift-dtls 0.5.8's package.json names a main file it does not ship; its modules are under lib/dtls/src.
import werift from 'werift-dtls/lib/dtls/src/index.js';
import type { SignalClient } from './signal-client.js';
import { AUTH_TAG_BYTES, protectRtp, type SrtpKeys, srtpKeys, unprotectRtcp } from './srtp.js';
import { bindingRequest, bindingSuccess } from './stun.js';

/** What createWebRtcTransport answers, as far as a bot needs it. */
export interface TransportParameters {
  id: string;
  /** bench/media's floor without SRTP answers with a PlainTransport: plain RTP over UDP, no ICE, DTLS or SRTP. */
  plain?: boolean;
  iceParameters: { usernameFragment: string; password: string };
  iceCandidates: { address?: string; ip?: string; protocol: string; port: number }[];
}

/** The DTLS certificate of a process's bots: one ECDSA P-256 key pair, made once, as a browser makes one. */
export interface BotCertificate {
  certPem: string;
  keyPem: string;
  fingerprint: { algorithm: string; value: string };
}

const { CipherContext, DtlsClient } = werift;

let certificate: Promise<BotCertificate> | undefined;

/** The process's certificate, made on first use. */
export function botCertificate(): Promise<BotCertificate> {
  certificate ??= CipherContext.createSelfSignedCertificateWithKey({ hash: 4, signature: 3 }, 23).then(
    ({ certPem, keyPem }: { certPem: string; keyPem: string }) => ({
      certPem,
      keyPem,
      fingerprint: { algorithm: 'sha-256', value: new X509Certificate(certPem).fingerprint256 },
    }),
  );
  return certificate;
}

/** SRTP_AES128_CM_HMAC_SHA1_80 (RFC 5764 4.1.2). */
const SRTP_PROFILE = 1;
const ICE_RETRY_MS = 50;
const CONSENT_MS = 5000;
const CONNECT_TIMEOUT_MS = 20_000;
/** RTCP RR with no report block (RFC 3550 6.4.2), SSRC 1. */
const EMPTY_RECEIVER_REPORT = Buffer.from([0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 1]);

/**
 * A bot's WebRTC connection to one of the node's WebRtcTransports: ICE (the bot nominates the node's UDP candidate),
 * DTLS 1.2 with the bot as client (werift's implementation, for the handshake only), then SRTP on the same UDP
 * socket, protected and checked with node:crypto. No SDP: our signalling speaks mediasoup's parameters. Packets
 * arrive as they came off the socket, RTP still encrypted (its header is clear); RTCP decrypted.
 */
export class RtcLink {
  private readonly socket: Socket;
  private readonly remote: { address: string; port: number };
  private readonly ufrag = randomBytes(6).toString('hex');
  private readonly tieBreaker = randomBytes(8);
  private consent?: NodeJS.Timeout;
  private iceDone?: () => void;
  /** Hands a DTLS record to werift's client (it reads its transport's onData). */
  private dtlsInput: (packet: Buffer) => void = () => {};
  /** Per sending SSRC: the last sequence number and how often it wrapped (SRTP's rollover counter). */
  private readonly rollover = new Map<number, { seq: number; roc: number }>();
  private sendKeys?: SrtpKeys;
  /** The keys of what the node sends: a subscriber checks tags with them. */
  receiveKeys?: SrtpKeys;
  /** Each SRTP packet from the node (RTP, header in the clear, tag at the end). */
  onRtp: (packet: Buffer) => void = () => {};
  /** Each RTCP packet from the node, decrypted. */
  onRtcp: (packet: Buffer) => void = () => {};
  closed = false;

  private constructor(private readonly transport: TransportParameters) {
    const candidate = transport.iceCandidates.find((c) => c.protocol === 'udp');
    if (!candidate) throw new Error(`transport ${transport.id} has no UDP candidate`);
    this.remote = { address: (candidate.address ?? candidate.ip)!, port: candidate.port };
    this.socket = createSocket('udp4');
    this.socket.on('message', (packet) => this.received(packet));
    this.socket.on('error', () => this.close());
  }

  /** Connects to the transport: tells the node the bot's fingerprint, then ICE, DTLS and the SRTP keys. */
  static async connect(transport: TransportParameters, signal: SignalClient): Promise<RtcLink> {
    const cert = await botCertificate();
    const link = new RtcLink(transport);
    try {
      await new Promise<void>((resolve) => link.socket.bind(0, resolve));
      // A connected socket sends without resolving an address and routing each packet (half the cost here).
      await new Promise<void>((resolve) =>
        link.socket.connect(link.remote.port, link.remote.address, resolve),
      );
      // The node learns it is the DTLS server and whose certificate to expect before any handshake starts.
      await signal.request('connectWebRtcTransport', {
        transportId: transport.id,
        dtlsParameters: { role: 'client', fingerprints: [cert.fingerprint] },
      });
      if (transport.plain) {
        // The PlainTransport learns the bot's address from its first packet (comedia): an empty receiver report.
        link.socket.send(EMPTY_RECEIVER_REPORT);
        return link;
      }
      await link.ice();
      await link.handshake(cert);
      return link;
    } catch (err) {
      link.close();
      throw err;
    }
  }

  private async ice(): Promise<void> {
    const done = new Promise<void>((resolve) => {
      this.iceDone = resolve;
    });
    const check = () => {
      const { packet } = bindingRequest(this.transport.iceParameters, this.ufrag, this.tieBreaker);
      this.socket.send(packet);
    };
    check();
    const retry = setInterval(check, ICE_RETRY_MS);
    try {
      await within(done, CONNECT_TIMEOUT_MS, 'ICE');
    } finally {
      clearInterval(retry);
    }
    // mediasoup drops a transport whose peer stops refreshing consent (its iceConsentTimeout, 30 s).
    this.consent = setInterval(check, CONSENT_MS);
  }

  private async handshake(cert: BotCertificate): Promise<void> {
    const socket = this.socket;
    const remote = this.remote;
    const shim = {
      type: 'udp',
      address: remote,
      closed: false,
      onData: (_data: Buffer, _from?: unknown) => {},
      send: async (data: Buffer) => {
        socket.send(data);
      },
      close: async () => {},
    };
    this.dtlsInput = (packet) => shim.onData(packet, remote);
    const dtls = new DtlsClient({
      transport: shim as never,
      srtpProfiles: [SRTP_PROFILE],
      cert: cert.certPem,
      key: cert.keyPem,
      signatureHash: { hash: 4, signature: 3 },
    });
    await within(dtls.connect(), CONNECT_TIMEOUT_MS, 'DTLS');
    const keys = dtls.extractSessionKeys(16, 14);
    this.sendKeys = srtpKeys(keys.localKey, keys.localSalt);
    this.receiveKeys = srtpKeys(keys.remoteKey, keys.remoteSalt);
  }

  private received(packet: Buffer): void {
    const first = packet[0]!;
    if (first >= 128 && first <= 191) {
      const type = packet[1]!;
      if (type >= 192 && type <= 223) {
        if (this.transport.plain) this.onRtcp(packet);
        else if (this.receiveKeys) {
          const clear = unprotectRtcp(this.receiveKeys, packet);
          if (clear) this.onRtcp(clear);
        }
      } else this.onRtp(packet);
    } else if (first <= 3) {
      if (bindingSuccess(packet)) this.iceDone?.();
    } else if (first >= 20 && first <= 63) {
      this.dtlsInput(packet);
    }
  }

  /** Sends an RTP packet (one stream's in sequence order), SRTP-protected. False: not connected. */
  sendRtp(packet: Buffer): boolean {
    if (this.closed) return false;
    if (this.transport.plain) {
      this.socket.send(packet);
      return true;
    }
    if (!this.sendKeys) return false;
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    let counter = this.rollover.get(ssrc);
    if (!counter) {
      counter = { seq, roc: 0 };
      this.rollover.set(ssrc, counter);
    } else if (seq < counter.seq && counter.seq - seq > 0x8000) counter.roc++;
    counter.seq = seq;
    this.socket.send(protectRtp(this.sendKeys, packet, counter.roc));
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.consent);
    try {
      this.socket.close();
    } catch {
      // Closed already (a socket error closed it).
    }
  }
}

/** The SRTP tag a packet carries past its RTP bytes. */
export const SRTP_OVERHEAD = AUTH_TAG_BYTES;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not complete within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer!));
}
