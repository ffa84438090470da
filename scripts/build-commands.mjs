#!/usr/bin/env node
// Bundles every oclif command (commands/**/*.ts) into one ESM file in place of tsc's output in dist/commands/, so
// a command loads one file of its own instead of ~170 (our modules, yaml, ioredis and its dependencies): issue 14,
// item 7 (a CLI command within 1.5x of `lk-cluster --version`). oclif still discovers the commands by pattern in
// dist/commands/ and reads them from oclif.manifest.json, so help, topics and aliases are unchanged. Run by
// `npm run build` after tsc (which still compiles every module: the server, the tests and the bench import them).
//
// External: oclif (the instance bin/run.js loaded), node builtins, and the packages a command loads only on a path
// it rarely takes or that must stay files of their own (native addons, createRequire'd CJS, the server's
// dependencies): bundling them would parse them on every run for nothing.
//
// Our modules find files beside themselves through import.meta.url (the Lua scripts, the precompiled config
// validator, the schema, the supervisor's entry points). In a bundle each module's import.meta.url is rewritten to
// the URL of tsc's compiled module, relative to the bundle, so those lookups resolve as they do unbundled.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

const EXTERNAL = [
  '@oclif/*',
  'mediasoup',
  'inquirer',
  '@inquirer/*',
  'ajv',
  'ajv/*',
  'cli-table3',
  'cli-table3/*',
  'pino',
  'prom-client',
  'ws',
  'livekit-server-sdk',
];

async function commandFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return commandFiles(path);
      return entry.name.endsWith('.ts') ? [path] : [];
    }),
  );
  return files.flat();
}

const posix = (path) => path.split(sep).join('/');

/** Rewrites import.meta.url in our own modules to the URL of their tsc-compiled twin in dist/. */
function compiledMetaUrl(outfile) {
  return {
    name: 'compiled-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
        const compiled = join(dist, relative(root, args.path)).replace(/\.ts$/, '.js');
        const fromBundle = posix(relative(dirname(outfile), compiled));
        const url = `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`;
        return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

/**
 * What stays tsc's module file instead of being bundled: a module our code imports dynamically (only on a path a
 * command rarely takes: the single-node cluster's HTTP client, which loads undici and jose, ~150 files) and the
 * error classes a bundle and that lazily loaded module must share, so `instanceof` holds across them.
 */
const SHARED = new Set(['src/errors.ts', 'src/selector/errors.ts']);

function compiledOutside(outfile) {
  return {
    name: 'compiled-outside-bundle',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.importer.includes(`${sep}node_modules${sep}`)) return undefined;
        const source = join(args.resolveDir, args.path).replace(/\.js$/, '.ts');
        const own = posix(relative(root, source));
        if (args.kind !== 'dynamic-import' && !SHARED.has(own)) return undefined;
        const compiled = join(dist, relative(root, source)).replace(/\.ts$/, '.js');
        let path = posix(relative(dirname(outfile), compiled));
        if (!path.startsWith('.')) path = `./${path}`;
        return { path, external: true };
      });
    },
  };
}

const sources = await commandFiles(join(root, 'commands'));
const started = Date.now();
let bytes = 0;
await Promise.all(
  sources.map(async (entry) => {
    const outfile = join(dist, relative(root, entry)).replace(/\.ts$/, '.js');
    const result = await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: true,
      // The maps name the files (commands/, cli/, src/, node_modules/); their text stays in those files.
      sourcesContent: false,
      legalComments: 'none',
      minifyWhitespace: true,
      minifySyntax: true,
      logLevel: 'warning',
      metafile: true,
      external: EXTERNAL,
      plugins: [compiledOutside(outfile), compiledMetaUrl(outfile)],
      // ESM has no require(); bundled CJS (ioredis, debug) calls require for node builtins.
      banner: {
        js: "import { createRequire as __lkcCreateRequire } from 'node:module'; const require = __lkcCreateRequire(import.meta.url);",
      },
    });
    bytes += Object.values(result.metafile.outputs).reduce((sum, o) => sum + (o.bytes ?? 0), 0);
  }),
);
console.log(
  `commands: ${sources.length} bundles in dist/commands (${Math.round(bytes / 1024)} KiB with maps, ${Date.now() - started} ms)`,
);
