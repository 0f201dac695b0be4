// Bundles the dashboard: src/main.js -> dist/assets/app.js, src/app.css -> dist/assets/app.css,
// src/index.html -> dist/index.html. `node build.mjs [--outdir DIR]` (default: ./dist).
// Everything the page needs ends up in these three files: nothing is loaded from the network.
import * as esbuild from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const i = args.indexOf('--outdir');
const outdir = resolve(i >= 0 && args[i + 1] ? args[i + 1] : join(here, 'dist'));

await mkdir(join(outdir, 'assets'), { recursive: true });
const common = {
  bundle: true,
  minify: true,
  legalComments: 'none',
  charset: 'ascii',
  logLevel: 'warning',
};
await esbuild.build({
  ...common,
  entryPoints: [join(here, 'src', 'main.js')],
  outfile: join(outdir, 'assets', 'app.js'),
  format: 'esm',
  target: ['es2020'],
});
await esbuild.build({
  ...common,
  entryPoints: [join(here, 'src', 'app.css')],
  outfile: join(outdir, 'assets', 'app.css'),
});
await copyFile(join(here, 'src', 'index.html'), join(outdir, 'index.html'));
