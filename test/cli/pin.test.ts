// `pin` without --pr, end to end on the REAL registry: a diff by default, --write edits the
// files, failed images are listed and never pinned, exit codes as `verify`.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage, pushIndex } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { cli, deployment, keyPolicy, tempDir, writeFiles } from './pin-helpers.js';

let registry: TestRegistry;
const key = generateKeyPair('ecdsa-p256');
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

async function fixture(t: Parameters<typeof tempDir>[0]) {
  const web = await pushIndex(registry.host, 'pin/web', '1.0', { seed: 'web' });
  await signImage({ registry: registry.host, repo: 'pin/web', digest: web, key });
  await pushImage(registry.host, 'pin/bad', '2.0', { seed: 'bad' });
  const dir = await tempDir(t, 'vi-pin-cli-');
  const manifest = deployment('shop', [`${registry.host}/pin/web:1.0`, `"${registry.host}/pin/bad:2.0"`]);
  await writeFiles(dir, { '.git/HEAD': '', 'apps/shop.yaml': manifest, '.verify-images/signed.yaml': keyPolicy(`${registry.host}/pin/*`, key) });
  return { dir, web, manifest };
}

t.test('pin prints a unified diff, edits nothing, lists the failed image with its reason; exit 1 as verify', async (t) => {
  const { dir, web, manifest } = await fixture(t);
  const r = await cli(dir, ['pin', 'apps', '--no-cache']);
  t.equal(r.code, 1, 'the unsigned image fails the policy: exit 1, as verify');
  t.match(r.stdout, /^--- a\/apps\/shop\.yaml\n\+\+\+ b\/apps\/shop\.yaml\n@@ /);
  t.match(r.stdout, `-          image: ${registry.host}/pin/web:1.0\n+          image: ${registry.host}/pin/web:1.0@${web}\n`);
  t.notMatch(r.stdout, /pin\/bad:2\.0@/, 'the failed image is not pinned');
  t.match(r.stderr, new RegExp(`not pinned: ${registry.host}/pin/bad:2\\.0 \\(apps/shop\\.yaml:\\d+\\): fail: `));
  t.equal(await readFile(path.join(dir, 'apps/shop.yaml'), 'utf8'), manifest, 'without --write the file is untouched');
});

t.test('pin --write edits the file in place (index digest for the multi-arch tag); a second run changes nothing', async (t) => {
  const { dir, web, manifest } = await fixture(t);
  const r = await cli(dir, ['pin', 'apps', '--write', '--no-cache']);
  t.equal(r.code, 1);
  t.match(r.stdout, /pinned apps\/shop\.yaml:11 /);
  const after = await readFile(path.join(dir, 'apps/shop.yaml'), 'utf8');
  t.equal(after, manifest.replace(`pin/web:1.0\n`, `pin/web:1.0@${web}\n`), 'only the verified image gained its digest');
  const again = await cli(dir, ['pin', 'apps', '--write', '--no-cache']);
  t.match(again.stdout, /0 values pinned in 0 files/);
  t.equal(await readFile(path.join(dir, 'apps/shop.yaml'), 'utf8'), after);
});

t.test('pin -o json gives the canonical result and the PinResult', async (t) => {
  const { dir, web } = await fixture(t);
  const r = await cli(dir, ['pin', 'apps', '-o', 'json', '--no-cache']);
  const out = JSON.parse(r.stdout);
  t.equal(out.result.summary.pass, 1);
  t.match(out.pin.changes['apps/shop.yaml'], [{ image: `${registry.host}/pin/web:1.0`, digest: web, line: 11, target: 'manifest', to: `${registry.host}/pin/web:1.0@${web}` }]);
  t.match(out.pin.skipped, [{ image: `${registry.host}/pin/bad:2.0`, status: 'fail' }]);
});

t.test('--write and --pr together are a usage error', async (t) => {
  const { dir } = await fixture(t);
  const r = await cli(dir, ['pin', 'apps', '--write', '--pr']);
  t.equal(r.code, 2);
  t.match(r.stderr, /mutually exclusive/);
});

t.test('Helm: `helm template … | pin -` pins the values file named by pin.helm in the config', async (t) => {
  const { dir, web } = await fixture(t);
  const values = `image:\n  repository: ${registry.host}/pin/web   # the web image\n  tag: "1.0"\nbad:\n  image:\n    registry: ${registry.host}\n    repository: pin/bad\n    tag: "2.0"\n    digest: ""\n`;
  await writeFiles(dir, {
    'chart/values.yaml': values,
    '.verify-imagesrc.yaml': 'pin:\n  helm:\n    - {values: chart/values.yaml, image: image}\n    - {values: chart/values.yaml, image: bad.image}\n',
  });
  const rendered = deployment('shop', [`${registry.host}/pin/web:1.0`, `${registry.host}/pin/bad:2.0`]);
  const r = await cli(dir, ['pin', '-', '--write', '--no-cache'], {}, rendered);
  t.equal(r.code, 1);
  t.equal(await readFile(path.join(dir, 'chart/values.yaml'), 'utf8'), values.replace('tag: "1.0"', `tag: "1.0@${web}"`), 'tag: tag@digest; the failed image keeps its empty digest');
  t.match(r.stderr, /not pinned: .*pin\/bad:2\.0.*: fail: /, 'the report goes to stderr: stdout is the pinned stream');
  t.notMatch(r.stderr, /pin\/web:1\.0 .*no source file/, 'the mapped image is not reported as unpinnable');
  t.match(r.stdout, new RegExp(`image: ${registry.host}/pin/web:1\\.0@${web}`), 'stdin comes back pinned on stdout');
  t.match(r.stdout, new RegExp(`image: ${registry.host}/pin/bad:2\\.0\n`), 'the failed image is not pinned');
});

