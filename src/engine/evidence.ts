// Fetches the evidence a requirement needs, each thing once per run: tags are
// resolved once per repository, a `.sig` manifest and its layers once per
// (repository, digest), however many workloads and policies ask.

import { ggcrRepository, type ImageRef } from '../images/reference.js';
import { RegistryError, type Descriptor, type FetchedManifest, type RegistryClient, type Repository } from '../registry/types.js';
import { knownPayload } from '../verify/sig-payload.js';
import type { SignatureLayer } from '../verify/types.js';

/** cosign's tag for legacy signatures of a digest: `sha256-<hex>.sig`. */
export function signatureTag(digest: string, suffix = 'sig'): string {
  return `${digest.replace(':', '-')}.${suffix}`;
}

/** A Sigstore bundle found as an OCI referrer of an image (cosign v3). */
export interface FoundBundle {
  /** The referrer manifest's digest. */
  manifest: string;
  /** `dev.sigstore.bundle.predicateType` as the referrer names it (unverified). */
  predicateType?: string;
  bytes: Uint8Array;
}

export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const NOTATION_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';
const NOTATION_ENVELOPES = new Set(['application/jose+json', 'application/cose']);
const OCI_ARTIFACT_MANIFEST = 'application/vnd.oci.artifact.manifest.v1+json';
/** notation-go's limits (registry/repository.go). */
const MAX_NOTATION_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_NOTATION_BLOB_BYTES = 32 * 1024 * 1024;
const BUNDLE_LAYER_PREFIX = 'application/vnd.dev.sigstore.bundle';

export interface Evidence {
  resolve(repo: Repository, reference: string): Promise<Descriptor>;
  /**
   * The layers of `<sigRepo>:sha256-<hex>.sig`, payloads fetched and checked; [] when there is no
   * signature tag. With the image's reference, a plain cosign payload is recognised by its digest
   * and not fetched (verify/sig-payload.ts knownPayload).
   */
  signatureLayers(sigRepo: Repository, digest: string, image?: ImageRef): Promise<SignatureLayer[]>;
  /** The layers of `<sigRepo>:sha256-<hex>.att` (cosign legacy attestations); [] when there is none. */
  attestationLayers(sigRepo: Repository, digest: string): Promise<SignatureLayer[]>;
  /** Sigstore bundles referring to the digest (referrers API, tag-schema fallback); [] when there are none. */
  bundles(repo: Repository, digest: string): Promise<FoundBundle[]>;
  /** Notary Project signatures referring to the digest (referrers API, tag-schema fallback), in referrers order. */
  notationSignatures(repo: Repository, digest: string): Promise<Descriptor[]>;
  /** The one envelope of a Notation signature manifest, or why it is not one. */
  notationEnvelope(repo: Repository, manifest: Descriptor): Promise<{ mediaType: string; bytes: Uint8Array } | { problem: string }>;
  /** Referrers of one artifact type (Kyverno Notary attestations). */
  referrers(repo: Repository, digest: string, artifactType: string): Promise<Descriptor[]>;
  /** A manifest by digest (checked), null when absent. */
  manifest(repo: Repository, digest: string): Promise<FetchedManifest | null>;
  blob(repo: Repository, digest: string): Promise<Uint8Array>;
  /** When the digest `resolve` gave was recorded (--offline: from the cache); undefined when resolved now. */
  resolvedAt?(repo: Repository, reference: string): number | undefined;
}

/** At most this many bundle referrers are read per digest (cosign reads them all; this bounds a hostile registry). */
const MAX_BUNDLES = 100;

/** cosign's cap on signature layers (pkg/oci/remote maxLayers). */
const MAX_LAYERS = 1000;

