import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { projectRoot } from '../helpers/paths.js';

/**
 * A LiveKit app as its developers write one: livekit-client's own build in a page of its own origin (not a
 * node's), driven by playwright. The page keeps what a test reads in `window.app`.
 */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>livekit-client app</title></head>
<body><div id="media"></div>
<script src="/livekit-client.umd.js"></script>
<script>
const { Room, RoomEvent, Track } = LivekitClient;
const app = (window.app = { events: [], data: [], error: null, room: null, remoteVideo: {} });
const log = (line) => app.events.push(line);
app.connect = async (url, token, options = {}) => {
  const room = new Room({ adaptiveStream: false, dynacast: false, ...options });
  app.room = room;
  room
    .on(RoomEvent.ParticipantConnected, (p) => log('joined ' + p.identity))
    .on(RoomEvent.ParticipantDisconnected, (p) => log('left ' + p.identity))
    .on(RoomEvent.TrackSubscribed, (track, pub, p) => {
      log('subscribed ' + p.identity + ' ' + track.kind);
      const element = track.attach();
      element.id = 'media-' + p.identity + '-' + track.kind;
      element.muted = true;
      document.getElementById('media').appendChild(element);
    })
    .on(RoomEvent.TrackUnsubscribed, (track, pub, p) => log('unsubscribed ' + p.identity + ' ' + track.kind))
    .on(RoomEvent.TrackMuted, (pub, p) => log('muted ' + p.identity + ' ' + pub.kind))
    .on(RoomEvent.TrackUnmuted, (pub, p) => log('unmuted ' + p.identity + ' ' + pub.kind))
    .on(RoomEvent.ActiveSpeakersChanged, (speakers) => log('speakers ' + speakers.map((s) => s.identity).sort().join(',')))
    .on(RoomEvent.DataReceived, (payload, p, kind, topic) =>
      app.data.push({ from: p ? p.identity : null, text: new TextDecoder().decode(payload), kind, topic }))
    .on(RoomEvent.Disconnected, (reason) => log('disconnected ' + reason));
  await room.connect(url, token);
  log('connected ' + room.name);
};
// Chromium's fake microphone is all but silent (about -120 dBov between short beeps): the microphone published
// here is a steady tone, so that the room hears a speaker.
const tone = () => {
  const context = new AudioContext();
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  gain.gain.value = 0.3;
  const sink = context.createMediaStreamDestination();
  oscillator.connect(gain).connect(sink);
  oscillator.start();
  return sink.stream.getAudioTracks()[0];
};
app.publish = async () => {
  await app.room.localParticipant.setCameraEnabled(true);
  await app.room.localParticipant.publishTrack(tone(), { source: Track.Source.Microphone, name: 'tone' });
  log('published');
};
app.send = async (text, options = {}) => {
  await app.room.localParticipant.publishData(new TextEncoder().encode(text), options);
};
app.mute = async (kind, muted) => {
  const pub = [...app.room.localParticipant.trackPublications.values()].find((p) => p.kind === kind);
  if (muted) await pub.mute(); else await pub.unmute();
};
const remotePub = (identity, kind) =>
  [...app.room.remoteParticipants.get(identity).trackPublications.values()].find((p) => p.kind === kind);
app.subscribe = (identity, kind, on) => remotePub(identity, kind).setSubscribed(on);
app.enable = (identity, kind, on) => remotePub(identity, kind).setEnabled(on);
app.unpublish = async (kind) => {
  const pub = [...app.room.localParticipant.trackPublications.values()].find((p) => p.kind === kind);
  await app.room.localParticipant.unpublishTrack(pub.track);
};
app.remote = () =>
  [...app.room.remoteParticipants.values()].map((p) => ({
    identity: p.identity,
    tracks: [...p.trackPublications.values()].map((t) => ({ kind: t.kind, subscribed: t.isSubscribed, muted: t.isMuted, sid: t.trackSid })),
  }));
/** Inbound RTP of one remote participant's tracks: frames decoded (video), packets received (audio). */
app.inbound = async (identity) => {
  const p = app.room.remoteParticipants.get(identity);
  const out = { video: 0, audio: 0, width: 0 };
  if (!p) return out;
  for (const pub of p.trackPublications.values()) {
    const track = pub.track;
    if (!track || !track.receiver) continue;
    const report = await track.receiver.getStats();
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') { out.video = Math.max(out.video, s.framesDecoded || 0); out.width = s.frameWidth || out.width; }
      if (s.kind === 'audio') out.audio = Math.max(out.audio, s.packetsReceived || 0);
    });
  }
  return out;
};
/** The node this client's session runs on (JoinResponse's server info) and the ports its media comes from. */
app.where = () => {
  const ports = [];
  for (const p of app.room.remoteParticipants.values())
    for (const pub of p.trackPublications.values()) {
      const pair = pub.track && pub.track.receiver && pub.track.receiver.transport
        ? pub.track.receiver.transport.iceTransport.getSelectedCandidatePair() : null;
      if (pair) ports.push(pair.remote.port);
    }
  return { node: app.room.serverInfo ? app.room.serverInfo.nodeId : null, ports };
};
app.leave = async () => { await app.room.disconnect(); };
</script></body></html>`;

/** Serves the app page and livekit-client's UMD build on 127.0.0.1 (a secure context for getUserMedia). */
export async function serveApp(): Promise<{ url: string; close(): Promise<void> }> {
  const bundle = readFileSync(
    join(projectRoot, 'node_modules', 'livekit-client', 'dist', 'livekit-client.umd.js'),
  );
  const server: Server = createServer((req, res) => {
    if (req.url === '/livekit-client.umd.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Inbound {
  video: number;
  audio: number;
  width: number;
}

export interface AppApi {
  events: string[];
  data: { from: string | null; text: string; kind: number; topic?: string }[];
  /** `options` go to `new Room()` (livekit-client's RoomOptions). */
  connect(url: string, token: string, options?: Record<string, unknown>): Promise<void>;
  publish(): Promise<void>;
  send(
    text: string,
    options?: { reliable?: boolean; destinationIdentities?: string[]; topic?: string },
  ): Promise<void>;
  mute(kind: string, muted: boolean): Promise<void>;
  /** Subscribes to (or drops) a remote participant's track of `kind` (LiveKit's UpdateSubscription). */
  subscribe(identity: string, kind: string, on: boolean): void;
  /** Enables or disables a subscribed track (LiveKit's UpdateTrackSettings). */
  enable(identity: string, kind: string, on: boolean): void;
  unpublish(kind: string): Promise<void>;
  remote(): {
    identity: string;
    tracks: { kind: string; subscribed: boolean; muted: boolean; sid: string }[];
  }[];
  inbound(identity: string): Promise<Inbound>;
  where(): { node: string | null; ports: number[] };
  leave(): Promise<void>;
}

declare global {
  // The app page's global, read inside page.evaluate() callbacks (which run in the browser).
  var app: AppApi;
}

export interface AppPage {
  page: Page;
  log: string[];
}

/** Opens the app in a new page; its console lines go into `log` for failure messages. */
export async function openApp(browser: Browser, appUrl: string): Promise<AppPage> {
  const page = await browser.newPage();
  const log: string[] = [];
  page.on('console', (message) => log.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (err) => log.push(`pageerror: ${err.message}`));
  await page.goto(appUrl);
  return { page, log };
}
