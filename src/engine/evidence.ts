// Fetches the evidence a requirement needs, each thing once per run: tags are
// resolved once per repository, a `.sig` manifest and its layers once per
// (repository, digest), however many workloads and policies ask.

import type { Descriptor, RegistryClient, Repository } from '../registry/types.js';
import type { SignatureLayer } from '../verify/types.js';

/** cosign's tag for legacy signatures of a digest: `sha256-<hex>.sig`. */
export function signatureTag(digest: string, suffix = 'sig'): string {
  return `${digest.replace(':', '-')}.${suffix}`;
}

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';

export interface Evidence {
  resolve(repo: Repository, reference: string): Promise<Descriptor>;
  /** The layers of `<sigRepo>:sha256-<hex>.sig`, payloads fetched and checked; [] when there is no signature tag. */
  signatureLayers(sigRepo: Repository, digest: string): Promise<SignatureLayer[]>;
}

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

  return {
    resolve: (repo, reference) => once(`resolve ${repoKey(repo)}:${reference}`, () => registry.resolve(repo, reference)),
    signatureLayers: (sigRepo, digest) =>
      once(`sig ${repoKey(sigRepo)}@${digest}`, async () => {
        const manifest = await registry.manifest(sigRepo, signatureTag(digest));
        if (!manifest) return [];
        const layers = Array.isArray(manifest.json.layers) ? (manifest.json.layers as Descriptor[]) : [];
        return Promise.all(
          layers.slice(0, MAX_LAYERS).map(async (layer) => ({
            mediaType: String(layer.mediaType),
            digest: String(layer.digest),
            annotations: (layer.annotations ?? {}) as Record<string, string>,
            payload: await once(`blob ${repoKey(sigRepo)}@${layer.digest}`, () => registry.blob(sigRepo, String(layer.digest))),
          })),
        );
      }),
  };
}
