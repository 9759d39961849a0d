#!/usr/bin/env node
// `npm run package`: the krew release for this machine's platform.
//   1. tsc build (dist/), 2. esbuild bundle of plugin/kubectl-verify_images into
//   one CommonJS file, 3. a Node single executable application (SEA) built from
//   this Node binary with postject, 4. the release archive (binary + LICENSE),
//   5. dist-release/krew-manifest.yaml: the root manifest with this version and the
//   sha256 of every archive present in dist-release/.
// Other platforms are built by .github/workflows/release.yml on their own runners
// (a SEA blob must come from the same Node build as the binary it goes into).
// Usage: node scripts/package.mjs [--out DIR] [--skip-tsc] [--manifest-only]
import { execFileSync } from 'node:child_process';
import { nodeBinary } from './node-runtime.mjs';
import { createHash } from 'node:crypto';
import { copyFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

// The single binary embeds the Node that builds it: Node 24, from the npm registry when the system one is another.
if (process.versions.node.split('.')[0] !== '24') {
  execFileSync(nodeBinary(24), [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(0);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outDir = path.resolve(args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join(root, 'dist-release'));
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const version = `v${pkg.version}`;

/** Node's platform/arch names → krew's (GOOS/GOARCH). */
const KREW_OS = { linux: 'linux', darwin: 'darwin', win32: 'windows' };
const KREW_ARCH = { x64: 'amd64', arm64: 'arm64' };
const os = KREW_OS[process.platform];
const arch = KREW_ARCH[process.arch];
if (!os || !arch) throw new Error(`no krew platform for ${process.platform}/${process.arch}`);
const exe = os === 'windows' ? '.exe' : '';
const binName = `kubectl-verify_images${exe}`;
const archiveName = `kubectl-verify-images_${os}_${arch}.${os === 'windows' ? 'zip' : 'tar.gz'}`;

const log = (msg) => process.stderr.write(`package: ${msg}\n`);
const manifestPath = path.join(outDir, 'krew-manifest.yaml');
const writeManifest = () => {
  writeFileSync(manifestPath, stringify(fillManifest(parse(readFileSync(path.join(root, 'krew-manifest.yaml'), 'utf8')), outDir, version), { lineWidth: 0 }));
  log(`manifest ${path.relative(root, manifestPath)}`);
};
if (args.includes('--manifest-only')) {
  // CI: the archives of every platform are in outDir already.
  writeManifest();
  process.exit(0);
}
const build = path.join(outDir, 'build');
const stage = path.join(build, `${os}_${arch}`);
rmSync(build, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

// 1. dist/
if (!args.includes('--skip-tsc')) {
  log('tsc -p tsconfig.build.json');
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}

// 2. One CommonJS file: SEA runs a single script whose require() loads built-ins only.
const bundle = path.join(build, 'kubectl-verify_images.cjs');
const esbuild = await import('esbuild');
const result = await esbuild.build({
  entryPoints: [path.join(root, 'plugin/kubectl-verify_images')],
  loader: { '': 'js' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: bundle,
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  // import.meta.url has no CommonJS meaning; give modules that use it the bundle's own URL.
  define: { 'import.meta.url': '__bundle_url' },
  // A SEA main script has no dynamic import() (Node 20: "A dynamic import callback
  // was not specified"): let esbuild turn every import() into require().
  supported: { 'dynamic-import': false },
  // A SEA's own require() loads built-ins only and warns when a dependency probes an
  // optional module (try { require('bufferutil') } catch {}): use a full require.
  banner: {
    js: 'var require = (0, require)("node:module").createRequire(__filename);\nvar __bundle_url = require("node:url").pathToFileURL(__filename).href;',
  },
  // The launcher loads dist/bundle/ (ES modules for node); the single binary is built from the modules tsc wrote.
  plugins: [inlineSeeds(), { name: 'unbundled-cli', setup: (b) => b.onResolve({ filter: /\/dist\/bundle\// }, (a) => ({ path: path.resolve(a.resolveDir, a.path.replace('/dist/bundle/', '/dist/cli/')) })) }],
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs);
if (inputs.some((i) => /@kubernetes\/client-node|@octokit/.test(i))) log('note: client-node/octokit are in the bundle (used by --cluster / PR commands)');
log(`bundle ${(readFileSync(bundle).length / 1e6).toFixed(1)} MB from ${inputs.length} modules`);

// 3. SEA: blob from this Node, injected into a copy of this Node.
const seaConfig = path.join(build, 'sea-config.json');
const blob = path.join(build, 'sea-prep.blob');
writeFileSync(
  seaConfig,
  JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, useSnapshot: false }, null, 2),
);
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { cwd: build, stdio: ['ignore', 'ignore', 'inherit'] });
const binary = path.join(stage, binName);
copyFileSync(process.execPath, binary);
chmodSync(binary, 0o755);
if (os === 'darwin') execFileSync('codesign', ['--remove-signature', binary]);
const postject = path.join(root, 'node_modules/postject/dist/cli.js');
const postjectArgs = [postject, binary, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'];
if (os === 'darwin') postjectArgs.push('--macho-segment-name', 'NODE_SEA');
// postject's ELF writer warns about unnamed note sections on every run: show its output only on failure.
try {
  execFileSync(process.execPath, postjectArgs, { stdio: 'pipe' });
} catch (err) {
  process.stderr.write(String(err.stderr ?? ''));
  throw err;
}
if (os === 'darwin') execFileSync('codesign', ['--sign', '-', binary]);
log(`binary ${path.relative(root, binary)} (${(readFileSync(binary).length / 1e6).toFixed(0)} MB)`);

// 4. The archive krew downloads: binary + LICENSE at the top level.
copyFileSync(path.join(root, 'LICENSE'), path.join(stage, 'LICENSE'));
const archive = path.join(outDir, archiveName);
rmSync(archive, { force: true });
if (archiveName.endsWith('.zip')) execFileSync('zip', ['-q', '-X', archive, binName, 'LICENSE'], { cwd: stage });
else execFileSync('tar', ['-czf', archive, '--owner=0', '--group=0', '--numeric-owner', binName, 'LICENSE'], { cwd: stage });
log(`archive ${path.relative(root, archive)}`);

// 5. The manifest for this release, with the sha256 of every archive built so far
//    (CI puts the other platforms' archives beside this one before running --manifest-only).
writeManifest();

/** The root manifest with `version` and each platform's sha256 taken from the archives in `dir`. */
function fillManifest(doc, dir, tag) {
  doc.spec.version = tag;
  const present = new Set(readdirSync(dir));
  for (const platform of doc.spec.platforms) {
    platform.uri = platform.uri.replace(/\/download\/v[^/]+\//, `/download/${tag}/`);
    const file = path.basename(new URL(platform.uri).pathname);
    if (present.has(file)) platform.sha256 = createHash('sha256').update(readFileSync(path.join(dir, file))).digest('hex');
  }
  return doc;
}

/** `createRequire(import.meta.url)('@sigstore/tuf/seeds.json')` → a bundled JSON require. */
function inlineSeeds() {
  return {
    name: 'inline-seeds',
    setup(b) {
      b.onLoad({ filter: /dist[\\/]verify[\\/]trusted-root\.js$/ }, (a) => {
        const text = readFileSync(a.path, 'utf8');
        const replaced = text.replace(/createRequire\(import\.meta\.url\)\((['"]@sigstore\/tuf\/seeds\.json['"])\)/, 'require($1)');
        if (replaced === text) throw new Error('trusted-root.js no longer loads seeds.json with createRequire: update scripts/package.mjs');
        return { contents: replaced, loader: 'js' };
      });
    },
  };
}

if (!existsSync(binary)) process.exitCode = 1;
