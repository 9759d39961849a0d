// Records the fixtures of examples/policy-tests and of the Argo CD and Flux examples' policy-tests/:
// starts a local registry (Debian's docker-registry),
// pushes web (signed with the demo key, and with Notation by the example certificate) and worker
// (unsigned) under the name the examples use (registry.example.test), then runs
// `verify-images test --record` with that name mapped onto the local registry.
// Needs `npm run build` first. The Notation example CA and signer are created once and kept in
// examples/policy-tests/keys (test material, never used for anything real).
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistryClient } from '../dist/registry/index.js';
import { findTestFiles, runTests } from '../dist/policytest/run-tests.js';
import { formatTests } from '../dist/policytest/report.js';
import { signImage } from '../dist/testkit/cosign-signer.js';
import { descriptorOf, makeCertificate, pushNotationSignature, signEnvelope, JWS } from '../dist/testkit/notation-signer.js';
import { pushImage } from '../dist/testkit/oci-push.js';
import { startRegistry } from '../dist/testkit/registry-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = path.join(root, 'examples', 'policy-tests');
// The names the examples use, served here by the local registry.
const NAMES = new Set(['registry.example.test', 'ghcr.io']);

const demoKey = createPrivateKey(readFileSync(path.join(root, 'examples/demo/keys/demo.key')));
const key = { alg: 'ecdsa-p256', privateKey: demoKey, publicKey: createPublicKey(demoKey), publicKeyPem: readFileSync(path.join(root, 'examples/demo/keys/demo.pub'), 'utf8') };

/** The example CA and signer: made once (valid 2026–2036), then read back so re-recording keeps them. */
async function notationSigner() {
  const dir = path.join(examples, 'keys');
  const files = ['notation-ca.crt', 'notation-ca.key', 'notation-signer.crt', 'notation-signer.key'].map((f) => path.join(dir, f));
  if (!files.every(existsSync)) {
    mkdirSync(dir, { recursive: true });
    const validity = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2036-01-01T00:00:00Z') };
    const ca = await makeCertificate({ subject: 'C=US, ST=WA, O=Example, CN=Example Root', ca: true, ...validity });
    const leaf = await makeCertificate({ subject: 'C=US, ST=WA, O=Example, CN=release', issuer: ca, ...validity });
    writeFileSync(files[0], ca.pem);
    writeFileSync(files[1], ca.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(files[2], leaf.pem);
    writeFileSync(files[3], leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  }
  const load = (crt, k) => {
    const pem = readFileSync(crt, 'utf8');
    const der = new X509Certificate(pem).raw;
    return { pem, der, privateKey: createPrivateKey(readFileSync(k)), x509: new X509Certificate(pem) };
  };
  const ca = load(files[0], files[1]);
  const leaf = load(files[2], files[3]);
  const store = path.join(examples, 'notation', 'truststore', 'x509', 'ca', 'example');
  mkdirSync(store, { recursive: true });
  writeFileSync(path.join(store, 'root.crt'), ca.pem);
  return [leaf, ca];
}

const registry = await startRegistry();
try {
  const chain = await notationSigner();
  const web = await pushImage(registry.host, 'examples/web', '1.0', { seed: 'example-web' });
  await signImage({ registry: registry.host, repo: 'examples/web', digest: web, key });
  const subject = await descriptorOf(registry.host, 'examples/web', '1.0');
  const envelope = await signEnvelope({ format: 'jws', chain, target: subject });
  await pushNotationSignature({ registry: registry.host, repo: 'examples/web', subject, envelope, mediaType: JWS });
  await pushImage(registry.host, 'examples/worker', '1.0', { seed: 'example-worker' });
  // examples/argocd-app (its prod overlay pins 1.1) and examples/flux-app: signed with the demo key.
  for (const [repo, tag] of [['example/guestbook', '1.1'], ['example/shop', '1.0']]) {
    const digest = await pushImage(registry.host, repo, tag, { seed: `example-${repo}` });
    await signImage({ registry: registry.host, repo, digest, key });
  }

  // The examples name registry.example.test and ghcr.io; this recording reaches them on the local registry.
  const local = createRegistryClient({});
  const mapped = (repo) => (NAMES.has(repo.registry) ? { ...repo, registry: registry.host } : repo);
  const liveRegistry = {
    resolve: (repo, ref) => local.resolve(mapped(repo), ref),
    manifest: (repo, ref) => local.manifest(mapped(repo), ref),
    blob: (repo, digest) => local.blob(mapped(repo), digest),
    referrers: (repo, digest, type) => local.referrers(mapped(repo), digest, type),
    close: () => local.close(),
  };
  const files = await findTestFiles([examples, path.join(root, 'examples/argocd-app'), path.join(root, 'examples/flux-app')], root);
  const { reports, recorded } = await runTests(files, { cwd: root, env: {}, record: true, liveRegistry });
  process.stdout.write(formatTests(reports, 'text'));
  for (const { dir, report } of recorded) console.error(`recorded ${dir}: ${report.files} files, ${(report.bytes / 1024).toFixed(1)} KB`);
  if (!reports.every((r) => !r.error && r.checks.every((c) => c.ok))) process.exitCode = 1;
} finally {
  await registry.stop();
}
