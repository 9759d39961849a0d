// End to end through the engine against a REAL registry (Debian's docker-registry)
// with signatures made by the project's cosign-compatible test signer.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { generateKeyPair, signImage, type TestKeyPair } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { cip, deployment, kyverno, runScenario } from '../helpers/engine.js';

let registry: TestRegistry;
const trusted = generateKeyPair('ecdsa-p256');
const other = generateKeyPair('ecdsa-p256');

t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

const verify = runScenario;

let n = 0;
/** A fresh image in its own repository; returns its reference and digest. */
async function image(opts: { sign?: TestKeyPair[]; annotations?: Record<string, string> } = {}) {
  const repo = `apps/img${++n}`;
  const digest = await pushImage(registry.host, repo, '1.0', { seed: `img${n}` });
  for (const key of opts.sign ?? []) await signImage({ registry: registry.host, repo, digest, key, annotations: opts.annotations });
  return { repo, digest, ref: `${registry.host}/${repo}:1.0` };
}

const any = () => `${registry.host}/apps/*`;

t.test('signed with the trusted key → pass, exit 0', async (t) => {
  const img = await image({ sign: [trusted] });
  const r = await verify(t, { manifests: { 'a.yaml': deployment('a', img.ref) }, policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted] }) } });
  const v = r.image(img.repo);
  t.equal(v.status, 'pass');
  t.equal(v.digest, img.digest, 'the tag was resolved to the pushed digest');
  t.equal(v.policies[0]!.file.endsWith('p.yaml'), true);
  t.ok(v.policies[0]!.line > 1, 'the rule line is reported');
  t.equal(v.uses[0]!.kind, 'Deployment');
  t.equal(v.uses[0]!.line, 11);
  t.match(v.policies[0]!.signers?.[0], /ECDSA/);
  t.equal(r.code, 0);
});

t.test('unsigned → fail with the tag it looked for, exit 1', async (t) => {
  const img = await image();
  const r = await verify(t, { manifests: { 'a.yaml': deployment('a', img.ref) }, policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted] }) } });
  const v = r.image(img.repo);
  t.equal(v.status, 'fail');
  t.match(v.policies[0]!.reasons.join('\n'), /no signatures found.*sha256-[0-9a-f]{64}\.sig/);
  t.equal(r.code, 1);
});

t.test('signed by an untrusted key → fail', async (t) => {
  const img = await image({ sign: [other] });
  const r = await verify(t, { manifests: { 'a.yaml': deployment('a', img.ref) }, policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted] }) } });
  t.equal(r.image(img.repo).status, 'fail');
  t.equal(r.code, 1);
});

t.test('a signature that names another digest → fail', async (t) => {
  const img = await image();
  const donor = await image();
  await signImage({ registry: registry.host, repo: img.repo, digest: img.digest, key: trusted, payloadDigest: donor.digest });
  const r = await verify(t, { manifests: { 'a.yaml': deployment('a', img.ref) }, policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted] }) } });
  const v = r.image(img.repo);
  t.equal(v.status, 'fail');
  t.match(v.policies[0]!.reasons[0], `signature is for another image (digest ${donor.digest.slice(0, 19)}`, 'the first line says what is wrong');
  t.match(v.hints?.join('\n'), /the signature belongs to another build: sign this digest/);
});

t.test('a signature for another image by an untrusted key says "another image", not "untrusted key"', async (t) => {
  const img = await image();
  const donor = await image();
  await signImage({ registry: registry.host, repo: img.repo, digest: img.digest, key: other, payloadDigest: donor.digest });
  const r = await verify(t, { manifests: { 'a.yaml': deployment('a', img.ref) }, policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted] }) } });
  const v = r.image(img.repo);
  t.equal(v.status, 'fail');
  t.match(v.policies[0]!.reasons[0], /signature is for another image \(digest sha256:[0-9a-f]{12}…\), and no policy key verifies it/);
  t.notMatch(v.policies[0]!.reasons.join('\n'), /untrusted key/);
});

