// Secrets read from the repository (a policy folder, or the manifests verified): where Flux's
// `spec.verify.secretRef` keys come from when the Secret is committed (public keys only are read). Pure.

/** A Secret found in the policy files or the inputs (Flux `spec.verify.secretRef`). */
export interface SecretObject {
  /** Undefined when the document names none (a kustomization's namespace would set it): matched by name then. */
  namespace?: string;
  name: string;
  /** Data key → bytes (`data` decoded, `stringData` as is). */
  data: Map<string, Buffer>;
  file: string;
}

/** Secrets among policy documents and input objects: `data` base64-decoded, `stringData` as is. */
export function secretOf(object: Record<string, unknown>, file: string, defaultNamespace?: string): SecretObject | undefined {
  if (object.kind !== 'Secret' || object.apiVersion !== 'v1') return undefined;
  const meta = (object.metadata ?? {}) as Record<string, unknown>;
  if (typeof meta.name !== 'string') return undefined;
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries((object.data ?? {}) as Record<string, unknown>)) if (typeof v === 'string') data.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries((object.stringData ?? {}) as Record<string, unknown>)) if (typeof v === 'string') data.set(k, Buffer.from(v));
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : defaultNamespace;
  return { ...(namespace !== undefined && { namespace }), name: meta.name, data, file };
}

/** The Secret a reference names; one written without a namespace matches by name. */
export function findSecret(secrets: readonly SecretObject[], ref: { namespace: string; name: string }): SecretObject | undefined {
  return secrets.find((s) => s.name === ref.name && (s.namespace === undefined || s.namespace === ref.namespace));
}
