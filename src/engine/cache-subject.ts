// What an attestation verdict is cached under, shared by the prefetch (which skips fetching what the
// cache already decided) and the check itself. Light: no verifier is loaded for it.

import type { ImageRef } from '../images/reference.js';
import { imageVars } from '../policy/conditions.js';
import type { AttestationRequirement } from '../policy/model.js';
import type { Repository } from '../registry/types.js';

/** Conditions may read image.* variables, which differ between references to one digest. */
export function attestationCacheSubject(leaf: AttestationRequirement, ref: ImageRef, digest: string): unknown {
  return leaf.conditions.length > 0 ? { leaf, image: imageVars(ref, digest) } : leaf;
}

/** Where a verdict's evidence was found (`registry/repository`): part of its cache key. */
export function evidenceSite(repo: Repository): string {
  return `${repo.registry}/${repo.repository}`;
}
