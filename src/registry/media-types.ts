// Media types the read path asks for and understands.

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** Accept header for manifests: images and indexes, OCI and Docker schema2. */
export const OCI_ARTIFACT_MANIFEST = 'application/vnd.oci.artifact.manifest.v1+json';
export const MANIFEST_ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_ARTIFACT_MANIFEST].join(', ');

/** Manifests are small; anything larger is refused rather than buffered (containerd uses the same cap). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
