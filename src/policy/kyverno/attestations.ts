// Kyverno `attestations[]` → AttestationRequirement, and `conditions` → ConditionBlock[].

import { conditionSyntaxError } from '../conditions.js';
import type { Field } from '../field.js';
import type { AttestationRequirement, Condition, ConditionBlock, DenyCheck, Requirement } from '../model.js';
import { isOperator } from '../operators.js';
import { expandPredicateType } from '../predicate-types.js';

/**
 * One attestation entry. `attestorSet` compiles its attestor sets like the rule's. Without
 * attestors Kyverno injects one empty attestor, which cosign verifies keyless against the
 * public-good Fulcio roots with no identity constraint (tlog and SCT required): so any
 * Fulcio-signed attestation counts, which is what we require.
 */
export function attestationRequirement(
  iv: Field,
  a: Field,
  repository: string | undefined,
  attestorSet: (set: Field) => Requirement,
): AttestationRequirement {
  const typeField = a.has('type') ? a.at('type') : a.at('predicateType');
  if (!typeField.exists) throw a.error('needs type (or the deprecated predicateType)');
  const sets = a.at('attestors').list();
  const signers: Requirement =
    sets.length === 0
      ? { kind: 'certificate', path: a.rel(iv), line: a.line, source: 'fulcio', identities: [], sct: 'require', tlog: 'require', annotations: {} }
      : sets.length === 1
        ? attestorSet(sets[0]!)
        : { kind: 'all', path: a.at('attestors').rel(iv), of: sets.map(attestorSet) };
  const name = a.at('name').string();
  const req: AttestationRequirement = {
    kind: 'attestation',
    path: a.rel(iv),
    line: a.line,
    predicateType: expandPredicateType(typeField.requiredString()),
    signers,
    statements: 'all', // Kyverno: every statement of the type must satisfy the conditions
    conditions: conditionBlocks(a.at('conditions')),
  };
  if (name) req.name = name;
  if (repository) req.signatureRepository = repository;
  return req;
}

/** `conditions`: a list of `{any, all}` blocks (one block written as a map is accepted too). */
export function conditionBlocks(f: Field): ConditionBlock[] {
  if (!f.exists) return [];
  const blocks = Array.isArray(f.value) ? f.list() : [f];
  return blocks.map((b) => {
    const unknown = b.entries().find(([k]) => k !== 'any' && k !== 'all');
    if (unknown) throw unknown[1].error(`unknown condition block field ${unknown[0]}: use any or all`);
    const block: ConditionBlock = {};
    if (b.has('any')) block.any = b.at('any').list().map(condition);
    if (b.has('all')) block.all = b.at('all').list().map(condition);
    return block;
  });
}

export function condition(c: Field): Condition {
  const opField = c.at('operator');
  const op = opField.requiredString();
  if (!isOperator(op)) throw opField.error(`unknown operator ${op}`);
  if (!c.has('key')) throw c.at('key').error('is required');
  const key = c.at('key').value;
  const value = c.at('value').value;
  for (const [name, v] of [
    ['key', key],
    ['value', value],
  ] as const) {
    const problem = conditionSyntaxError(v);
    if (problem) throw c.at(name).error(problem);
  }
  const message = c.at('message').string();
  return { key, operator: op, value: value ?? null, line: c.line, ...(message ? { message } : {}) };
}

/**
 * `validate: {message, deny: {conditions}}`: after the attestations verified, the image fails
 * when the conditions hold, over the attestations' predicates by their `name`.
 */
export function denyCheck(iv: Field): DenyCheck | undefined {
  const v = iv.at('validate');
  if (!v.exists) return undefined;
  const conditions = conditionBlocks(v.at('deny').at('conditions'));
  if (conditions.length === 0) throw v.at('deny').error('needs conditions');
  const names = iv.at('attestations').list().flatMap((a) => (a.at('name').string() ? [a.at('name').string()!] : []));
  return { conditions, line: v.line, names, ...(v.at('message').string() !== undefined && { message: v.at('message').string()! }) };
}
