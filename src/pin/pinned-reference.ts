// The pinned form of a reference: keep what was written, add `@digest`. Pure.

/** `nginx:1.25` + `sha256:…` → `nginx:1.25@sha256:…`; an existing digest is replaced. */
export function pinnedReference(image: string, digest: string): string {
  const at = image.indexOf('@');
  return `${at === -1 ? image : image.slice(0, at)}@${digest}`;
}

/** Whether a reference already carries a digest. */
export function isPinned(image: string): boolean {
  return image.includes('@');
}

/** A kustomize `newTag` or Helm `tag` pinned: `1.25` → `1.25@sha256:…`. */
export function pinnedTag(tag: string, digest: string): string {
  return pinnedReference(tag, digest);
}
