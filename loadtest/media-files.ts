import { fileURLToPath } from 'node:url';
import type { PublishSpec } from '../src/loadtest/bot-contract.js';
import { type Clip, readIvf, readOggOpus } from './clip.js';
import type { PublishMedia } from './publisher.js';

/** loadtest/media/ of the package, from loadtest/ (tsx, tests) or dist/loadtest/ (built) alike. */
function mediaFile(name: string): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const root = here.includes('/dist/') ? new URL('../../', import.meta.url) : new URL('../', import.meta.url);
  return fileURLToPath(new URL(`loadtest/media/${name}`, root));
}

const clips = new Map<string, Clip>();

function cached(name: string, read: (file: string) => Clip): Clip {
  let clip = clips.get(name);
  if (!clip) {
    clip = read(mediaFile(name));
    clips.set(name, clip);
  }
  return clip;
}

/** The clips of a publish spec, read once per process (scripts/loadtest-clips.mjs made them). */
export function publishMedia(spec: PublishSpec): PublishMedia {
  return {
    video: spec.videoLayers.map((layer) => cached(`vp8-${layer}.ivf`, readIvf)),
    audio: spec.audio ? cached('opus-32k.ogg', readOggOpus) : undefined,
  };
}
