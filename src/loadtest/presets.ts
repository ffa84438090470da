/**
 * The video presets of `load-test --video`: LiveKit's presets of the same names (resolution, 30 fps, the bitrate
 * its SDKs publish at), each a clip in loadtest/media/. With simulcast a publisher also sends the lower layers
 * LiveKit's SDKs add for that resolution (180p and 360p, as `defaultSimulcastPresets169`).
 */
export interface VideoPreset {
  name: string;
  width: number;
  height: number;
  kbps: number;
  /** The clip names sent with simulcast, lowest first; the last is this preset. */
  simulcast: string[];
}

export const VIDEO_PRESETS: Record<string, VideoPreset> = {
  '180p': { name: '180p', width: 320, height: 180, kbps: 160, simulcast: ['180p'] },
  '360p': { name: '360p', width: 640, height: 360, kbps: 450, simulcast: ['180p', '360p'] },
  '720p': { name: '720p', width: 1280, height: 720, kbps: 1700, simulcast: ['180p', '360p', '720p'] },
  '1080p': { name: '1080p', width: 1920, height: 1080, kbps: 3000, simulcast: ['180p', '360p', '1080p'] },
};

/** Opus at 32 kbps, 20 ms frames. */
export const AUDIO_KBPS = 32;

/** The clips a publisher sends for `--video` (a preset name or `off`) and `--simulcast`. */
export function videoLayers(video: string, simulcast: boolean): string[] {
  if (video === 'off') return [];
  const preset = VIDEO_PRESETS[video];
  if (!preset) throw new Error(`unknown video preset ${video}`);
  return simulcast ? preset.simulcast : [preset.name];
}
