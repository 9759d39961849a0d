// A Kyverno kind selector (`Pod`, `apps/v1/Deployment`, `*`) → an ImageValidatingPolicy resourceRule.

import { resourceForKind } from '../policy/kinds.js';

export interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
}

export function kindResourceRule(selector: string): { rule: ResourceRule; note?: string } {
  const parts = selector.split('/');
  const kind = parts.pop()!;
  const version = parts.length > 0 ? parts.pop()! : '*';
  const groupWritten = parts.length > 0 ? parts.pop() : undefined;
  const ops = ['CREATE', 'UPDATE'];
  if (kind === '*') return { rule: { apiGroups: ['*'], apiVersions: ['*'], operations: ops, resources: ['*'] } };
  const known = resourceForKind(kind);
  if (known) return { rule: { apiGroups: [groupWritten ?? known.group], apiVersions: [version], operations: ops, resources: [known.resource] } };
  // A custom resource: its plural is the lower-case kind + "s" (the CRD convention); irregular endings are flagged.
  const lower = kind.toLowerCase();
  const irregular = /(s|x|z|ch|sh|y)$/.test(lower);
  const plural = irregular ? lower.replace(/y$/, 'ie').replace(/(s|x|z|ch|sh)$/, '$1e') + 's' : `${lower}s`;
  return {
    rule: { apiGroups: [groupWritten ?? '*'], apiVersions: [version], operations: ops, resources: [plural] },
    ...(irregular && { note: `kind ${selector}: the resource "${plural}" is guessed from the kind; check the CRD's plural` }),
  };
}