t.test('Helm: `helm template … | pin -` with pin.helm naming only values: finds the image maps itself', async (t) => {
  const { dir, web } = await fixture(t);
  const values = `# helm create style\nimage:\n  repository: ${registry.host}/pin/web\n  tag: "1.0"\nbad:\n  image: {registry: ${registry.host}, repository: pin/bad, tag: "2.0", digest: ""}\n`;
  await writeFiles(dir, { 'chart/values.yaml': values, '.verify-imagesrc.yaml': 'pin:\n  helm:\n    - values: chart/values.yaml\n' });
  const rendered = deployment('shop', [`${registry.host}/pin/web:1.0`, `${registry.host}/pin/bad:2.0`]);
  const r = await cli(dir, ['pin', '-', '--write', '--no-cache'], {}, rendered);
  t.equal(r.code, 1);
  t.match(r.stderr, /pinned chart\/values\.yaml:4 1\.0 → 1\.0@sha256:/);
  t.equal(await readFile(path.join(dir, 'chart/values.yaml'), 'utf8'), values.replace('tag: "1.0"', `tag: "1.0@${web}"`), 'the failed image keeps its empty digest');
});

t.test('a bad pin.helm setting is a config error (exit 2)', async (t) => {
  const { dir } = await fixture(t);
  await writeFiles(dir, { '.verify-imagesrc.yaml': 'pin:\n  helm: [{image: image}]\n' });
  const r = await cli(dir, ['pin', 'apps']);
  t.equal(r.code, 2);
  t.match(r.stderr, /"pin.helm" must be a list/);
});

t.test('pin -k overlay --write: newTag in the overlay kustomization gains the digest (real kustomize)', async (t) => {
  const { dir, web } = await fixture(t);
  const overlay = `resources:\n  - ../base\nimages:\n  - name: web   # renamed by the overlay\n    newName: ${registry.host}/pin/web\n    newTag: "1.0"\n`;
  await writeFiles(dir, {
    'k/base/kustomization.yaml': 'resources: [deployment.yaml]\n',
    'k/base/deployment.yaml': deployment('shop', ['web']),
    'k/overlay/kustomization.yaml': overlay,
  });
  const r = await cli(dir, ['pin', '-k', 'k/overlay', '--write', '--no-cache']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /pinned k\/overlay\/kustomization\.yaml:6 1\.0 → 1\.0@sha256:/);
  t.equal(await readFile(path.join(dir, 'k/overlay/kustomization.yaml'), 'utf8'), overlay.replace('newTag: "1.0"', `newTag: "1.0@${web}"`));
  t.equal(await readFile(path.join(dir, 'k/base/deployment.yaml'), 'utf8'), deployment('shop', ['web']), 'the base is untouched');
});

t.test('a manifest carrying a manifest signature is not edited unless --allow-breaking-signatures; the PR body says so', async (t) => {
  const web = await pushImage(registry.host, 'pin/signed', '1.0', { seed: 'signed-manifest' });
  await signImage({ registry: registry.host, repo: 'pin/signed', digest: web, key });
  const dir = await tempDir(t, 'vi-pin-signed-');
  const signed = deployment('signed', [`${registry.host}/pin/signed:1.0`]).replace(
    /^metadata:\n/m,
    'metadata:\n  annotations:\n    cosign.sigstore.dev/message: H4sIAAAAAAAA/wEAAP//AAAAAAAAAAA=\n    cosign.sigstore.dev/signature: MEUCIQ==\n',
  );
  await writeFiles(dir, { '.git/HEAD': '', 'apps/signed.yaml': signed, '.verify-images/signed.yaml': keyPolicy(`${registry.host}/pin/*`, key) });
  const r = await cli(dir, ['pin', 'apps', '--write', '--no-cache']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /not pinned: .*pin\/signed:1\.0 \(apps\/signed\.yaml:\d+\): .*Deployment .*signed.* carries a manifest signature \(cosign\.sigstore\.dev\/signature\): pinning would break it; .*--allow-breaking-signatures/);
  t.equal(await readFile(path.join(dir, 'apps/signed.yaml'), 'utf8'), signed, 'the signed manifest is untouched');

  const allowed = await cli(dir, ['pin', 'apps', '--allow-breaking-signatures', '-o', 'json', '--no-cache']);
  const out = JSON.parse(allowed.stdout);
  t.match(out.pin.changes['apps/signed.yaml'], [{ digest: web, breaksSignature: 'cosign.sigstore.dev/signature' }]);
  const { prBody } = await import('../../src/git/pr-body.js');
  t.match(prBody(out.pin), /break a manifest signature[\s\S]*apps\/signed\.yaml:\d+ \(`cosign\.sigstore\.dev\/signature`\)/);
});
