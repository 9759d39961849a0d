// Every real policy in the shared corpus loads, or names what it does not support.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { keyLeaves } from '../../src/policy/evaluate.js';
import type { Requirement } from '../../src/policy/model.js';
import { fixturesDir, load } from './helpers.js';

const dir = path.join(fixturesDir, 'policies');

function unsupportedFields(r: Requirement): string[] {
  if (r.kind === 'unsupported') return [r.field];
  if (r.kind === 'invalid') return [`invalid: ${r.problem}`];
  if (r.kind === 'all' || r.kind === 'any' || r.kind === 'count') return r.of.flatMap(unsupportedFields);
  if (r.kind === 'attestation') return unsupportedFields(r.signers);
  return [];
}

function decisive(r: Requirement): boolean {
  return r.kind === 'cel' || keyLeaves(r).length > 0 || unsupportedFields(r).length > 0 || JSON.stringify(r).includes('"static"');
}

if (!existsSync(dir)) {
  t.plan(0, 'shared policy corpus not found at ../shared/fixtures/policies (relative to the project root)');
} else {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
  t.ok(files.length > 50, `corpus has files (${files.length})`);
  // Documentation examples that the CRD itself rejects (kubectl apply --validate=strict fails on
  // them): refused at the field, with the line, as kubectl would.
  const invalidUpstream: Record<string, RegExp> = {
    'kyverno-docs/image-validating-policy-02.yaml': /:76: spec\.attestors\[0\]\.cosign\.source\.pullSecrets: unknown field "pullSecrets".*did you mean "PullSecrets"/,
    'kyverno-docs/image-validating-policy-08.yaml': /:15: spec\.matchImageReferences\[0\]\.attestors: unknown field "attestors"/,
    // Snippets cut with "# ...": the CRD requires validations.
    ...Object.fromEntries(['00', '01', '03', '04', '05', '06'].map((n) => [`kyverno-docs/image-validating-policy-${n}.yaml`, /:6: spec\.validations: is required/])),
    // Declares `dev-attestor` and validates with `attestors.devAttestor`: Kyverno fails at run time.
    'kyverno-docs/image-validating-policy-07.yaml': /:25: spec\.validations\[0\]\.expression: attestors\.devAttestor is not declared in spec\.attestors \(declared: dev-attestor\)/,
  };
  const valid = files.filter((f) => !(f in invalidUpstream));
  const fields = (f: string): string[] =>
    load(readFileSync(path.join(dir, f), 'utf8'), f).flatMap((p) => p.rules.flatMap((r) => unsupportedFields(r.requirement)));
  for (const [file, error] of Object.entries(invalidUpstream)) {
    t.test(`${file} (invalid upstream example)`, async (t) => {
      t.throws(() => load(readFileSync(path.join(dir, file), 'utf8'), file), { code: 'POLICY_ERROR', message: error });
    });
  }
  for (const file of valid) {
    t.test(file, async (t) => {
      const policies = load(readFileSync(path.join(dir, file), 'utf8'), file);
      t.equal(policies.length, 1, 'one policy per upstream file');
      const rules = policies.flatMap((p) => p.rules);
      t.ok(rules.length > 0, 'has image rules');
      for (const rule of rules) {
        t.ok(rule.images.include.length > 0, `${rule.path}: names images`);
        t.ok(rule.line > 0, `${rule.path}: has a line`);
        // Never a silent pass: each rule verifies keys, says what it cannot do, or is an explicit static.
        t.ok(decisive(rule.requirement), `${rule.path}: decides or says why not`);
      }
    });
  }
  t.test('known unsupported features are named, not dropped', async (t) => {
    t.ok(fields('policy-controller/cip-requires-two-signatures-and-two-attestations.yaml').some((f) => /^spec\.policy \(cue\) over a keyless authority/.test(f)));
    t.ok(fields('kyverno-docs/sigstore-18.yaml').includes('ctlog.tsaCertChain'), 'a TSA chain on a key attestor');
    t.ok(fields('policy-controller/cip-key-tsa.yaml').includes('rfc3161timestamp'));
    t.ok(
      fields('policy-controller/cip-keyless-with-trustroot-with-attestations.yaml').includes(
        'trustRootRef my-sigstore-keys: no TrustRoot of that name in the policy files',
      ),
    );
  });
  t.test('keys, keyless, certificates, key references and attestations load as real leaves', async (t) => {
    for (const f of [
      'kyverno-docs/notary-00.yaml',
      'kyverno-policies/other_verify-image_verify-image.yaml',
      'kyverno-policies/other_verify-image-gcpkms_verify-image-gcpkms.yaml',
      'kyverno-policies/flux_verify-flux-images_verify-flux-images.yaml',
      'kyverno-policies/other_verify-image-slsa_verify-image-slsa.yaml',
      'kyverno-policies/other_verify-image-cve-2022-42889_verify-image-cve-2022-42889.yaml',
      'kyverno-policies/other_verify-sbom-cyclonedx_verify-sbom-cyclonedx.yaml',
      'kyverno-policies/other_require-vulnerability-scan_require-vulnerability-scan.yaml',
      'kyverno-docs/sigstore-03.yaml',
      'kyverno-docs/sigstore-07.yaml',
      'kyverno-docs/sigstore-08.yaml',
      'policy-controller/cip-key.yaml',
      'policy-controller/cip-keyless.yaml',
      'policy-controller/cip-key-secret.yaml',
      'policy-controller/cip-key-and-keyless-ignore-sct.yaml',
      'policy-controller/cip-keyless-with-identities.yaml',
      'policy-controller/signed-by-aws-kms-key.yaml',
      'policy-controller/release-signed-by-github-actions.yaml',
    ]) {
      t.same(fields(f), [], f);
    }
  });
  t.test('fewer files are unsupported than before keyless and attestations', async (t) => {
    const partial = valid.filter((f) => fields(f).length > 0);
    // 49 of 87 at the time of writing: IVPOL, Notary, SigstoreBundle, imageExtractors, cue/rego, TSA, trustRootRef without a TrustRoot.
    t.ok(partial.length <= 49, `${partial.length} files still name an unsupported field`);
  });
}
