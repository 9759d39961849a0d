// sigstore policy-controller ClusterImagePolicy → Policy with one rule: every
// matching CIP must pass (the engine ANDs rules), any authority passes a CIP.

import { validateCipGlob } from '../../images/glob.js';
import type { LoadContext, PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import { kindForResource, POD_CONTROLLERS } from '../kinds.js';
import type { CipPolicy, Policy, Requirement, ResourceClause, ResourceFilter } from '../model.js';
import { labelSelector } from '../selector.js';
import { authorityRequirement, payloadPolicy } from './authorities.js';
import { clusterImagePolicy } from './schema.js';
import { checkFields } from '../strict.js';

const VERSIONS = ['policy.sigstore.dev/v1alpha1', 'policy.sigstore.dev/v1beta1'];

export function load(doc: PolicyDocument, ctx: LoadContext = { trustRoots: new Map() }): Policy | null {
  const { apiVersion, kind } = doc.value;
  if (typeof apiVersion !== 'string' || !apiVersion.startsWith('policy.sigstore.dev/') || kind !== 'ClusterImagePolicy') {
    return null;
  }
  const root = Field.root(doc);
  if (!VERSIONS.includes(apiVersion)) throw root.at('apiVersion').error(`unsupported apiVersion ${apiVersion}`);
  checkFields(doc, clusterImagePolicy, 'a ClusterImagePolicy');
  const spec = root.at('spec');

  const resources = matchFilter(spec.at('match'));
  const mode = spec.at('mode').string() ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'warn') throw spec.at('mode').error(`invalid value: ${mode}: unsupported mode (enforce or warn)`);

  const { requirement, cipPolicy } = cipRequirement(spec, ctx);
  return {
    format: 'cip',
    file: doc.file,
    line: doc.line,
    name: root.at('metadata').at('name').string() ?? '(unnamed)',
    rules: [
      {
        file: doc.file,
        line: spec.line,
        path: 'spec',
        images: { flavour: 'cip', include: globs(spec), exclude: [] },
        ...(resources ? { resources } : {}),
        mode: mode === 'warn' ? 'audit' : 'enforce',
        onError: 'block',
        // The mutating webhook pins tag → tag@digest, then a digest is required.
        digest: { mutateDigest: true, verifyDigest: true, required: true },
        requirement,
        ...(cipPolicy && { cipPolicy }),
      },
    ],
  };
}

function globs(spec: Field): string[] {
  const images = spec.at('images').list();
  if (images.length === 0) throw (spec.has('images') ? spec.at('images') : spec).error('missing field(s): images');
  return images.map((img) => {
    const f = img.at('glob');
    const glob = f.requiredString();
    try {
      validateCipGlob(glob);
    } catch (err) {
      throw f.error(`invalid value: ${glob}: glob is invalid: ${(err as Error).message}`);
    }
    return glob;
  });
}

function cipRequirement(spec: Field, ctx: LoadContext): { requirement: Requirement; cipPolicy?: CipPolicy } {
  const authorities = spec.at('authorities').list();
  const judged = authorities.map((a) => authorityRequirement(spec, a, ctx));
  // policy-controller's fail-on-empty-authorities (default true) denies the image.
  const any: Requirement =
    authorities.length === 0
      ? { kind: 'static', path: 'authorities', action: 'fail', message: 'no authorities' }
      : { kind: 'any', path: 'authorities', of: judged };
  if (!spec.has('policy')) return { requirement: any };
  const p = spec.at('policy');
  const policy = payloadPolicy(p, spec);
  if ('kind' in policy) return { requirement: { kind: 'all', path: '', of: [any, policy] } };
  // What the program would read that the leaves do not report yet: blocks as unsupported instead of guessing its input.
  const keyless = authorities.findIndex((a) => a.has('keyless'));
  if (keyless >= 0) {
    const field = `spec.policy (${policy.type}) over a keyless authority (authorities[${keyless}]) is not run here yet: the certificate identities policy-controller gives the program are not collected`;
    return { requirement: { kind: 'all', path: '', of: [any, { kind: 'unsupported', path: 'policy', field }] } };
  }
  const names = authorities.map((a, i) => a.at('name').string() ?? `authority-${i}`);
  const include = {
    spec: p.at('includeSpec').bool(false),
    objectMeta: p.at('includeObjectMeta').bool(false),
    typeMeta: p.at('includeTypeMeta').bool(false),
    config: p.at('fetchConfigFile').bool(false),
  };
  return { requirement: any, cipPolicy: { policy, include, authorities: judged.map((requirement, i) => ({ name: names[i]!, requirement })) } };
}

/** `match[]`: any entry (resource type and label selector) must match; `pods` covers pod controllers too. */
function matchFilter(f: Field): ResourceFilter | undefined {
  const entries = f.list();
  if (entries.length === 0) return undefined;
  const match = entries.map((m): ResourceClause[] => {
    const resource = m.at('resource').string() ?? '*';
    const group = m.at('group').string() || '*';
    const version = m.at('version').string() || '*';
    const kind = kindForResource(resource, group, version);
    const clause: ResourceClause = { kinds: resource === 'pods' ? [kind, ...POD_CONTROLLERS] : [kind] };
    const selector = labelSelector(m.at('selector'));
    if (selector) clause.selector = selector;
    return [clause];
  });
  return { match, exclude: [] };
}
