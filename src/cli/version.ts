// Kept free of imports so `--version` loads almost nothing.

export const VERSION = '0.1.0';

/** The formats this build understands, for `version` and bug reports. */
export const FORMATS = {
  kyverno: 'kyverno.io/v1, v2beta1 ClusterPolicy/Policy verifyImages (type Cosign: keys, keyless, certificates, attestations with conditions; type SigstoreBundle; type Notary: certificates, attestations; preconditions, validate.deny)',
  imageValidatingPolicy: 'policies.kyverno.io/v1, v1beta1, v1alpha1 (Namespaced)ImageValidatingPolicy: CEL (@bufbuild/cel) with Kyverno image, imageverify, imagedata, json, yaml, hash, math libraries',
  notation: 'Notation trust policy version 1.0 (trustpolicy.oci.json / trustpolicy.json) with the trust store beside it: levels strict, permissive, audit, skip; overrides; RFC 3161 timestamps',
  clusterImagePolicy: 'policy.sigstore.dev/v1alpha1, v1beta1 ClusterImagePolicy (key, keyless, static, attestations); v1alpha1 TrustRoot (sigstoreKeys)',
  tanzu: 'signing.apps.tanzu.vmware.com/v1beta1 ClusterImagePolicy image-policy (Tanzu SCST-Sign: keys by name, name patterns, excluded namespaces)',
  customResources: 'images in Argo Rollouts, Knative, Tekton, Argo Workflows and KubeVirt resources; Kyverno imageExtractors; config extractors',
  signatures: 'cosign legacy .sig/.att (simple signing, DSSE in-toto v0.1/v1), Rekor SET bundle annotation, RFC 3161 timestamps',
  bundles: 'Sigstore bundle v0.1-v0.3 as OCI referrers (cosign v3)',
  notarySignatures: 'Notary Project signatures (JWS, COSE) as OCI referrers or in the referrers tag schema',
  reports: 'table, wide, name, json, yaml, SARIF 2.1.0, JUnit XML, GitHub annotations, Markdown, HTML',
};

export function versionText(): string {
  const lines = [`kubectl-verify-images ${VERSION}`];
  for (const [name, what] of Object.entries(FORMATS)) lines.push(`  ${name}: ${what}`);
  return `${lines.join('\n')}\n`;
}
