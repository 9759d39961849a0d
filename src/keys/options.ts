// What resolving a key reference may use: the user's cluster connection, the
// environment (cloud credentials, endpoint overrides) and, in tests, stand-ins for
// the cloud token services that cannot run here.

export interface KeyResolveOptions {
  /** --kubeconfig (else KUBECONFIG files merged, else ~/.kube/config). */
  kubeconfig?: string;
  /** --context (else the kubeconfig's current-context). */
  context?: string;
  /** Environment for credentials and endpoint overrides (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * OAuth access-token sources for gcpkms:// and azurekms://. Default: Google's
   * Application Default Credentials (google-auth-library) and Azure's
   * DefaultAzureCredential (@azure/identity). Tests pass fakes.
   */
  tokens?: { gcp?: () => Promise<string>; azure?: () => Promise<string> };
  /** `--offline`: no Kubernetes API, no KMS; a reference is an error naming it. */
  offline?: boolean;
}
