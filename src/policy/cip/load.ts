// sigstore policy-controller ClusterImagePolicy → Policy with one rule: every
// matching CIP must pass (the engine ANDs rules), any authority passes a CIP.

import { validateCipGlob } from '../../images/glob.js';
import type { LoadContext, PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import { kindForResource, POD_CONTROLLERS } from '../kinds.js';
import type { Policy, Requirement, ResourceClause, ResourceFilter } from '../model.js';
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

  const requirement = cipRequirement(spec, ctx);
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

function cipRequirement(spec: Field, ctx: LoadContext): Requirement {
  const authorities = spec.at('authorities').list();
  // policy-controller's fail-on-empty-authorities (default true) denies the image.
  const any: Requirement =
    authorities.length === 0
      ? { kind: 'static', path: 'authorities', action: 'fail', message: 'no authorities' }
      : { kind: 'any', path: 'authorities', of: authorities.map((a) => authorityRequirement(spec, a, ctx)) };
  if (!spec.has('policy')) return any;
  const policy = payloadPolicy(spec.at('policy'), spec);
  // The CIP-level program reads every matching authority's signatures (ids, certificate identities),
  // which the leaves do not report yet: it blocks as unsupported instead of guessing its input.
  const judged: Requirement =
    'kind' in policy ? policy : { kind: 'unsupported', path: 'policy', field: `spec.policy (${policy.type} over authorityMatches) is not evaluated yet; attestations[].policy is` };
  return { kind: 'all', path: '', of: [any, judged] };
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
