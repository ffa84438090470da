import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { parse } from 'sdp-transform';
import { MEDIA_CODECS } from '../../server/media/media-codecs.js';
import { projectRoot } from '../helpers/paths.js';

/** A publisher offer Chromium wrote (test/fixtures/sdp/, made by capture-fixtures.ts). */
export function sdpFixture(name: string): string {
  return readFileSync(join(projectRoot, 'test', 'fixtures', 'sdp', name), 'utf8');
}

/** A worker and a router with the codecs every room's router has; close the worker in `after`. */
export async function startRouter(): Promise<{ worker: types.Worker; router: types.Router }> {
  const worker = await mediasoup.createWorker({ logLevel: 'warn' });
  const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  return { worker, router };
}

/** A transport as a room's node makes one per PeerConnection: UDP on loopback, SCTP for data channels. */
export function createTransport(router: types.Router): Promise<types.WebRtcTransport> {
  return router.createWebRtcTransport({
    listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }],
    enableSctp: true,
  });
}

/** The section of `sdp` whose a=mid is `mid`, as raw lines (for what sdp-transform's grammar cannot read). */
export function sectionLines(sdp: string, mid: string): string[] {
  const sections = sdp.split(/\r\n(?=m=)/);
  const section = sections.find((text) => text.split('\r\n').includes(`a=mid:${mid}`));
  if (!section) throw new Error(`no m-line with mid ${mid}`);
  return section.split('\r\n').filter(Boolean);
}

export function mediaOf(sdp: string, mid: string) {
  const media = parse(sdp).media.find((candidate) => String(candidate.mid) === mid);
  if (!media) throw new Error(`no m-line with mid ${mid}`);
  return media;
}
