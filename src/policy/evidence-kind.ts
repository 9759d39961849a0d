// Which evidence a format's verifier reads: Kyverno type SigstoreBundle reads only bundles found as
// OCI referrers; Kyverno type Cosign and policy-controller's legacy signatureFormat read only the
// `.sig` / `.att` tags (kyverno apply and policy-tester say "no signatures found" for a cosign 3
// bundle there: test/reference/cosign.test.ts).

import type { Requirement } from './model.js';

export function readingOnly(req: Requirement, flag: 'bundlesOnly' | 'tagsOnly'): Requirement {
  switch (req.kind) {
    case 'all':
    case 'any':
    case 'count':
      return { ...req, of: req.of.map((r) => readingOnly(r, flag)) };
    case 'key':
    case 'certificate':
      return { ...req, [flag]: true };
    case 'attestation':
      return { ...req, [flag]: true, signers: readingOnly(req.signers, flag) };
    default:
      return req;
  }
}
