#!/usr/bin/env node
// After `tsc`: the CLI as a few ES modules in dist/bundle/ (our code bundled, packages left to
// node_modules), so a run loads tens of files instead of a hundred and more: start-up is mostly
// module loading. Lazy parts stay lazy (each dynamic import() is a chunk). The launcher loads
// these; dist/cli/… stays for the single binary (scripts/package.mjs) and the benchmarks.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'bundle');
rmSync(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: ['cli/fast-paths.js', 'cli/fast-verify.js', 'cli/main.js', 'manifests/extract-worker.js'].map((e) => path.join(root, 'dist', e)),
  outdir: out,
  // Flat: the parallel reader finds extract-worker.js beside the chunk it runs from.
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  // Modules load CommonJS packages with a literal require() (esbuild's own shim would throw in ESM).
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
