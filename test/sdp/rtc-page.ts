import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';

/**
 * A bare page with two RTCPeerConnections as LiveKit's client drives them: `pub` (the page offers) and `sub`
 * (the page answers). Written as page JavaScript because the tests compile without DOM types; the test calls
 * `window.rtc.<method>` through page.evaluate.
 */
const PAGE_SCRIPT = String.raw`
const rtc = {
  pub: new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' }),
  sub: new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' }),
  channels: [],
  subChannels: [],
  tracks: [],
  stream: undefined,
  async media(width, height) {
    rtc.stream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: 30 } },
    });
    return rtc.stream.getTracks().map((track) => track.id);
  },
  addData() {
    // LiveKit's order: _lossy then _reliable, so their SCTP stream ids are 0 and 2.
    rtc.channels.push(rtc.pub.createDataChannel('_lossy', { ordered: false, maxRetransmits: 0 }));
    rtc.channels.push(rtc.pub.createDataChannel('_reliable', { ordered: true }));
  },
  addVideo(layers) {
    const track = rtc.stream.getVideoTracks()[0];
    const init = { direction: 'sendonly', streams: [rtc.stream] };
    if (layers.length > 0) {
      init.sendEncodings = layers.map(([rid, scale]) => ({ rid, scaleResolutionDownBy: scale }));
    }
    return rtc.pub.addTransceiver(track, init).mid;
  },
  addAudio(red) {
    const transceiver = rtc.pub.addTransceiver(rtc.stream.getAudioTracks()[0], {
      direction: 'sendonly',
      streams: [rtc.stream],
    });
    if (red) {
      // As livekit-client does for RED: red first, then the rest.
      const codecs = RTCRtpSender.getCapabilities('audio').codecs;
      const first = codecs.filter((c) => c.mimeType.toLowerCase() === 'audio/red');
      transceiver.setCodecPreferences([...first, ...codecs.filter((c) => !first.includes(c))]);
    }
  },
  addRecvonly(kind) {
    rtc.pub.addTransceiver(kind, { direction: 'recvonly' });
  },
  async offer() {
    const offer = await rtc.pub.createOffer();
    await rtc.pub.setLocalDescription(offer);
    return offer.sdp;
  },
  /** Legacy simulcast (SDP munging): three ssrcs with RTX in a SIM group, as Chromium still honours. */
  async mungeSimulcast() {
    const offer = await rtc.pub.createOffer();
    const lines = offer.sdp.split('\r\n');
    const video = lines.findIndex((line) => line.startsWith('m=video'));
    const fid = lines.findIndex((line, i) => i > video && line.startsWith('a=ssrc-group:FID'));
    const [primary, rtx] = lines[fid].split(' ').slice(1).map(Number);
    const cname = lines.find((line) => line.startsWith('a=ssrc:' + primary + ' cname:')).split('cname:')[1];
    const extra = [];
    const sim = [primary];
    const fids = [];
    for (let i = 1; i <= 2; i++) {
      const s = primary + i * 2;
      const r = rtx + i * 2;
      sim.push(s);
      fids.push('a=ssrc-group:FID ' + s + ' ' + r);
      extra.push('a=ssrc:' + s + ' cname:' + cname, 'a=ssrc:' + r + ' cname:' + cname);
    }
    lines.splice(fid, 0, 'a=ssrc-group:SIM ' + sim.join(' '), ...fids);
    const at = lines.findIndex((line, i) => i > fid && line.startsWith('a=ssrc:'));
    lines.splice(at, 0, ...extra);
    await rtc.pub.setLocalDescription({ type: 'offer', sdp: lines.join('\r\n') });
    const again = await rtc.pub.createOffer();
    return again.sdp;
  },
  async answer(sdp) {
    await rtc.pub.setRemoteDescription({ type: 'answer', sdp });
  },
  async subscribe(sdp) {
    await rtc.sub.setRemoteDescription({ type: 'offer', sdp });
    const answer = await rtc.sub.createAnswer();
    await rtc.sub.setLocalDescription(answer);
    return answer.sdp;
  },
  async stats() {
    const inbound = [];
    const report = await rtc.sub.getStats();
    for (const stat of report.values()) {
      if (stat.type === 'inbound-rtp') {
        inbound.push({
          kind: stat.kind,
          mid: stat.mid,
          ssrc: stat.ssrc,
          packetsReceived: stat.packetsReceived ?? 0,
          framesDecoded: stat.framesDecoded ?? 0,
          frameWidth: stat.frameWidth ?? 0,
        });
      }
    }
    const outbound = [];
    for (const stat of (await rtc.pub.getStats()).values()) {
      if (stat.type === 'outbound-rtp' && stat.kind === 'video') {
        outbound.push({ rid: stat.rid, packetsSent: stat.packetsSent ?? 0, frameWidth: stat.frameWidth ?? 0 });
      }
    }
    return {
      inbound,
      outbound,
      pub: rtc.pub.connectionState,
      sub: rtc.sub.connectionState,
      channels: rtc.channels.map((channel) => channel.label + ':' + channel.readyState),
      pubSctp: rtc.pub.sctp ? rtc.pub.sctp.state : 'none',
      subSctp: rtc.sub.sctp ? rtc.sub.sctp.state : 'none',
      tracks: rtc.tracks,
      subMids: rtc.sub.getTransceivers().map((t) => t.mid + ':' + t.currentDirection),
    };
  },
  close() {
    rtc.pub.close();
    rtc.sub.close();
    if (rtc.stream) for (const track of rtc.stream.getTracks()) track.stop();
  },
};
rtc.sub.ontrack = (event) => {
  rtc.tracks.push({ mid: event.transceiver.mid, kind: event.track.kind, streams: event.streams.map((s) => s.id) });
};
window.rtc = rtc;
`;

const HTML = `<!doctype html><html><head><meta charset="utf-8"><title>rtc</title></head><body>
<script>${PAGE_SCRIPT}</script></body></html>`;

/** Serves the page on http://127.0.0.1:<free port>/: getUserMedia needs a secure context, which about:blank is not. */
export async function servePage(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(HTML);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, server };
}

/** A fresh page of the RTC helper; its console and errors go into `log` for failure messages. */
export async function openRtcPage(browser: Browser, url: string): Promise<{ page: Page; log: string[] }> {
  const page = await browser.newPage();
  const log: string[] = [];
  page.on('console', (message) => log.push(message.text()));
  page.on('pageerror', (err) => log.push(`pageerror: ${err.message}`));
  await page.goto(url);
  return { page, log };
}

/** Calls `window.rtc[method](...args)` in the page. */
export function call<T>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ([name, params]) => {
      // biome-ignore lint/suspicious/noExplicitAny: the page's helper object has no type here
      const target = (globalThis as any).rtc;
      return target[name as string](...(params as unknown[]));
    },
    [method, args] as const,
  ) as Promise<T>;
}