export function createEvidence(registry: RegistryClient): Evidence {
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, make: () => Promise<T>): Promise<T> => {
    let p = memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      memo.set(key, p);
    }
    return p;
  };
  const repoKey = (r: Repository) => `${r.registry}/${r.repository}`;

  const layersOf = (suffix: 'sig' | 'att') => (sigRepo: Repository, digest: string, image?: ImageRef) =>
      once(`${suffix} ${repoKey(sigRepo)}@${digest}`, async () => {
        const manifest = await registry.manifest(sigRepo, signatureTag(digest, suffix));
        if (!manifest) return [];
        const layers = Array.isArray(manifest.json.layers) ? (manifest.json.layers as Descriptor[]) : [];
        return Promise.all(
          layers.slice(0, MAX_LAYERS).map(async (layer) => ({
            mediaType: String(layer.mediaType),
            digest: String(layer.digest),
            annotations: (layer.annotations ?? {}) as Record<string, string>,
            payload: (suffix === 'sig' && image && knownPayload(layer, ggcrRepository(image), digest)) || (await blob(sigRepo, String(layer.digest))),
          })),
        );
      });

  const manifest = (repo: Repository, digest: string) => once(`manifest ${repoKey(repo)}@${digest}`, () => registry.manifest(repo, digest));
  const blob = (repo: Repository, digest: string) => once(`blob ${repoKey(repo)}@${digest}`, () => registry.blob(repo, digest));
  const referrers = (repo: Repository, digest: string, artifactType: string) =>
    once(`referrers ${repoKey(repo)}@${digest} ${artifactType}`, () => registry.referrers(repo, digest, artifactType));
  return {
    manifest,
    blob,
    referrers,
    notationSignatures: (repo, digest) => referrers(repo, digest, NOTATION_ARTIFACT_TYPE),
    notationEnvelope: (repo, d) =>
      once(`notation ${repoKey(repo)}@${d.digest}`, async () => {
        if (d.size > MAX_NOTATION_MANIFEST_BYTES) return { problem: `signature manifest ${d.digest} is larger than 4 MiB` };
        const m = await manifest(repo, d.digest);
        if (!m) return { problem: `signature manifest ${d.digest} is missing` };
        const json = m.json;
        // Both flavours: an OCI image manifest (artifactType or config media type), or the old artifact manifest (blobs).
        const isImage = json['artifactType'] === NOTATION_ARTIFACT_TYPE || (json['config'] as { mediaType?: unknown } | undefined)?.mediaType === NOTATION_ARTIFACT_TYPE;
        const isArtifact = m.mediaType === OCI_ARTIFACT_MANIFEST && json['artifactType'] === NOTATION_ARTIFACT_TYPE;
        if (!isImage && !isArtifact) return { problem: `${d.digest} is not a Notation signature manifest` };
        const entries = (isArtifact ? json['blobs'] : json['layers']) as Descriptor[] | undefined;
        if (!Array.isArray(entries) || entries.length !== 1) return { problem: `signature manifest ${d.digest} must hold exactly one envelope (it has ${Array.isArray(entries) ? entries.length : 0})` };
        const layer = entries[0]!;
        if (!NOTATION_ENVELOPES.has(String(layer.mediaType))) return { problem: `signature envelope type ${JSON.stringify(String(layer.mediaType).slice(0, 60))} is not supported` };
        if (typeof layer.size !== 'number' || layer.size > MAX_NOTATION_BLOB_BYTES) return { problem: `signature envelope of ${d.digest} is larger than 32 MiB` };
        return { mediaType: String(layer.mediaType), bytes: await blob(repo, String(layer.digest)) };
      }),
    resolve: (repo, reference) => once(`resolve ${repoKey(repo)}:${reference}`, () => registry.resolve(repo, reference)),
    signatureLayers: layersOf('sig'),
    attestationLayers: layersOf('att'),
    bundles: (repo, digest) =>
      once(`bundles ${repoKey(repo)}@${digest}`, async () => {
        const referrers = await registry.referrers(repo, digest, BUNDLE_ARTIFACT_TYPE);
        const found = await Promise.all(
          referrers.slice(0, MAX_BUNDLES).map(async (d): Promise<FoundBundle | undefined> => {
            const manifest = await registry.manifest(repo, d.digest);
            const layers = Array.isArray(manifest?.json.layers) ? (manifest.json.layers as Descriptor[]) : [];
            // cosign: exactly one bundle layer; anything else is not a bundle referrer.
            const bundleLayers = layers.filter((l) => typeof l.mediaType === 'string' && l.mediaType.startsWith(BUNDLE_LAYER_PREFIX));
            if (!manifest || bundleLayers.length !== 1) return undefined;
            const layer = bundleLayers[0]!;
            const annotations = { ...((manifest.json.annotations ?? {}) as Record<string, string>), ...(d.annotations ?? {}) };
            const predicateType = annotations['dev.sigstore.bundle.predicateType'];
            return {
              manifest: d.digest,
              ...(typeof predicateType === 'string' && { predicateType }),
              bytes: await once(`blob ${repoKey(repo)}@${layer.digest}`, () => registry.blob(repo, String(layer.digest))),
            };
          }),
        );
        return found.filter((b): b is FoundBundle => b !== undefined);
      }),
  };
}

/**
 * `--offline`: nothing is fetched. A tag resolves to the digest the cache last recorded for it
 * (`resolvedAt` says when); everything else is an error, so only cached verdicts decide.
 */
export function offlineEvidence(cache: { getTag(reference: string): Promise<{ digest: string; at: number } | undefined> }): Evidence {
  const ages = new Map<string, number>();
  const name = (r: Repository) => `${r.registry}/${r.repository}`;
  const none = (what: string) =>
    Promise.reject(new RegistryError('OFFLINE', `offline: no cached verdict for ${what} (--offline fetches nothing; a run with the network records one)`));
  return {
    async resolve(repo, reference) {
      const found = await cache.getTag(`${name(repo)}:${reference}`);
      if (!found) throw new RegistryError('OFFLINE', `offline: no cached digest for ${name(repo)}:${reference} (run once without --offline to record it)`);
      ages.set(`${name(repo)}:${reference}`, found.at);
      return { mediaType: '', digest: found.digest, size: 0 };
    },
    resolvedAt: (repo, reference) => ages.get(`${name(repo)}:${reference}`),
    signatureLayers: (r, d) => none(`${name(r)}@${d}`),
    notationSignatures: (r, d) => none(`${name(r)}@${d}`),
    notationEnvelope: (r, d) => none(`${name(r)}@${d.digest}`),
    referrers: (r, d) => none(`${name(r)}@${d}`),
    manifest: (r, d) => none(`${name(r)}@${d}`),
    blob: (r, d) => none(`${name(r)}@${d}`),
    attestationLayers: (r, d) => none(`${name(r)}@${d}`),
    bundles: (r, d) => none(`${name(r)}@${d}`),
  };
}
