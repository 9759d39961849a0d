// Attaches a signed attestation to an image in the forms cosign writes, so cosign, Kyverno and
// policy-controller read it with an ordinary attestation policy:
// - legacy: a layer of the `sha256-<hex>.att` image (DSSE envelope, predicateType annotation);
// - bundle: a Sigstore bundle v0.3 as an OCI referrer, recorded in the `sha256-<hex>` referrers-tag
//   index too (registries without the referrers API, distribution 2.8 among them).

import type { RegistryClient, RegistryWriter, Repository } from '../registry/types.js';
import { OCI_INDEX, OCI_MANIFEST } from '../registry/media-types.js';
import { digestOf } from '../registry/digest.js';

const DSSE_LAYER = 'application/vnd.dsse.envelope.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const EMPTY = 'application/vnd.oci.empty.v1+json';
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export type Registry = RegistryClient & RegistryWriter;

export interface Attestation {
  repo: Repository;
  /** The image manifest attested. */
  digest: string;
  predicateType: string;
  /** The DSSE envelope (JSON bytes) and its parsed form. */
  envelope: Buffer;
  envelopeJson: object;
}

/** `cosign attest` (legacy): appends the envelope to the `.att` image; an identical layer is not added twice. */
export async function attachLegacy(registry: Registry, a: Attestation): Promise<string> {
  const tag = `${a.digest.replace(':', '-')}.att`;
  const layerDigest = await registry.pushBlob(a.repo, a.envelope);
  const existing = await registry.manifest(a.repo, tag);
  const previous = ((existing?.json['layers'] as { digest: string }[] | undefined) ?? []).filter((l) => l.digest !== layerDigest);
  const layer = { mediaType: DSSE_LAYER, size: a.envelope.length, digest: layerDigest, annotations: { 'dev.cosignproject.cosign/signature': '', predicateType: a.predicateType } };
  const layers = [...previous, layer];
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) }, config: {} }));
  const configDigest = await registry.pushBlob(a.repo, config);
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, size: config.length, digest: configDigest }, layers };
  await registry.pushManifest(a.repo, tag, Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST);
  return `${a.repo.registry}/${a.repo.repository}:${tag}`;
}

/** `cosign attest --new-bundle-format` with a key and no transparency log: a bundle referrer. */
export async function attachBundle(registry: Registry, a: Attestation, publicKeyHint: string): Promise<string> {
  const subject = await registry.resolve(a.repo, a.digest);
  const bundle = Buffer.from(
    JSON.stringify({
      mediaType: BUNDLE_MEDIA_TYPE,
      verificationMaterial: { publicKey: { hint: publicKeyHint }, tlogEntries: [], timestampVerificationData: {} },
      dsseEnvelope: a.envelopeJson,
    }),
  );
  const empty = Buffer.from('{}');
  const emptyDigest = await registry.pushBlob(a.repo, empty);
  const bundleDigest = await registry.pushBlob(a.repo, bundle);
  const annotations = { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': a.predicateType };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE_MEDIA_TYPE,
      config: { mediaType: EMPTY, size: 2, digest: emptyDigest },
      layers: [{ mediaType: BUNDLE_MEDIA_TYPE, size: bundle.length, digest: bundleDigest }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations,
    }),
  );
  const digest = await registry.pushManifest(a.repo, digestOf(manifest), manifest, OCI_MANIFEST);
  // The referrers-tag schema: the index under sha256-<hex> lists every referrer of the subject.
  const tag = a.digest.replace(':', '-');
  const index = await registry.manifest(a.repo, tag);
  const listed = ((index?.json['manifests'] as { digest: string }[] | undefined) ?? []).filter((m) => m.digest !== digest);
  const entry = { mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: BUNDLE_MEDIA_TYPE, annotations };
  const updated = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...listed, entry] }));
  await registry.pushManifest(a.repo, tag, updated, OCI_INDEX);
  return `${a.repo.registry}/${a.repo.repository}@${digest}`;
}