t.test('blocked images say what to do: the count comes after the reason, and a fix', async (t) => {
  const img = await image();
  const r = await verify(t, { manifests: { 'a.yaml': deployment('a', img.ref) }, policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted, other], count: 1 }) } });
  const v = r.image(img.repo);
  t.match(v.policies[0]!.reasons[0], /no signatures found/, 'what is wrong first');
  t.match(v.policies[0]!.reasons.at(-1), /0 of 2 entries verified, 1 required/, 'the count last');
  t.match(v.hints?.[0], new RegExp(`^sign it with the key or identity .*p\\.yaml:\\d+ trusts: cosign sign --key <key> ${img.ref.replace(':1.0', '').replace(/[.]/g, '\\.')}@${img.digest}`));
});

t.test('tampered signature bytes → fail', async (t) => {
  const img = await image();
  await signImage({ registry: registry.host, repo: img.repo, digest: img.digest, key: trusted, tamper: 'signature' });
  const r = await verify(t, { manifests: { 'a.yaml': deployment('a', img.ref) }, policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted] }) } });
  t.equal(r.image(img.repo).status, 'fail');
});

t.test('tag moved to an unsigned build → fail, even with a warm cache', async (t) => {
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vi-cache-'));
  t.teardown(() => rm(cacheDir, { recursive: true, force: true }));
  const img = await image({ sign: [trusted] });
  const s = { manifests: { 'a.yaml': deployment('a', img.ref) }, policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted] }) }, options: { cache: cacheDir } };
  t.equal((await verify(t, s)).image(img.repo).status, 'pass');
  const warm = await verify(t, s);
  t.equal(warm.image(img.repo).status, 'pass');
  t.equal(warm.stats.cacheHits, 1);
  t.equal(warm.stats.registryRequests, 1, 'warm: only the tag is re-resolved');
  const moved = await pushImage(registry.host, img.repo, '1.0', { seed: 'rebuilt' });
  const after = await verify(t, s);
  t.equal(after.image(img.repo).digest, moved);
  t.equal(after.image(img.repo).status, 'fail');
});

t.test('two signatures, one trusted → pass', async (t) => {
  const img = await image({ sign: [other, trusted] });
  const r = await verify(t, { manifests: { 'a.yaml': deployment('a', img.ref) }, policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted] }) } });
  t.equal(r.image(img.repo).status, 'pass');
});

t.test('required annotations present → pass, absent → fail', async (t) => {
  const withAnn = await image({ sign: [trusted], annotations: { env: 'prod', team: 'shop' } });
  const without = await image({ sign: [trusted] });
  const r = await verify(t, {
    manifests: { 'a.yaml': deployment('a', withAnn.ref), 'b.yaml': deployment('b', without.ref) },
    policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted], entryExtra: 'annotations:\n  env: prod' }) },
  });
  t.equal(r.image(withAnn.repo).status, 'pass');
  t.equal(r.image(without.repo).status, 'fail');
  t.match(r.image(without.repo).policies[0]!.reasons.join('\n'), /env/);
});

t.test('skipImageReferences → skip; no policy → unmatched; both exit 0', async (t) => {
  const skipped = await image();
  const r = await verify(t, {
    manifests: { 'a.yaml': deployment('a', skipped.ref), 'b.yaml': deployment('b', 'docker.io/library/nginx:1.25') },
    policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted], extra: `skipImageReferences: ["${skipped.ref}"]` }) },
  });
  t.equal(r.image(skipped.repo).status, 'skip');
  t.equal(r.image('nginx').status, 'unmatched');
  t.equal(r.stats.registryRequests, 0, 'skipped and unmatched images cost no request');
  t.equal(r.code, 0);
  const strict = await verify(t, {
    manifests: { 'b.yaml': deployment('b', 'docker.io/library/nginx:1.25') },
    policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted] }) },
    options: { unmatched: 'fail' },
  });
  t.equal(strict.code, 1, 'unmatched: fail blocks');
});

t.test('Audit → warn, exit 0', async (t) => {
  const img = await image();
  const r = await verify(t, {
    manifests: { 'a.yaml': deployment('a', img.ref) },
    policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted], extra: 'failureAction: Audit\nmutateDigest: false' }) },
  });
  t.equal(r.image(img.repo).status, 'warn');
  t.equal(r.code, 0);
});

