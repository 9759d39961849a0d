// Kyverno rule `preconditions` over a rendered manifest: `any`/`all` conditions (or the legacy
// list) with Kyverno's operators, JMESPath over `request` (a CREATE of the object) and the image
// being judged (`image.registry`, `image.path`…). What only the admission request or the cluster
// knows (user info, service account, context entries) cannot be evaluated: the rule then says so.

import { evaluateConditions, imageVars } from '../conditions.js';
import type { Field } from '../field.js';
import type { ConditionBlock, Workload } from '../model.js';
import { parseReference } from '../../images/reference.js';
import { condition, conditionBlocks } from './attestations.js';
import { POD_CONTROLLERS } from '../kinds.js';

const UNKNOWABLE = /request\.(userInfo|roles|clusterRoles)|serviceAccountName|serviceAccountNamespace|request\.oldObject/;

/** The kinds the rule's match names itself (before autogen), without group/version. */
function writtenKinds(rule: Field): Set<string> {
  const m = rule.at('match');
  const filters = [m, ...m.at('any').list(), ...m.at('all').list()];
  return new Set(filters.flatMap((x) => x.at('resources').at('kinds').stringList()).map((k) => k.split('/').at(-1)!.split('.')[0]!));
}

/**
 * Kyverno's autogen rewrites a Pod rule for controllers: `request.object.metadata|spec` become the
 * pod template's (`spec.template…`, CronJob `spec.jobTemplate.spec.template…`). The same view here.
 */
function autogenView(workload: Workload, written: ReadonlySet<string>): Record<string, unknown> {
  const object = workload.object ?? {};
  if (workload.kind === 'Pod' || written.has(workload.kind) || !(POD_CONTROLLERS as readonly string[]).includes(workload.kind)) return object;
  const dig = (o: unknown, ...keys: string[]): unknown => keys.reduce((x, k) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), o);
  const template = workload.kind === 'CronJob' ? dig(object, 'spec', 'jobTemplate', 'spec', 'template') : dig(object, 'spec', 'template');
  return { ...object, metadata: dig(template, 'metadata') ?? {}, spec: dig(template, 'spec') ?? {} };
}

/** evaluate(): whether the rule applies, or why the preconditions cannot be evaluated (the rule then applies and reports it). */
export type Preconditions = { evaluate(workload: Workload, image: string): boolean | string } | { unsupported: string };

export function preconditions(rule: Field): Preconditions | undefined {
  const f = rule.at('preconditions');
  if (!f.exists) return undefined;
  const written = writtenKinds(rule);
  // The legacy form is a plain list of conditions: all must hold.
  const legacy = Array.isArray(f.value) && f.list().some((c) => c.has('key'));
  const blocks: ConditionBlock[] = legacy ? [{ all: f.list().map(condition) }] : conditionBlocks(f);
  const text = JSON.stringify(f.value);
  const contextNames = rule.at('context').list().map((c) => c.at('name').string()).filter((n): n is string => !!n);
  const unknowable = UNKNOWABLE.exec(text)?.[0] ?? contextNames.find((n) => new RegExp(`\\{\\{[^}]*\\b${n}\\b`).test(text));
  if (unknowable) return { unsupported: `preconditions over ${unknowable} (known only to the admission request or the cluster)` };
  return {
    evaluate(workload, image) {
      const slash = workload.apiVersion.lastIndexOf('/');
      const request = {
        operation: 'CREATE',
        object: autogenView(workload, written),
        namespace: workload.namespace ?? 'default',
        name: workload.name ?? '',
        kind: { group: slash < 0 ? '' : workload.apiVersion.slice(0, slash), version: workload.apiVersion.slice(slash + 1), kind: workload.kind },
        dryRun: true,
      };
      let vars;
      try {
        vars = imageVars(parseReference(image));
      } catch {
        return true;
      }
      const r = evaluateConditions(blocks, { predicate: { request }, statement: null, image: vars });
      if (r.errors.length > 0) return `preconditions (line ${f.line}): ${r.errors.join('; ')}`;
      return r.ok;
    },
  };
}
