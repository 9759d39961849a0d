// The root krew-manifest.yaml against krew's validation rules (test/packaging/krew-rules.ts).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';
import { type KrewPlugin, selects, validateKrewManifest } from './krew-rules.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const manifest = parse(await readFile(path.join(root, 'krew-manifest.yaml'), 'utf8')) as KrewPlugin;
const clone = (): KrewPlugin => structuredClone(manifest);

t.test('krew-manifest.yaml passes krew validation', async (t) => {
  t.same(validateKrewManifest(manifest, 'verify-images'), []);
  t.equal(manifest.spec?.version, `v${JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')).version}`, 'version follows package.json');
});

t.test('it ships the five platforms, each an archive with LICENSE and the kubectl-verify_images binary', async (t) => {
  const platforms = manifest.spec!.platforms!;
  const wanted = ['linux/amd64', 'linux/arm64', 'darwin/amd64', 'darwin/arm64', 'windows/amd64'];
  t.same(wanted.map((osArch) => platforms.filter((p) => selects(p, osArch)).length), [1, 1, 1, 1, 1]);
  for (const p of platforms) {
    const windows = p.selector?.matchLabels?.os === 'windows';
    const bin = windows ? 'kubectl-verify_images.exe' : 'kubectl-verify_images';
    t.equal(p.bin, bin);
    t.match(p.uri, windows ? /\.zip$/ : /\.tar\.gz$/);
    t.match(p.uri, `/download/${manifest.spec!.version}/`);
    t.same(p.files?.map((f) => f.from).sort(), ['LICENSE', bin]);
  }
});

t.test('the rules reject what krew rejects', async (t) => {
  const broken = (change: (m: KrewPlugin) => void) => {
    const m = clone();
    change(m);
    return validateKrewManifest(m, 'verify-images').join('\n');
  };
  t.match(broken((m) => (m.apiVersion = 'krew.googlecontainertools.github.com/v1alpha1')), /apiVersion/);
  t.match(broken((m) => (m.metadata!.name = 'verify_images2')), /should be named verify-images/);
  t.match(validateKrewManifest(clone(), 'CON').join('\n'), /name CON not allowed/);
  t.match(broken((m) => (m.spec!.version = '0.1.0')), /not vX\.Y\.Z/);
  t.match(broken((m) => (m.spec!.version = 'v0.1')), /not vX\.Y\.Z/);
  t.match(broken((m) => (m.spec!.shortDescription = 'two\nlines')), /line breaks/);
  t.match(broken((m) => (m.spec!.platforms![0]!.sha256 = 'A'.repeat(64))), /sha256 .* must match/);
  t.match(broken((m) => (m.spec!.platforms![0]!.sha256 = 'abc')), /sha256 .* must match/);
  t.match(broken((m) => (m.spec!.platforms![0]!.uri = 'https://example.com/x.tar.xz')), /not a \.zip or \.tar\.gz/);
  t.match(broken((m) => delete m.spec!.platforms![0]!.bin), /bin has to be set/);
  t.match(broken((m) => (m.spec!.platforms![0]!.selector = { matchLabels: { os: 'linux', distro: 'debian' } })), /key distro not supported/);
  t.match(broken((m) => (m.spec!.platforms![0]!.selector = { matchLabels: {} })), /empty/);
  t.match(broken((m) => (m.spec!.platforms![1]!.selector = { matchLabels: { os: 'linux' } })), /linux\/amd64 is matched by overlapping platforms 0, 1/);
  t.match(
    broken((m) => (m.spec!.platforms![0]!.selector = { matchExpressions: [{ key: 'os', operator: 'In', values: ['linux', 'darwin'] }] })),
    /darwin\/amd64 is matched by overlapping/,
  );
  t.match(broken((m) => (m.spec!.platforms![0]!.selector = { matchLabels: { os: 'linux', arch: 's390x' } })), /matches no supported os\/arch/);
});
