// Kyverno `type: Notary` verifyImages → Notation leaves, as Kyverno runs notation-go: an
// in-memory trust policy with scope `*`, level strict, identities `*`, the entry's certificates
// (`cert`, `certChain`) as a `ca:` store and `ctlog.tsaCertChain` as a `tsa:` store. Attestor
// sets keep their `count`; `attestations[]` verify the image's referrers of `type`.

import type { Field } from '../field.js';
import type { NotationRequirement, Requirement } from '../model.js';
import { hasVariable, inlineCertificates, invalidLeaf } from '../pem.js';
import { LEVELS } from '../notation/levels.js';
import { conditionBlocks } from './attestations.js';

/** Kyverno's notary verifier tries at most this many signatures. */
const KYVERNO_MAX_SIGNATURES = 10;

export function notaryRequirement(iv: Field, repository: string | undefined): Requirement {
  const of: Requirement[] = iv.at('attestors').list().map((set) => attestorSet(iv, set, repository, undefined));
  for (const a of iv.at('attestations').list()) {
    const typeField = a.has('type') ? a.at('type') : a.at('predicateType');
    const referrer = {
      artifactType: typeField.requiredString(),
      conditions: conditionBlocks(a.at('conditions')),
      ...(a.at('name').string() !== undefined && { name: a.at('name').string()! }),
    };
    const sets = a.at('attestors').list();
    if (sets.length === 0) throw a.at('attestors').error('a Notary attestation needs attestors with certificates');
    of.push(...sets.map((set) => attestorSet(iv, set, repository, referrer)));
  }
  if (of.length === 0) throw iv.at('attestors').error('type Notary needs attestors (or attestations) with certificates');
  return of.length === 1 ? of[0]! : { kind: 'all', path: '', of };
}

function attestorSet(iv: Field, set: Field, repository: string | undefined, referrer: NotationRequirement['referrer']): Requirement {
  const entries = set.at('entries').list();
  if (entries.length === 0) throw set.at('entries').error('needs at least one entry');
  const leaves = entries.map((e) => entry(iv, e, repository, referrer));
  const count = set.at('count').integer();
  if (count !== undefined && (count < 1 || count > leaves.length)) throw set.at('count').error(`must be between 1 and the number of entries (${leaves.length})`);
  const path = set.rel(iv);
  return count === undefined ? { kind: 'all', path, of: leaves } : { kind: 'count', path, min: count, of: leaves };
}

function entry(iv: Field, e: Field, repository: string | undefined, referrer: NotationRequirement['referrer']): Requirement {
  if (e.has('attestor')) return attestorSet(iv, e.at('attestor'), e.at('repository').string() ?? repository, referrer);
  // Kyverno ImageVerification.Validate: type Notary verifies with certificates only.
  if (e.has('keyless')) throw e.at('keyless').error('Keyless field is not allowed for type notary');
  if (e.has('keys')) throw e.at('keys').error('Keys field is not allowed for type notary');
  const certs = e.at('certificates');
  if (!certs.exists) throw e.error('type Notary verifies with certificates: use certificates.cert / certChain');
  const pems: string[] = [];
  for (const name of ['cert', 'certChain']) {
    const f = certs.at(name);
    if (!f.exists) continue;
    if (hasVariable(f.requiredString())) return { kind: 'unsupported', path: f.rel(iv), field: `variables in certificates.${name}` };
    const parsed = inlineCertificates(f);
    if (parsed.kind === 'invalid') return invalidLeaf(f, iv, parsed.problem);
    pems.push(...parsed.certificates);
  }
  if (pems.length === 0) throw certs.error('needs cert or certChain');
  const tsa: string[] = [];
  const tsaField = certs.at('ctlog').at('tsaCertChain');
  if (tsaField.exists) {
    const parsed = inlineCertificates(tsaField);
    if (parsed.kind === 'invalid') return invalidLeaf(tsaField, iv, parsed.problem);
    tsa.push(...parsed.certificates);
  }
  const leaf: NotationRequirement = {
    kind: 'notation',
    path: certs.rel(iv),
    line: certs.line,
    statement: `${certs.rel(iv)} (Kyverno Notary)`,
    level: 'strict',
    checks: { ...LEVELS.strict },
    verifyTimestamp: 'always',
    ca: pems,
    signingAuthority: [],
    tsa,
    hasTsaStore: tsa.length > 0,
    identities: '*',
    maxSignatures: KYVERNO_MAX_SIGNATURES,
    ...(referrer && { referrer }),
  };
  const repo = e.at('repository').string() ?? repository;
  if (repo) leaf.signatureRepository = repo;
  return leaf;
}
