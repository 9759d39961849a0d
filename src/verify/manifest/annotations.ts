// Where k8s-manifest-sigstore (`kubectl sigstore sign`) keeps a manifest's signature in
// its annotations: `<domain>/message` (the signed YAML, gzipped, base64), `<domain>/signature`,
// then `signature_1`, `signature_2`… each with its `certificate_i` and `bundle_i`, or a
// manifest bundle image named by `<domain>/resourceBundleRef`. Pure.

import { gunzipSync } from 'node:zlib';

export interface SignatureSet {
  /** Which one, as the annotation names it: `signature`, `signature_1`… */
  name: string;
  message: string;
  signature: string;
  certificate?: string;
  bundle?: string;
}

const key = (domain: string, base: string, i = 0) => `${domain}/${base}${i > 0 ? `_${i}` : ''}`;

export const messageKey = (domain: string) => key(domain, 'message');
export const bundleRefKey = (domain: string) => key(domain, 'resourceBundleRef');

/** AnnotationConfig.GetAllSignatureSets: the message and each numbered signature, until one is missing. */
export function signatureSets(annotations: Readonly<Record<string, string>>, domain: string): SignatureSet[] {
  const message = annotations[messageKey(domain)];
  if (message === undefined) return [];
  const out: SignatureSet[] = [];
  for (let i = 0; ; i++) {
    const signature = annotations[key(domain, 'signature', i)];
    if (signature === undefined) break;
    const set: SignatureSet = { name: i === 0 ? 'signature' : `signature_${i}`, message, signature };
    const certificate = annotations[key(domain, 'certificate', i)];
    const bundle = annotations[key(domain, 'bundle', i)];
    if (certificate !== undefined) set.certificate = certificate;
    if (bundle !== undefined) set.bundle = bundle;
    out.push(set);
  }
  return out;
}

/** AnnotationConfig.AnnotationKeyMask: the signature's own annotations are never compared. */
export function signatureAnnotationFields(domain: string): string[] {
  return ['message', 'signature', 'certificate', 'bundle', 'resourceBundleRef'].map((b) => `metadata.annotations.${key(domain, b)}*`);
}

/** An annotation value as Go's base64.StdEncoding reads it (surrounding space trimmed); undefined when it is not base64. */
export function base64Bytes(text: string): Buffer | undefined {
  const t = text.trim();
  return /^[A-Za-z0-9+/]*={0,2}$/.test(t) && t.length % 4 === 0 && t.length > 0 ? Buffer.from(t, 'base64') : undefined;
}

/** `base64(gzip(text))`, the library's form for certificates and Rekor bundles; undefined when it is not that. */
export function gunzippedText(text: string): string | undefined {
  const bytes = base64Bytes(text);
  if (!bytes) return undefined;
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch {
    return undefined;
  }
}
