#!/usr/bin/env node
// Makes the media the load-test bots replay (loadtest/media/): a 2-second VP8 clip per video preset and an Opus
// clip, encoded once here so that no bot encodes. The picture is made in this script (moving bars and boxes over a
// noisy gradient, so the encoder spends its bit budget as on a camera) and encoded by libvpx's vpxenc in real-time
// CBR mode at each preset's bitrate, one key frame at the start of the loop; the sound is a tone with a syllable-like
// envelope, encoded by opusenc. Needs Debian's vpx-tools and opus-tools; only a developer who changes a preset runs
// it (`node scripts/loadtest-clips.mjs`), the clips are committed.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'loadtest', 'media');
mkdirSync(out, { recursive: true });

const FPS = 30;
const FRAMES = 60;
/** name, width, height, kbps: LiveKit's presets of the same names (h180 .. h1080). */
const VIDEO = [
  ['180p', 320, 180, 160],
  ['360p', 640, 360, 450],
  ['720p', 1280, 720, 1700],
  ['1080p', 1920, 1080, 3000],
];

function frame(width, height, n, seed) {
  const y = Buffer.alloc(width * height);
  let s = seed;
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const bar = ((col + n * 6) >> 5) & 1 ? 60 : 0;
      const box =
        Math.abs(col - width / 2 - Math.sin(n / 9) * width * 0.3) < width / 8 &&
        Math.abs(row - height / 2 - Math.cos(n / 7) * height * 0.3) < height / 6
          ? 90
          : 0;
      y[row * width + col] = (40 + (row * 120) / height + bar + box + (s & 15)) & 0xff;
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2);
  for (let i = 0; i < chroma.length; i++) chroma[i] = 128 + ((i + n * 3) % 40) - 20;
  return Buffer.concat([Buffer.from('FRAME\n'), y, chroma]);
}

function run(command, args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
    (async () => {
      for await (const chunk of input())
        if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
      child.stdin.end();
    })().catch(reject);
  });
}

for (const [name, width, height, kbps] of VIDEO) {
  const file = join(out, `vp8-${name}.ivf`);
  await run(
    'vpxenc',
    [
      '--codec=vp8',
      `--width=${width}`,
      `--height=${height}`,
      `--fps=${FPS}/1`,
      '--rt',
      '--cpu-used=4',
      '--end-usage=cbr',
      `--target-bitrate=${kbps}`,
      '--lag-in-frames=0',
      `--kf-max-dist=${FRAMES}`,
      `--kf-min-dist=${FRAMES}`,
      '--error-resilient=1',
      '--buf-initial-sz=500',
      '--buf-optimal-sz=600',
      '--buf-sz=1000',
      '--undershoot-pct=95',
      '--ivf',
      '-q',
      '-o',
      file,
      '-',
    ],
    function* () {
      yield Buffer.from(`YUV4MPEG2 W${width} H${height} F${FPS}:1 Ip A1:1 C420jpeg\n`);
      for (let n = 0; n < FRAMES; n++) yield frame(width, height, n, 7 + n);
    },
  );
  console.log(`loadtest clip: ${file}`);
}

// 2 s of 48 kHz mono: a 220 Hz tone under a 4 Hz syllable envelope, loud enough to count as speech.
const RATE = 48000;
const samples = RATE * 2;
const pcm = Buffer.alloc(samples * 2);
for (let i = 0; i < samples; i++) {
  const t = i / RATE;
  const envelope = 0.25 + 0.2 * Math.sin(2 * Math.PI * 4 * t);
  pcm.writeInt16LE(Math.round(32767 * envelope * Math.sin(2 * Math.PI * 220 * t)), i * 2);
}
const wav = join(out, 'tone.wav');
const header = Buffer.alloc(44);
header.write('RIFF', 0);
header.writeUInt32LE(36 + pcm.length, 4);
header.write('WAVEfmt ', 8);
header.writeUInt32LE(16, 16);
header.writeUInt16LE(1, 20);
header.writeUInt16LE(1, 22);
header.writeUInt32LE(RATE, 24);
header.writeUInt32LE(RATE * 2, 28);
header.writeUInt16LE(2, 32);
header.writeUInt16LE(16, 34);
header.write('data', 36);
header.writeUInt32LE(pcm.length, 40);
writeFileSync(wav, Buffer.concat([header, pcm]));
const opus = join(out, 'opus-32k.ogg');
await run(
  'opusenc',
  ['--quiet', '--bitrate', '32', '--framesize', '20', '--hard-cbr', wav, opus],
  function* () {},
);
await import('node:fs').then((fs) => fs.rmSync(wav));
console.log(`loadtest clip: ${opus}`);
