#!/usr/bin/env node
// Bundles the browser join page (client/) with mediasoup-client into dist/client/, which every node serves
// at / and /join (assets under /client/), and the cluster dashboard (client/dashboard/) into
// dist/client/dashboard/, served at /dashboard (assets under /dashboard/assets/). Run by `npm run build`;
// `--watch` rebuilds on change.
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

// Plain DOM and SVG: no mediasoup-client, nothing but the page's own modules.
const dashboard = {
  ...options,
  entryPoints: [join(source, 'dashboard', 'main.ts')],
  outfile: join(out, 'dashboard', 'dashboard.js'),
};

await mkdir(join(out, 'dashboard'), { recursive: true });
await Promise.all(
  ['index.html', 'style.css', 'dashboard/index.html', 'dashboard/dashboard.css'].map((file) =>
    copyFile(join(source, file), join(out, file)),
  ),
);
if (process.argv.includes('--watch')) {
  await Promise.all(
    [options, dashboard].map(async (each) => {
      const ctx = await context(each);
      await ctx.watch();
    }),
  );
  console.log(`watching ${source}`);
} else {
  for (const [each, name] of [
    [options, 'app.js'],
    [dashboard, 'dashboard.js'],
  ]) {
    const result = await build({ ...each, metafile: true });
    const output = Object.keys(result.metafile.outputs).find((f) => f.endsWith(name));
    const bytes = result.metafile.outputs[output].bytes;
    console.log(`client: ${output} (${Math.round(bytes / 1024)} KiB)`);
  }
}
