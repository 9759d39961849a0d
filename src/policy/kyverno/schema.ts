// The fields of Kyverno's ClusterPolicy/Policy (kyverno.io/v1, v2beta1) and
// ImageValidatingPolicy (policies.kyverno.io/v1, v1beta1, v1alpha1), for strict validation.
// Written from Kyverno's API types (api/kyverno/v1/*_types.go, api/policies.kyverno.io/v1,
// the v1.19.0 CRDs); every policy of the shared corpus passes them (test/policy/corpus.test.ts).
// Rule kinds this tool does not evaluate (mutate, validate, generate) stay opaque.

import { lazy, list, map, obj, OPAQUE, S, type Shape } from '../strict.js';

export const labelSelector = obj({
  matchLabels: map(S),
  matchExpressions: list(obj({ key: S, operator: S, values: list(S) })),
});

// --- ClusterPolicy / Policy -------------------------------------------------------------

const resourceDescription = obj({
  kinds: list(S),
  name: S,
  names: list(S),
  namespaces: list(S),
  annotations: map(S),
  selector: labelSelector,
  namespaceSelector: labelSelector,
  operations: list(S),
});
const userInfo = { subjects: list(OPAQUE), roles: list(S), clusterRoles: list(S) };
const resourceFilter = obj({ resources: resourceDescription, ...userInfo });
const matchResources = obj({ any: list(resourceFilter), all: list(resourceFilter), resources: resourceDescription, ...userInfo });

const rekor = obj({ url: S, pubkey: S, ignoreTlog: S });
const ctlog = obj({ ignoreSCT: S, pubkey: S, tsaCertChain: S });
const condition = obj({ key: OPAQUE, operator: S, value: OPAQUE, message: S });
const conditionBlocks = list(obj({ any: list(condition), all: list(condition) }));

const attestorSet: Shape = obj({
  count: S,
  entries: list(
    obj({
      keys: obj({ publicKeys: S, signatureAlgorithm: S, kms: S, secret: obj({ name: S, namespace: S }), rekor, ctlog }),
      certificates: obj({ cert: S, certChain: S, rekor, ctlog }),
      keyless: obj({ rekor, ctlog, issuer: S, issuerRegExp: S, subject: S, subjectRegExp: S, roots: S, additionalExtensions: map(S) }),
      // A nested attestor set (raw JSON in Kyverno's types), for N-of-M inside N-of-M.
      attestor: lazy(() => attestorSet),
      annotations: map(S),
      repository: S,
      signatureAlgorithm: S,
    }),
  ),
});

const imageVerification = obj({
  failureAction: S,
  type: S,
  imageReferences: list(S),
  skipImageReferences: list(S),
  attestors: list(attestorSet),
  attestations: list(obj({ name: S, type: S, predicateType: S, attestors: list(attestorSet), conditions: conditionBlocks })),
  repository: S,
  cosignOCI11: S,
  mutateDigest: S,
  verifyDigest: S,
  required: S,
  useCache: S,
  validate: obj({ message: S, deny: obj({ conditions: OPAQUE }) }),
  imageRegistryCredentials: obj({ allowInsecureRegistry: S, providers: list(S), secrets: list(S) }),
  // Deprecated forms, still accepted by Kyverno's Convert().
  image: S,
  key: S,
  roots: S,
  subject: S,
  issuer: S,
  additionalExtensions: map(S),
  annotations: map(S),
});

const failureActionOverrides = list(obj({ action: S, namespaces: list(S), namespaceSelector: labelSelector }));

// validate.manifests (api/kyverno/v1 Manifests; ignoreFields are k8s-manifest-sigstore ObjectFieldBindings).
const manifests = obj({
  attestors: list(attestorSet),
  annotationDomain: S,
  ignoreFields: list(obj({ fields: list(S), objects: list(obj({ group: S, version: S, kind: S, name: S, namespace: S })) })),
  dryRun: obj({ enable: S, namespace: S }),
  repository: S,
});

// Only `manifests` is evaluated here; the other validation kinds stay opaque.
const validate = obj({
  failureAction: S,
  failureActionOverrides,
  allowExistingViolations: S,
  message: S,
  manifests,
  foreach: OPAQUE,
  pattern: OPAQUE,
  anyPattern: OPAQUE,
  deny: OPAQUE,
  podSecurity: OPAQUE,
  cel: OPAQUE,
  assert: OPAQUE,
});

