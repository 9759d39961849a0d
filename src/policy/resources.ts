// Which workloads a rule judges: evaluates the normalised resource filters
// (Kyverno match/exclude, CIP match[]) against one workload. Pure.

import type { LabelSelector, ResourceClause, ResourceFilter, Workload } from './model.js';

/** Whether a rule with this filter judges the workload's images. No filter = every workload. */
export function appliesTo(filter: ResourceFilter | undefined, workload: Workload): boolean {
  if (!filter) return true;
  // What we cannot know offline (namespace labels) counts as matching for `match` and as not
  // matching for `exclude`: either way the rule judges the image rather than letting it through.
  const matched = filter.match.some((all) => all.every((c) => clauseMatches(c, workload, true)));
  if (!matched) return false;
  return !filter.exclude.some((all) => all.every((c) => clauseMatches(c, workload, false)));
}

/** The namespace a workload lands in when none is written: kubectl's `default`. */
export function namespaceOf(workload: Workload): string {
  return workload.namespace ?? 'default';
}

function clauseMatches(clause: ResourceClause, w: Workload, unknown: boolean): boolean {
  if (clause.kinds && !clause.kinds.some((k) => kindMatches(k, w) || (w.createsPods === true && isPodSelector(k)))) return false;
  if (clause.namespaces && !clause.namespaces.some((p) => wildcardMatch(p, namespaceOf(w)))) return false;
  if (clause.names && !clause.names.some((p) => wildcardMatch(p, w.name ?? ''))) return false;
  if (clause.selector && !selectorMatches(clause.selector, w.labels)) return false;
  if (clause.annotations && !mapMatches(clause.annotations, w.annotations)) return false;
  if (clause.namespaceSelector) return unknown;
  return true;
}

/**
 * Kyverno kind selectors: `Kind`, `version/Kind`, `group/version/Kind`, each part with
 * wildcards; `Kind.subresource` names a subresource, which a workload object never is.
 */
export function kindMatches(selector: string, w: Pick<Workload, 'apiVersion' | 'kind'>): boolean {
  const parts = selector.split('/');
  const kindPart = parts.pop() ?? '';
  if (kindPart.includes('.')) return false;
  const [group, version] = parts.length === 2 ? parts : parts.length === 1 ? ['*', parts[0]!] : ['*', '*'];
  const slash = w.apiVersion.lastIndexOf('/');
  const wGroup = slash < 0 ? '' : w.apiVersion.slice(0, slash);
  const wVersion = w.apiVersion.slice(slash + 1);
  // Kinds compare without case: a kind derived from a plural resource (`taskruns` → Taskrun) is
  // only known by its letters; no two kinds of one group differ by case alone.
  return wildcardMatch(group!, wGroup) && wildcardMatch(version!, wVersion) && wildcardMatch(kindPart.toLowerCase(), w.kind.toLowerCase());
}

/** A kind selector naming Pods (any group and version): it also covers custom resources that create pods. */
function isPodSelector(selector: string): boolean {
  return selector.split('/').pop() === 'Pod';
}

export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  if (selector.matchLabels && !mapMatches(selector.matchLabels, labels)) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const inValues = has && (e.values ?? []).includes(value!);
    const ok =
      e.operator === 'In' ? inValues : e.operator === 'NotIn' ? !inValues : e.operator === 'Exists' ? has : !has;
    if (!ok) return false;
  }
  return true;
}

/** Every key present with a value matching (Kyverno allows wildcards in values). */
function mapMatches(want: Record<string, string>, have: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => Object.hasOwn(have, k) && wildcardMatch(v, have[k]!));
}

/** `*` any run, `?` one character; everything else literal. */
export function wildcardMatch(pattern: string, text: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(text);
}
