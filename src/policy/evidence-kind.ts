// Which evidence a format's verifier reads: Kyverno type SigstoreBundle reads only bundles found as
// OCI referrers; Kyverno type Cosign and policy-controller's legacy signatureFormat read only the
// `.sig` / `.att` tags (kyverno apply and policy-tester say "no signatures found" for a cosign 3
// bundle there: test/reference/cosign.test.ts).

import type { Requirement } from './model.js';

/** Kyverno `type: Cosign`: what a deployer is told when no tag signature is there. */
export const KYVERNO_TAGS_ONLY = 'type Cosign reads only that tag, never a cosign 3 bundle (type: SigstoreBundle reads bundles)';
/** policy-controller's legacy signatureFormat. */
export const CIP_TAGS_ONLY = 'a ClusterImagePolicy authority in the legacy signatureFormat (the default) reads only that tag, never a cosign 3 bundle, as policy-controller does';

/** `bundlesOnly`, or `tagsOnly` with the sentence that says why. */
export function readingOnly(req: Requirement, only: { bundlesOnly: true } | { tagsOnly: string }): Requirement {
  switch (req.kind) {
    case 'all':
    case 'any':
    case 'count':
      return { ...req, of: req.of.map((r) => readingOnly(r, only)) };
    case 'key':
    case 'certificate':
      return { ...req, ...only };
    case 'attestation':
      return { ...req, ...only, signers: readingOnly(req.signers, only) };
    default:
      return req;
  }
}
