// Kyverno rule `match`/`exclude` → the model's ResourceFilter, with Pod autogen applied.

import type { Field } from '../field.js';
import { POD_CONTROLLERS } from '../kinds.js';
import type { ResourceClause, ResourceFilter } from '../model.js';
import { labelSelector } from '../selector.js';

const AUTOGEN_ANNOTATION = 'pod-policies.kyverno.io/autogen-controllers';

/** Controllers a Pod rule also covers: the policy annotation (`none` or a list) or Kyverno's default set. */
export function autogenControllers(policy: Field): string[] {
  const v = policy.at('metadata').at('annotations').at(AUTOGEN_ANNOTATION).string();
  if (v === undefined) return [...POD_CONTROLLERS];
  if (v.trim().toLowerCase() === 'none') return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

type Never = 'never';

/**
 * The resource filter of one rule. Who sends the admission request (subjects, roles) is
 * unknown offline: `match` assumes it matches, `exclude` assumes it does not — both keep the
 * rule judging the image rather than letting it pass unchecked.
 */
export function resourceFilter(rule: Field, controllers: string[]): ResourceFilter {
  const match = rule.at('match');
  const exclude = rule.at('exclude');
  const descriptions = [...resourceDescriptions(match), ...resourceDescriptions(exclude)];
  const autogen = controllers.length > 0 && descriptions.length > 0 && descriptions.every(canAutogen);
  const kinds = (ks: string[]): string[] =>
    autogen ? ks.flatMap((k) => (isPodKind(k) ? [k, ...controllers] : [k])) : ks;
  return {
    match: match.exists ? alternatives(match, false, kinds) : [[{}]],
    exclude: exclude.exists ? alternatives(exclude, true, kinds) : [],
  };
}

/** `{any:[…]}`, `{all:[…]}` or the legacy `{resources: …}` form. */
function alternatives(f: Field, forExclude: boolean, kinds: (k: string[]) => string[]): ResourceClause[][] {
  const any = f.at('any').list();
  const all = f.at('all').list();
  const legacy = f.has('resources') || hasUserInfo(f) ? [f] : [];
  const toClause = (filter: Field): ResourceClause | Never | null => clause(filter, forExclude, kinds);
  const allClauses = [...legacy, ...all].map(toClause);
  const anyClauses = any.map(toClause);
  const out: ResourceClause[][] = [];
  const build = (clauses: (ResourceClause | Never | null)[]): void => {
    if (clauses.includes(null)) return; // an exclude that depends on the requester: never excludes
    if (clauses.includes('never')) {
      if (!forExclude) out.push([{ kinds: [] }]);
      return;
    }
    out.push(clauses as ResourceClause[]);
  };
  if (anyClauses.length === 0) build(allClauses);
  else for (const c of anyClauses) build([c, ...allClauses]);
  if (!forExclude && out.length === 0 && anyClauses.length === 0 && allClauses.length === 0) return [[{}]];
  return out;
}

/** One `ResourceFilter` (`resources` + user info) → a clause; null when it hinges on user info in an exclude. */
function clause(filter: Field, forExclude: boolean, kinds: (k: string[]) => string[]): ResourceClause | Never | null {
  if (forExclude && hasUserInfo(filter)) return null;
  const rd = filter.at('resources');
  const out: ResourceClause = {};
  if (rd.has('kinds')) out.kinds = kinds(rd.at('kinds').stringList());
  const names = [...(rd.has('name') ? [rd.at('name').requiredString()] : []), ...rd.at('names').stringList()];
  if (names.length > 0) out.names = names;
  if (rd.has('namespaces')) out.namespaces = rd.at('namespaces').stringList();
  if (rd.has('annotations')) out.annotations = rd.at('annotations').stringMap();
  const selector = labelSelector(rd.at('selector'));
  if (selector) out.selector = selector;
  const nsSelector = labelSelector(rd.at('namespaceSelector'));
  if (nsSelector) out.namespaceSelector = nsSelector;
  // We judge objects about to be created or updated; a DELETE/CONNECT-only clause never applies.
  const ops = rd.at('operations').stringList();
  if (ops.length > 0 && !ops.includes('CREATE') && !ops.includes('UPDATE')) return 'never';
  return out;
}

function hasUserInfo(filter: Field): boolean {
  return ['subjects', 'roles', 'clusterRoles'].some((k) => filter.at(k).list().length > 0);
}

function resourceDescriptions(f: Field): Field[] {
  if (!f.exists) return [];
  return [...f.at('any').list(), ...f.at('all').list(), ...(f.has('resources') ? [f] : [])].map((x) => x.at('resources'));
}

/** Kyverno generates controller rules only for plain Pod rules (no names, selectors, annotations). */
function canAutogen(rd: Field): boolean {
  if (!rd.exists) return true;
  if (rd.has('name') || rd.has('names') || rd.has('selector') || rd.has('annotations')) return false;
  const kinds = rd.at('kinds').exists ? rd.at('kinds').stringList() : [];
  return kinds.every(isPodKind);
}

function isPodKind(k: string): boolean {
  return k.split('/').pop() === 'Pod';
}
