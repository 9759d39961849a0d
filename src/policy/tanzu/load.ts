// VMware Tanzu SCST-Sign `ClusterImagePolicy` (signing.apps.tanzu.vmware.com/v1beta1; the older
// signing.run.tanzu.vmware.com versions with a deprecation note), as TAP documents it
// (research/tanzu-scst-sign.md): one policy named `image-policy`; each `images[]` pattern needs a
// cosign `.sig` signature verified by any one of its keys; excluded namespaces are not checked.

import type { PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import type { InvalidRequirement, KeyRequirement, Policy, PolicyRule } from '../model.js';
import { inlineKeys, invalidLeaf } from '../pem.js';
import { checkFields, list, obj, OPAQUE, S } from '../strict.js';

const CURRENT = 'signing.apps.tanzu.vmware.com/v1beta1';
const OLD = ['signing.run.tanzu.vmware.com/v1alpha1', 'signing.run.tanzu.vmware.com/v1beta1'];
/** The kinds the webhook intercepts (no ReplicationController, no PodTemplate). */
const KINDS = ['/v1/Pod', 'apps/*/ReplicaSet', 'apps/*/Deployment', 'batch/*/Job', 'apps/*/StatefulSet', 'apps/*/DaemonSet', 'batch/*/CronJob'];

const shape = obj({
  apiVersion: S,
  kind: S,
  metadata: OPAQUE,
  status: OPAQUE,
  spec: obj({
    verification: obj({
      keys: list(obj({ name: S, publicKey: S })),
      images: list(obj({ namePattern: S, keys: list(obj({ name: S })), secretRef: obj({ name: S, namespace: S }) })),
      exclude: obj({ resources: obj({ namespaces: list(S) }) }),
    }),
  }),
});

export function load(doc: PolicyDocument): Policy | null {
  const { apiVersion, kind } = doc.value;
  if (kind !== 'ClusterImagePolicy' || typeof apiVersion !== 'string' || !/\.tanzu\.vmware\.com\//.test(apiVersion)) return null;
  const root = Field.root(doc);
  if (apiVersion !== CURRENT && !OLD.includes(apiVersion)) throw root.at('apiVersion').error(`unsupported apiVersion ${apiVersion} (Tanzu SCST-Sign reads ${CURRENT})`);
  checkFields(doc, shape, 'a Tanzu SCST-Sign ClusterImagePolicy');
  const name = root.at('metadata').at('name').string();
  if (name !== 'image-policy') {
    throw root.at('metadata').at('name').error(`the Tanzu webhook reads only the ClusterImagePolicy named "image-policy"; "${name ?? ''}" would be ignored in the cluster, so nothing would be verified`);
  }
  const v = root.at('spec').at('verification');
  // A key that does not parse fails the patterns that name it, not the whole policy (as a broken key in one Kyverno rule).
  const keys = new Map<string, { pem: string; line: number } | InvalidRequirement>();
  for (const k of v.at('keys').list()) {
    const keyName = k.at('name').requiredString();
    if (keys.has(keyName)) throw k.at('name').error(`duplicate key name "${keyName}"`);
    const parsed = inlineKeys(k.at('publicKey'));
    keys.set(keyName, parsed.kind === 'invalid' ? invalidLeaf(k.at('publicKey'), root, parsed.problem) : { pem: parsed.keys[0]!, line: k.at('publicKey').line });
  }
  const excluded = v.at('exclude').at('resources').at('namespaces').stringList();
  const images = v.at('images').list();
  if (images.length === 0) throw v.at('images').error('needs at least one image name pattern');
  const rules = images.map((img): PolicyRule => {
    const pattern = img.at('namePattern').requiredString();
    const refs = img.at('keys').list();
    if (refs.length === 0) throw img.at('keys').error('needs at least one key name');
    const leaves = refs.map((r): KeyRequirement | InvalidRequirement => {
      const keyName = r.at('name').requiredString();
      const key = keys.get(keyName);
      if (!key) throw r.at('name').error(`no key named "${keyName}" in spec.verification.keys (${[...keys.keys()].join(', ') || 'none'})`);
      if ('kind' in key) return key;
      // cosign 1.x key verification, as the webhook ran it: no transparency log.
      return { kind: 'key', path: `${img.rel(root)}.keys[${keyName}]`, line: key.line, keys: [key.pem], hashAlgorithm: 'sha256', annotations: {}, tlog: 'ignore' };
    });
    return {
      file: doc.file,
      line: img.line,
      path: img.rel(root),
      ruleName: pattern,
      images: { flavour: 'tanzu', include: tanzuPatterns(pattern), exclude: [] },
      resources: { match: [[{ kinds: KINDS }]], exclude: [] },
      ...(excluded.length > 0 && { skipNamespaces: excluded }),
      mode: 'enforce',
      onError: 'block',
      digest: { mutateDigest: true, verifyDigest: true, required: true },
      // "at least one key … for each container image that matches": any one of the pattern's keys.
      requirement: leaves.length === 1 ? leaves[0]! : { kind: 'any', path: `${img.rel(root)}.keys`, of: leaves },
    };
  });
  // TAP's webhook denies an image no pattern matches unless its install value allow_unmatched_images
  // is true (default false): a rule of its own, for those images only; the config's
  // tanzuAllowUnmatchedImages drops it (run.ts).
  const patterns = rules.flatMap((r) => r.images.include);
  rules.push({
    file: doc.file,
    line: v.at('images').line,
    path: 'spec.verification.images',
    ruleName: '(no namePattern matches)',
    images: { flavour: 'tanzu', include: ['*'], exclude: [], deferTo: patterns },
    resources: { match: [[{ kinds: KINDS }]], exclude: [] },
    ...(excluded.length > 0 && { skipNamespaces: excluded }),
    mode: 'enforce',
    onError: 'block',
    digest: { mutateDigest: false, verifyDigest: false, required: false },
    unmatchedDefault: true,
    requirement: {
      kind: 'static',
      path: '',
      action: 'fail',
      message:
        'no namePattern of spec.verification.images matches this image, and TAP\'s webhook denies such images unless it was installed with allow_unmatched_images: true (the default is false); if yours was, set tanzuAllowUnmatchedImages: true in .verify-imagesrc.yaml',
    },
  });
  return {
    format: 'tanzu',
    file: doc.file,
    line: doc.line,
    name,
    rules,
    ...(apiVersion !== CURRENT && { warnings: [`${doc.file}:${doc.line}: ${apiVersion} is the pre-1.0 Tanzu API (the group was renamed to ${CURRENT}); read the same way`] }),
  };
}

/**
 * A pattern without a tag (no `:` after its last `/`) matches any tag: `X` ≡ `X:*`. A reference
 * by digest is matched too (`X@*`), so it is judged rather than left unmatched.
 */
export function tanzuPatterns(pattern: string): string[] {
  const hasTag = pattern.lastIndexOf(':') > pattern.lastIndexOf('/');
  return hasTag || pattern.endsWith('*') ? [pattern] : [pattern, `${pattern}:*`, `${pattern}@*`];
}
