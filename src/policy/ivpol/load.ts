// Kyverno ImageValidatingPolicy / NamespacedImageValidatingPolicy (policies.kyverno.io v1,
// v1beta1, v1alpha1) → one rule whose requirement is the compiled CEL program. Every spec field
// is implemented or a policy error that says so; CEL that does not compile is exit 2 at its line.

import type { PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import { kindForResource } from '../kinds.js';
import type { CelSelection, Policy, ResourceClause, ResourceFilter, Workload } from '../model.js';
import { APPLIED_NAMESPACE } from '../model.js';
import { labelSelector } from '../selector.js';
import { checkFields } from '../strict.js';
import { kyvernoSecretRefs } from '../kyverno/load.js';
import { imageValidatingPolicy } from '../kyverno/schema.js';
import { compileAttestor } from './attestors.js';
import type { CompiledExpr } from './cel.js';
import { celRuntime } from './cel-runtime.js';
import type { Attestation, Attestor, IvpolProgram, Validation } from './program.js';
import { ivpolGlobMatch } from './glob.js';

const VERSIONS = ['policies.kyverno.io/v1', 'policies.kyverno.io/v1beta1', 'policies.kyverno.io/v1alpha1'];

/** Variables every expression of the policy may name (Kubernetes evaluation mode). */
export const POLICY_VARIABLES = ['object', 'oldObject', 'request', 'namespaceObject', 'images', 'attestors', 'attestations', 'variables', 'image'];

/** Autogen: pod rules also judge these controllers (Kyverno's defaults for ImageValidatingPolicy). */
const POD_CONTROLLERS: Record<string, string> = {
  deployments: 'apps/*/Deployment',
  daemonsets: 'apps/*/DaemonSet',
  statefulsets: 'apps/*/StatefulSet',
  replicasets: 'apps/*/ReplicaSet',
  jobs: 'batch/*/Job',
  cronjobs: 'batch/*/CronJob',
};

/** The format loader: ImageValidatingPolicy kinds of policies.kyverno.io, else null. */
export function load(doc: PolicyDocument): Policy | null {
  const { apiVersion, kind } = doc.value;
  if (typeof apiVersion !== 'string' || !apiVersion.startsWith('policies.kyverno.io/')) return null;
  if (kind !== 'ImageValidatingPolicy' && kind !== 'NamespacedImageValidatingPolicy') return null;
  return loadImageValidatingPolicy(doc);
}

export function loadImageValidatingPolicy(doc: PolicyDocument): Policy {
  const root = Field.root(doc);
  const kind = String(doc.value['kind']);
  const apiVersion = String(doc.value['apiVersion']);
  if (!VERSIONS.includes(apiVersion)) throw root.at('apiVersion').error(`unsupported apiVersion ${apiVersion} for ${kind}`);
  checkFields(doc, imageValidatingPolicy, `a Kyverno ${kind}`);
  const spec = root.at('spec');
  const name = root.at('metadata').at('name').string() ?? '(unnamed)';
  const namespaced = kind === 'NamespacedImageValidatingPolicy';

  // Fields that cannot be honoured here make the policy's images undecided (blocking), never ignored.
  const mode = spec.at('evaluation').at('mode');
  const modeName = mode.string();
  if (modeName !== undefined && modeName !== 'Kubernetes' && modeName !== 'JSON') throw mode.error(`must be Kubernetes or JSON, not ${modeName}`);
  const unsupported = modeName === 'JSON' ? 'evaluation.mode JSON (it judges JSON payloads; this tool verifies rendered manifests)' : undefined;
  // `credentials` as Kyverno's imageRegistryCredentials: secrets (in Kyverno's namespace, or
  // `ns/name`) are read with --cluster, `providers` are the docker config's credential helpers,
  // and `allowInsecureRegistry` never downgrades transport (that is --insecure-registry's call).
  const pullSecrets = kyvernoSecretRefs(spec.at('credentials').at('secrets').stringList());

  const policyVariables = spec.at('variables').list().map((v) => v.at('name').requiredString());
  const compileAt = (f: Field, extra: string[] = [], output?: 'bool' | 'string'): CompiledExpr => {
    try {
      return celRuntime().compile(f.requiredString(), [...POLICY_VARIABLES, ...extra], output);
    } catch (err) {
      throw f.error((err as Error).message);
    }
  };

  const attestors = new Map<string, Attestor>();
  for (const a of spec.at('attestors').list()) {
    const attestor = compileAttestor(a, root, (f) => compileAt(f));
    if (attestors.has(attestor.name)) throw a.at('name').error(`duplicate attestor name "${attestor.name}"`);
    attestors.set(attestor.name, attestor);
  }
  const attestations = new Map<string, Attestation>();
  for (const a of spec.at('attestations').list()) {
    const attName = a.at('name').requiredString();
    const kinds = ['intoto', 'referrer'].filter((k) => a.has(k));
    if (kinds.length !== 1) throw a.error('needs exactly one of intoto, referrer');
    const k = kinds[0] as 'intoto' | 'referrer';
    attestations.set(attName, { name: attName, kind: k, type: a.at(k).at('type').requiredString() });
  }

  // `attestors.x` / `attestations.x` must name one the policy declares (a typo would verify nothing).
  const checkNames = (f: Field) => {
    const text = String(f.value ?? '');
    for (const [, kind, n] of text.matchAll(/\b(attestors|attestations)\.([A-Za-z_][\w]*)/g)) {
      const known = kind === 'attestors' ? attestors : attestations;
      if (!known.has(n!)) throw f.error(`${kind}.${n} is not declared in spec.${kind} (declared: ${[...known.keys()].join(', ') || 'none'})`);
    }
  };
  for (const v of spec.at('validations').list()) checkNames(v.at('expression'));

  const validations: Validation[] = spec.at('validations').list().map((v, index) => ({
    index,
    line: v.line,
    expression: compileAt(v.at('expression'), [], 'bool'),
    ...(v.at('message').string() !== undefined && { message: v.at('message').string()! }),
    ...(v.has('messageExpression') && { messageExpression: compileAt(v.at('messageExpression'), [], 'string') }),
  }));
  if (validations.length === 0) throw spec.at('validations').error('is required: an ImageValidatingPolicy without validations checks nothing');

  const references = spec.at('matchImageReferences').list().map((r) => {
    const kinds = ['glob', 'expression'].filter((k) => r.has(k));
    if (kinds.length !== 1) throw r.error('needs exactly one of glob, expression');
    if (r.has('glob')) {
      const glob = r.at('glob').requiredString();
      return (image: string) => ivpolGlobMatch(glob, image);
    }
    // `expression`: a tiny environment whose only variable is `ref`.
    let expr: CompiledExpr;
    try {
      expr = celRuntime().compile(r.at('expression').requiredString(), ['ref'], 'bool');
    } catch (err) {
      throw r.at('expression').error((err as Error).message);
    }
    return (image: string) => expr.eval({ ref: image }) === true;
  });
  const matchesImage = (image: string) => references.length === 0 || references.some((m) => m(image));

  const conditions = spec.at('matchConditions').list().map((c) => ({ name: c.at('name').requiredString(), expression: compileAt(c.at('expression'), [], 'bool') }));
  const cel: CelSelection = {
    images: (image) => {
      try {
        return matchesImage(image);
      } catch (err) {
        return `matchImageReferences: ${(err as Error).message}`;
      }
    },
    ...(conditions.length > 0 && {
      applies: (w: Workload) => {
        for (const c of conditions) {
          try {
            if (c.expression.eval(matchBindings(w)) !== true) return false;
          } catch (err) {
            return `matchConditions ${c.name}: ${err instanceof celRuntime().CelRuntimeError ? err.message : (err as Error).message}`;
          }
        }
        return true;
      },
    }),
  };

  const vc = spec.at('validationConfigurations');
  const program: IvpolProgram = {
    policy: name,
    variables: spec.at('variables').list().map((v, i) => ({ name: v.at('name').requiredString(), expression: compileAt(v.at('expression'), policyVariables.slice(0, i)), line: v.line })),
    attestors,
    attestations,
    validations,
    matchesImage,
    config: { mutateDigest: vc.at('mutateDigest').bool(true), verifyDigest: vc.at('verifyDigest').bool(true), required: vc.at('required').bool(true) },
    extractors: spec.at('images').list().map((i) => ({ name: i.at('name').requiredString(), expression: compileAt(i.at('expression')), line: i.line })),
  };

  const actions = spec.at('validationActions').stringList();
  for (const [i, a] of actions.entries()) if (!['Deny', 'Audit', 'Warn'].includes(a)) throw spec.at('validationActions').at(i).error(`must be Deny, Audit or Warn, not ${a}`);
  if (actions.includes('Deny') && actions.includes('Warn')) throw spec.at('validationActions').error('Deny and Warn cannot be combined');
  const failurePolicy = spec.at('failurePolicy').string() ?? 'Fail';
  if (failurePolicy !== 'Fail' && failurePolicy !== 'Ignore') throw spec.at('failurePolicy').error(`must be Fail or Ignore, not ${failurePolicy}`);

  return {
    format: 'kyverno',
    file: doc.file,
    line: doc.line,
    name,
    // Written without a namespace: it lands where it is applied (`-n`, the hook's destination), as the manifests do (run.ts).
    ...(namespaced && { namespace: root.at('metadata').at('namespace').string() ?? APPLIED_NAMESPACE }),
    rules: [
      {
        file: doc.file,
        line: spec.line,
        path: 'spec',
        // Images are selected by matchImageReferences (CEL selection); the glob matcher lets all through.
        images: { flavour: 'kyverno', include: ['*'], exclude: [] },
        resources: matchConstraints(spec, program.extractors.length > 0),
        mode: actions.length === 0 || actions.includes('Deny') ? 'enforce' : 'audit',
        onError: failurePolicy === 'Ignore' ? 'allow' : 'block',
        digest: { mutateDigest: program.config.mutateDigest, verifyDigest: false, required: false },
        requirement: unsupported
          ? { kind: 'unsupported', path: 'spec.evaluation.mode', field: unsupported }
          : { kind: 'cel', path: 'spec.validations', line: spec.at('validations').line, program },
        cel,
        ...(pullSecrets.length > 0 && { pullSecrets }),
      },
    ],
  };
}

/** What matchConditions see of a rendered workload: the object, and a CREATE request for it. */
export function matchBindings(w: Workload): Record<string, unknown> {
  const object = w.object ?? {};
  return { object, oldObject: null, namespaceObject: null, request: requestFor(w), images: {}, attestors: {}, attestations: {}, variables: {}, image: '' };
}

export function requestFor(w: Workload): Record<string, unknown> {
  const slash = w.apiVersion.lastIndexOf('/');
  return {
    operation: 'CREATE',
    kind: { group: slash < 0 ? '' : w.apiVersion.slice(0, slash), version: w.apiVersion.slice(slash + 1), kind: w.kind },
    ...(w.namespace !== undefined && { namespace: w.namespace }),
    ...(w.name !== undefined && { name: w.name }),
    object: w.object ?? {},
    dryRun: true,
  };
}

/**
 * matchConstraints (ValidatingAdmissionPolicy MatchResources) → resource filter. A rule on pods
 * also judges the pod controllers (autogen, narrowed by `autogen.podControllers.controllers`).
 * Rendered manifests are CREATEd: rules whose operations exclude CREATE and UPDATE judge nothing.
 */
function matchConstraints(spec: Field, hasExtractors: boolean): ResourceFilter {
  const mc = spec.at('matchConstraints');
  const autogen = spec.at('autogen').at('podControllers').at('controllers');
  const controllers = autogen.exists ? autogen.stringList().map((c) => c.toLowerCase()) : Object.keys(POD_CONTROLLERS);
  for (const c of controllers) if (!(c in POD_CONTROLLERS)) throw autogen.error(`unknown pod controller "${c}" (${Object.keys(POD_CONTROLLERS).join(', ')})`);
  const clauses = (rules: Field, forMatch: boolean): ResourceClause[][] =>
    rules.list().flatMap((r) => {
      // Lists of names where "" is a value (the core API group).
      const strings = (f: Field) => f.list().map((x) => x.string() ?? '');
      const ops = strings(r.at('operations'));
      if (forMatch && ops.length > 0 && !ops.some((o) => o === '*' || o === 'CREATE' || o === 'UPDATE')) return [];
      const groups = strings(r.at('apiGroups'));
      const versions = strings(r.at('apiVersions'));
      const resources = strings(r.at('resources'));
      const names = strings(r.at('resourceNames'));
      const kinds = resources.flatMap((res) =>
        (groups.length > 0 ? groups : ['*']).flatMap((g) =>
          (versions.length > 0 ? versions : ['*']).map((v) => kindForResource(res.split('/')[0]!, g, v)),
        ),
      );
      if (forMatch && resources.some((res) => res === 'pods' || res === '*')) kinds.push(...controllers.map((c) => POD_CONTROLLERS[c]!));
      const clause: ResourceClause = { kinds };
      if (names.length > 0) clause.names = names;
      return [[clause]];
    });
  const match = mc.exists ? clauses(mc.at('resourceRules'), true) : [[{ kinds: ['/*/Pod', ...controllers.map((c) => POD_CONTROLLERS[c]!)] }]];
  // `images[]` extractors judge their own kinds (CRDs): without resource rules, every kind.
  if (!mc.exists && hasExtractors) match.push([{}]);
  const objectSelector = labelSelector(mc.at('objectSelector'));
  const namespaceSelector = labelSelector(mc.at('namespaceSelector'));
  if (objectSelector || namespaceSelector) {
    for (const all of match) all.push({ ...(objectSelector && { selector: objectSelector }), ...(namespaceSelector && { namespaceSelector }) });
  }
  return { match, exclude: clauses(mc.at('excludeResourceRules'), false) };
}