const rule = obj({
  name: S,
  context: OPAQUE,
  match: matchResources,
  exclude: matchResources,
  imageExtractors: map(list(obj({ path: S, value: S, name: S, key: S, jmesPath: S }))),
  preconditions: OPAQUE,
  celPreconditions: OPAQUE,
  mutate: OPAQUE,
  validate,
  generate: OPAQUE,
  verifyImages: list(imageVerification),
  skipBackgroundRequests: S,
  reportProperties: map(S),
});

export const clusterPolicy = obj({
  apiVersion: S,
  kind: S,
  metadata: OPAQUE,
  status: OPAQUE,
  spec: obj({
    rules: list(rule),
    applyRules: S,
    failurePolicy: S,
    validationFailureAction: S,
    validationFailureActionOverrides: failureActionOverrides,
    emitWarning: S,
    admission: S,
    background: S,
    schemaValidation: S,
    webhookTimeoutSeconds: S,
    mutateExistingOnPolicyUpdate: S,
    generateExistingOnPolicyUpdate: S,
    generateExisting: S,
    useServerSideApply: S,
    webhookConfiguration: obj({ failurePolicy: S, timeoutSeconds: S, matchConditions: list(obj({ name: S, expression: S })) }),
  }),
});

// --- ImageValidatingPolicy ---------------------------------------------------------------

const valueOrExpression = obj({ value: S, expression: S });
const namedRule = obj({ apiGroups: list(S), apiVersions: list(S), resources: list(S), operations: list(S), scope: S, resourceNames: list(S) });

const cosign = obj({
  key: obj({ data: S, kms: S, expression: S, hashAlgorithm: S }),
  keyless: obj({
    identities: list(obj({ issuer: S, issuerRegExp: S, subject: S, subjectRegExp: S, subjectExpression: S })),
    roots: S,
    additionalExtensions: map(S),
  }),
  certificate: obj({ cert: valueOrExpression, certChain: valueOrExpression }),
  ctlog: obj({ url: S, rekorPubKey: S, ctLogPubKey: S, tsaCertChain: S, insecureIgnoreTlog: S, insecureIgnoreSCT: S }),
  // `PullSecrets` is capitalised in Kyverno's JSON tags (sic).
  source: obj({ repository: S, tagPrefix: S, PullSecrets: list(obj({ name: S })) }),
  tuf: obj({ mirror: S, root: obj({ path: S, data: S }) }),
  trustedRoot: valueOrExpression,
  annotations: map(S),
});

export const imageValidatingPolicy = obj({
  apiVersion: S,
  kind: S,
  metadata: OPAQUE,
  status: OPAQUE,
  spec: obj({
    matchConstraints: obj({
      resourceRules: list(namedRule),
      excludeResourceRules: list(namedRule),
      namespaceSelector: labelSelector,
      objectSelector: labelSelector,
      matchPolicy: S,
    }),
    matchConditions: list(obj({ name: S, expression: S })),
    matchImageReferences: list(obj({ glob: S, expression: S })),
    images: list(obj({ name: S, expression: S })),
    attestors: list(obj({ name: S, cosign, notary: obj({ certs: valueOrExpression, tsaCerts: valueOrExpression }) })),
    attestations: list(obj({ name: S, intoto: obj({ type: S }), referrer: obj({ type: S }) })),
    validations: list(obj({ expression: S, message: S, messageExpression: S, reason: S })),
    validationActions: list(S),
    failurePolicy: S,
    validationConfigurations: obj({ mutateDigest: S, verifyDigest: S, required: S }),
    credentials: obj({ allowInsecureRegistry: S, providers: list(S), secrets: list(S) }),
    evaluation: obj({ mode: S, admission: obj({ enabled: S }), background: obj({ enabled: S }) }),
    variables: list(obj({ name: S, expression: S })),
    auditAnnotations: list(obj({ key: S, valueExpression: S })),
    webhookConfiguration: obj({ timeoutSeconds: S }),
    autogen: obj({ podControllers: obj({ controllers: list(S) }) }),
  }),
});
