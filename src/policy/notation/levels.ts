// Notation verification levels and overrides (notation-go verifier/trustpolicy): what each
// level does with each check, then the statement's overrides on top. Integrity cannot be
// overridden, only revocation may be skipped. Pure.

import type { Field } from '../field.js';
import type { NotationAction, NotationRequirement } from '../model.js';

type Checks = NotationRequirement['checks'];

export const LEVELS: Record<'strict' | 'permissive' | 'audit', Checks> = {
  strict: { authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' },
  permissive: { authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  audit: { authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
};

const ACTIONS: NotationAction[] = ['enforce', 'log', 'skip'];

export function levelChecks(level: keyof typeof LEVELS, overrides: Record<string, Field>): Checks {
  const checks: Checks = { ...LEVELS[level] };
  for (const [name, f] of Object.entries(overrides)) {
    const value = f.requiredString();
    if (name === 'integrity') throw f.error(`"integrity" verification can not be overridden in custom signature verification (it is always enforced)`);
    if (!(name in checks)) throw f.error(`verification type "${name}" in custom signature verification is not supported, supported values are "authenticity", "authenticTimestamp", "expiry", "revocation"`);
    if (!ACTIONS.includes(value as NotationAction)) throw f.error(`verification action "${value}" in custom signature verification is not supported, supported values are "enforce", "log", "skip"`);
    if (value === 'skip' && name !== 'revocation') throw f.error(`"${name}" verification can not be skipped in custom signature verification (only "revocation" can)`);
    checks[name as keyof Checks] = value as NotationAction;
  }
  return checks;
}