t.test('ClusterImagePolicy: AND across policies, OR across authorities', async (t) => {
  const byOther = await image({ sign: [other] });
  const orOnly = await verify(t, {
    manifests: { 'a.yaml': deployment('a', byOther.ref) },
    policies: { 'or.yaml': cip('either-key', `${registry.host}/apps/**`, [trusted, other]) },
  });
  t.equal(orOnly.image(byOther.repo).status, 'pass', 'one authority of the policy is enough');
  const both = await verify(t, {
    manifests: { 'a.yaml': deployment('a', byOther.ref) },
    policies: {
      'or.yaml': cip('either-key', `${registry.host}/apps/**`, [trusted, other]),
      'and.yaml': cip('trusted-key', `${registry.host}/apps/**`, [trusted]),
    },
  });
  const v = both.image(byOther.repo);
  t.equal(v.status, 'fail', 'every matching policy must pass');
  t.same(v.policies.map((p) => [p.policy, p.status]).sort(), [['either-key', 'pass'], ['trusted-key', 'fail']]);
  const warnMode = await verify(t, {
    manifests: { 'a.yaml': deployment('a', byOther.ref) },
    policies: { 'and.yaml': cip('trusted-key', `${registry.host}/apps/**`, [trusted], '  mode: warn\n') },
  });
  t.equal(warnMode.image(byOther.repo).status, 'warn');
  t.equal(warnMode.code, 0);
});

t.test('digest-pinned references verify without resolving the tag', async (t) => {
  const img = await image({ sign: [trusted] });
  const r = await verify(t, {
    manifests: {
      'a.yaml': deployment('a', `${registry.host}/${img.repo}@${img.digest}`),
      'b.yaml': deployment('b', `${registry.host}/${img.repo}:1.0@${img.digest}`),
    },
    policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted] }) },
  });
  t.same(r.result.results.map((x) => [x.status, x.digest]), [['pass', img.digest], ['pass', img.digest]]);
  t.equal(r.stats.registryRequests, 1, 'one signature manifest for both references (a plain cosign payload is known by its digest)');
});

t.test('registry down → error, exit 3', async (t) => {
  const r = await verify(t, {
    manifests: { 'a.yaml': deployment('a', '127.0.0.1:9/apps/gone:1.0') },
    policies: { 'p.yaml': kyverno({ refs: ['127.0.0.1:*'], keys: [trusted] }) },
    options: { registry: undefined },
  });
  const v = r.image('gone');
  t.equal(v.status, 'error');
  t.match(v.policies[0]!.reasons.join('\n'), /cannot resolve .*connection refused/);
  t.equal(r.code, 3);
});

t.test('an invalid reference is a manifest error at its file:line (exit 2), as Kubernetes rejects it', async (t) => {
  await t.rejects(
    verify(t, {
      manifests: { 'a.yaml': deployment('a', 'Not/A/Valid:Ref:x') },
      policies: { 'p.yaml': kyverno({ refs: [any()], keys: [trusted] }) },
    }),
    { code: 'MANIFEST_ERROR', message: /apps[/\\]a\.yaml:11:\d+: invalid image reference "Not\/A\/Valid:Ref:x": repository name must be lowercase/ },
  );
});

t.test('Ed25519 keys: a pure signature passes; an Ed25519ph one (cosign ≥ 2.6 signs so) fails, as cosign verify and Kyverno fail it', async (t) => {
  const ed = generateKeyPair('ed25519');
  const pure = await image({ sign: [ed] });
  const ph = await image();
  await signImage({ registry: registry.host, repo: ph.repo, digest: ph.digest, key: ed, ed25519ph: true });
  const r = await verify(t, {
    manifests: { 'a.yaml': deployment('a', pure.ref), 'b.yaml': deployment('b', ph.ref) },
    policies: { 'p.yaml': cip('ed-key', `${registry.host}/apps/**`, [ed]) },
  });
  t.equal(r.image(pure.repo).status, 'pass');
  t.equal(r.image(ph.repo).status, 'fail');
});
