// Kubernetes label selectors as written in policies (Kyverno match, CIP match[]).

import type { Field } from './field.js';
import type { LabelSelector } from './model.js';

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
type Operator = (typeof OPERATORS)[number];

/** Parses `{matchLabels, matchExpressions}`; absent gives undefined, an unknown operator a PolicyError. */
export function labelSelector(f: Field): LabelSelector | undefined {
  if (!f.exists) return undefined;
  const selector: LabelSelector = {};
  if (f.has('matchLabels')) selector.matchLabels = f.at('matchLabels').stringMap();
  const expressions = f.at('matchExpressions').list();
  if (expressions.length > 0) {
    selector.matchExpressions = expressions.map((e) => {
      const key = e.at('key').requiredString();
      const op = e.at('operator').requiredString();
      if (!(OPERATORS as readonly string[]).includes(op)) throw e.at('operator').error(`unknown operator ${op}`);
      const operator = op as Operator;
      const values = e.at('values').stringList();
      if ((operator === 'In' || operator === 'NotIn') && values.length === 0) throw e.at('values').error(`${operator} needs values`);
      return values.length > 0 ? { key, operator, values } : { key, operator };
    });
  }
  return selector;
}
