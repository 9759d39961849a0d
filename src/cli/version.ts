// Kept free of imports so `--version` loads almost nothing.

export const VERSION = '0.1.0';

/** The formats this build understands, for `version` and bug reports. */
export const FORMATS = {
  kyverno: 'kyverno.io/v1 ClusterPolicy/Policy verifyImages (type Cosign, keys)',
  clusterImagePolicy: 'policy.sigstore.dev/v1alpha1, v1beta1 ClusterImagePolicy (key, static)',
  signatures: 'cosign legacy .sig (simple signing), Rekor SET bundle annotation',
};

export function versionText(): string {
  const lines = [`kubectl-verify-images ${VERSION}`];
  for (const [name, what] of Object.entries(FORMATS)) lines.push(`  ${name}: ${what}`);
  return `${lines.join('\n')}\n`;
}
