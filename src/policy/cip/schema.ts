// The fields of sigstore policy-controller's ClusterImagePolicy and TrustRoot
// (policy.sigstore.dev/v1alpha1, v1beta1), for strict validation. Written from
// policy-controller's API types (pkg/apis/policy/v1beta1/clusterimagepolicy_types.go,
// v1alpha1/trustroot_types.go); every policy of the shared corpus passes them.

import { labelSelector } from '../kyverno/schema.js';
import { list, obj, OPAQUE, S } from '../strict.js';

const keyRef = obj({ data: S, secretRef: obj({ name: S, namespace: S }), kms: S, hashAlgorithm: S });

const policy = obj({
  type: S,
  data: S,
  remote: obj({ url: S, sha256sum: S }),
  configMapRef: obj({ name: S, namespace: S, key: S }),
  fetchConfigFile: S,
  includeSpec: S,
  includeObjectMeta: S,
  includeTypeMeta: S,
});

const authority = obj({
  name: S,
  key: keyRef,
  keyless: obj({
    url: S,
    identities: list(obj({ issuer: S, subject: S, issuerRegExp: S, subjectRegExp: S })),
    'ca-cert': keyRef,
    trustRootRef: S,
    insecureIgnoreSCT: S,
  }),
  static: obj({ action: S, message: S }),
  source: list(obj({ oci: S, signaturePullSecrets: list(obj({ name: S })), tagPrefix: S })),
  ctlog: obj({ url: S, trustRootRef: S }),
  attestations: list(obj({ name: S, predicateType: S, policy })),
  rfc3161timestamp: obj({ trustRootRef: S }),
  signatureFormat: S,
});

export const clusterImagePolicy = obj({
  apiVersion: S,
  kind: S,
  metadata: OPAQUE,
  status: OPAQUE,
  spec: obj({
    images: list(obj({ glob: S })),
    authorities: list(authority),
    policy,
    mode: S,
    match: list(obj({ group: S, version: S, resource: S, selector: labelSelector })),
  }),
});

const distinguishedName = obj({ organization: S, commonName: S });
const certificateAuthority = obj({ subject: distinguishedName, uri: S, certChain: S });
const logInstance = obj({ baseURL: S, hashAlgorithm: S, publicKey: S, logID: S });

export const trustRoot = obj({
  apiVersion: S,
  kind: S,
  metadata: OPAQUE,
  status: OPAQUE,
  spec: obj({
    remote: obj({ root: S, mirror: S, targets: S, trustedRootTarget: S }),
    repository: obj({ root: S, mirrorFS: S, targets: S, trustedRootTarget: S }),
    sigstoreKeys: obj({
      certificateAuthorities: list(certificateAuthority),
      tLogs: list(logInstance),
      ctLogs: list(logInstance),
      timestampAuthorities: list(certificateAuthority),
    }),
  }),
});
