// Docker image reference grammar (distribution/reference) and the two
// normalisations our policy formats rely on. Pure: no I/O.

/** A parsed image reference, as written in a manifest. */
export interface ImageRef {
  /** The reference exactly as written. */
  raw: string;
  /** Registry host[:port] as written, or 'docker.io' when none was written. */
  registry: string;
  /** Repository path inside the registry; Docker Hub official images get `library/`. */
  repository: string;
  tag?: string;
  /** `algorithm:hex` when the reference carries a digest. */
  digest?: string;
}

export class ReferenceError extends Error {
  readonly code = 'INVALID_REFERENCE';
}

/** Parses a reference; throws ReferenceError with the reason when it is not valid. */
export declare function parseReference(raw: string): ImageRef;
/** Kyverno form: `docker.io/library/nginx:latest`, or `registry/path@digest` when a digest is present. */
export declare function kyvernoName(ref: ImageRef): string;
/** policy-controller form (go-containerregistry `Name()`): `index.docker.io/library/nginx:latest`, `…:tag@digest` kept as written. */
export declare function cipName(ref: ImageRef): string;
/** Host to contact for the registry API: docker.io → registry-1.docker.io. */
export declare function registryHost(ref: ImageRef): string;
