#!/usr/bin/env node
// Bundles the browser join page (client/) with mediasoup-client into dist/client/, which every node serves
// at / and /join (assets under /client/). Run by `npm run build`; `--watch` rebuilds on change.
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, context } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'client');
const out = join(root, 'dist', 'client');

const options = {
  entryPoints: [join(source, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari16'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  // mediasoup-client logs through `debug`; the page enables it with localStorage.debug='mediasoup-client:*'.
  define: { 'process.env.NODE_ENV': '"production"' },
};

await mkdir(out, { recursive: true });
await Promise.all(['index.html', 'style.css'].map((file) => copyFile(join(source, file), join(out, file))));
if (process.argv.includes('--watch')) {
  const ctx = await context(options);
  await ctx.watch();
  console.log(`watching ${source}`);
} else {
  const result = await build({ ...options, metafile: true });
  const bytes =
    result.metafile.outputs[Object.keys(result.metafile.outputs).find((f) => f.endsWith('app.js'))].bytes;
  console.log(`client: dist/client/app.js (${Math.round(bytes / 1024)} KiB)`);
}
