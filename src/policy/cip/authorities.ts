// ClusterImagePolicy `authorities[]` → one Requirement per authority (the CIP ORs them).

import type { Field } from '../field.js';
import type { KeyRequirement, Requirement } from '../model.js';
import { inlineKeys } from '../pem.js';

const HASHES = ['sha224', 'sha256', 'sha384', 'sha512'] as const;
type Hash = (typeof HASHES)[number];

/** Paths are relative to `spec`: `authorities[1]`, `authorities[1].key`. */
export function authorityRequirement(spec: Field, a: Field): Requirement {
  const kinds = ['key', 'keyless', 'static'].filter((k) => a.has(k));
  if (kinds.length !== 1) throw a.error('needs exactly one of key, keyless, static');
  a.at('name').string(); // only type-checked: paths name the authority by index (`authority-<i>` upstream)
  const sources = a.at('source').list();
  if (sources.length > 1) throw a.at('source').error('at most one source is allowed');
  const source = sources[0];

  if (kinds[0] === 'static') {
    const clash = ['attestations', 'source', 'ctlog', 'rfc3161timestamp'].find((k) => a.has(k));
    if (clash) throw a.at(clash).error('cannot be combined with static');
    const st = a.at('static');
    const action = st.at('action').requiredString();
    if (action !== 'pass' && action !== 'fail') throw st.at('action').error(`must be pass or fail, not ${action}`);
    const message = st.at('message').string();
    return { kind: 'static', path: st.rel(spec), action, ...(message ? { message } : {}) };
  }

  const parts: Requirement[] = [kinds[0] === 'key' ? keyRequirement(spec, a) : unsupported(spec, a.at('keyless'), 'keyless')];
  if (source?.has('tagPrefix')) parts.push(unsupported(spec, source.at('tagPrefix'), 'source.tagPrefix'));
  if (a.at('ctlog').has('trustRootRef')) parts.push(unsupported(spec, a.at('ctlog').at('trustRootRef'), 'ctlog.trustRootRef'));
  if (a.has('rfc3161timestamp')) parts.push(unsupported(spec, a.at('rfc3161timestamp'), 'rfc3161timestamp'));
  const format = a.at('signatureFormat').string();
  if (format !== undefined && format !== 'legacy') parts.push(unsupported(spec, a.at('signatureFormat'), `signatureFormat: ${format}`));
  if (a.at('attestations').list().length > 0) parts.push(unsupported(spec, a.at('attestations'), 'attestations'));
  return parts.length === 1 ? parts[0]! : { kind: 'all', path: a.rel(spec), of: parts };
}

function keyRequirement(spec: Field, a: Field): Requirement {
  const key = a.at('key');
  const refs = ['data', 'secretRef', 'kms'].filter((k) => key.has(k));
  if (refs.length !== 1) throw key.error('needs exactly one of data, secretRef, kms');
  const hashField = key.at('hashAlgorithm');
  const hash = hashField.string() ?? 'sha256';
  if (!(HASHES as readonly string[]).includes(hash)) throw hashField.error(`unknown hash algorithm ${hash}`);
  if (refs[0] === 'secretRef') return unsupported(spec, key.at('secretRef'), 'key.secretRef');
  if (refs[0] === 'kms') return unsupported(spec, key.at('kms'), 'key.kms');
  const parsed = inlineKeys(key.at('data'));
  if (parsed.kind === 'placeholder') return unsupported(spec, key.at('data'), 'placeholder public key');
  const oci = a.at('source').at(0).at('oci').string();
  const leaf: KeyRequirement = {
    kind: 'key',
    path: key.rel(spec),
    line: key.line,
    // Several keys in `data`: any one verifying satisfies the authority.
    keys: parsed.keys,
    hashAlgorithm: hash as Hash,
    annotations: {},
    // policy-controller checks the transparency log for key authorities only when ctlog is set.
    tlog: a.has('ctlog') ? 'require' : 'ignore',
  };
  if (oci) leaf.signatureRepository = oci;
  return leaf;
}

function unsupported(spec: Field, at: Field, field: string): Requirement {
  return { kind: 'unsupported', path: at.rel(spec), field };
}
