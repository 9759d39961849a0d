// Test/demo tooling: signs Kubernetes manifests in k8s-manifest-sigstore's annotation format
// (what `kubectl sigstore sign` writes) and pushes manifest bundle images, for the cases the
// real tool cannot make offline: a transparency-log bundle (it uploads to the public Rekor).
// The differential tests sign with the real `kubectl sigstore`; this only fills that gap.
import { gzipSync } from 'node:zlib';
import { Document, parseAllDocuments } from 'yaml';
import { rekorBundle, signPayload, type RekorSigning, type TestKeyPair } from './cosign-signer.js';
import { pushBlob, pushManifest } from './oci-push.js';

export interface ManifestSigning {
  key: TestKeyPair;
  /** Log the signature in a (fake) Rekor: adds the `bundle` annotation. */
  rekor?: RekorSigning;
  /** Annotation domain (default cosign.sigstore.dev). */
  domain?: string;
}

/** Every document of `text`, each annotated with the message of them all and its signature (kubectl sigstore sign --tarball no). */
export function signManifests(text: string, opts: ManifestSigning): string {
  const domain = opts.domain ?? 'cosign.sigstore.dev';
  const docs = parseAllDocuments(text) as Document[];
  const message = Buffer.from(docs.map((d) => d.toString()).join('---\n'));
  const signature = signPayload(opts.key, message).toString('base64');
  const annotations: Record<string, string> = {
    [`${domain}/message`]: gzipSync(message).toString('base64'),
    [`${domain}/signature`]: signature,
  };
  if (opts.rekor) annotations[`${domain}/bundle`] = gzipSync(Buffer.from(rekorBundle(opts.rekor, message, signature, opts.key.publicKeyPem))).toString('base64');
  for (const d of docs) for (const [k, v] of Object.entries(annotations)) d.setIn(['metadata', 'annotations', k], v);
  return docs.map((d) => d.toString()).join('---\n');
}

/** A manifest bundle image: one text/plain layer holding the YAML, as `kubectl sigstore sign -i` pushes it. Returns its digest. */
export async function pushManifestBundle(registry: string, repo: string, tag: string, yaml: string): Promise<string> {
  const layer = Buffer.from(yaml);
  const layerDigest = await pushBlob(registry, repo, layer);
  const config = Buffer.from(JSON.stringify({ architecture: '', created: '0001-01-01T00:00:00Z', os: '', rootfs: { type: 'layers', diff_ids: [layerDigest] }, config: {} }));
  const configDigest = await pushBlob(registry, repo, config);
  return pushManifest(registry, repo, tag, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: configDigest },
    layers: [{ mediaType: 'text/plain', size: layer.length, digest: layerDigest }],
  });
}
