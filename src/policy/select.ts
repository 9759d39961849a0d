// Which rules judge an image in a workload: namespace scope, resource filters,
// then image patterns in the rule's own glob flavour. Pure.

import { cipGlobMatch, kyvernoGlobMatch } from '../images/glob.js';
import { kyvernoName, notationScope, type ImageRef } from '../images/reference.js';
import { ruleKey, type ImageMatcher, type Policy, type PolicyRule, type RuleMode, type RuleSelection, type Workload } from './model.js';
import { appliesTo, namespaceOf, wildcardMatch } from './resources.js';

/** `onlyFor`: the use was found by one rule's own extractors; only that rule judges it. */
export function selectRules(policies: readonly Policy[], ref: ImageRef, workload: Workload, onlyFor?: string): RuleSelection[] {
  const out: RuleSelection[] = [];
  for (const policy of policies) {
    if (policy.namespace !== undefined && policy.namespace !== namespaceOf(workload)) continue;
    for (const rule of policy.rules) {
      if (onlyFor !== undefined && ruleKey(policy, rule) !== onlyFor) continue;
      if (!appliesTo(rule.resources, workload)) continue;
      const m = imageMatch(rule.images, ref);
      if (m === 'none') continue;
      // CEL selection: an expression that fails to evaluate keeps the rule (it reports the error).
      if (rule.cel?.images && rule.cel.images(ref.raw) === false) continue;
      const applies = rule.cel?.applies?.(workload, ref.raw);
      if (applies === false) continue;
      const skipped = m === 'skip' || (rule.skipNamespaces?.includes(namespaceOf(workload)) ?? false);
      const mode = rule.modeOverrides ? modeIn(rule, namespaceOf(workload)) : undefined;
      out.push({ policy, rule, skipped, ...(typeof applies === 'string' && { selectionError: applies }), ...(mode !== undefined && { mode }) });
    }
  }
  return out;
}

/**
 * Kyverno's validationFailureActionOverrides: the first override naming the namespace decides. One
 * with a namespaceSelector decides only if the namespace's labels match, which manifests cannot
 * tell: when that could change the mode, the rule is judged as neither (undecided). An override
 * with neither namespaces nor selector never applies (Kyverno's selector of nothing).
 */
export function modeIn(rule: Pick<PolicyRule, 'mode' | 'modeOverrides'>, namespace: string): NonNullable<RuleSelection['mode']> {
  const possible = new Set<RuleMode>();
  let why: string | undefined;
  let decided = false;
  for (const o of rule.modeOverrides ?? []) {
    if (o.namespaces ? !o.namespaces.some((p) => wildcardMatch(p, namespace)) : !o.namespaceSelector) continue;
    possible.add(o.mode);
    if (!o.namespaceSelector) {
      decided = true;
      break;
    }
    why ??= `${o.path}.namespaceSelector: whether ${o.mode === 'enforce' ? 'Enforce' : 'Audit'} applies in namespace ${namespace} depends on the namespace's labels, which manifests do not hold`;
  }
  if (!decided) possible.add(rule.mode);
  return possible.size === 1 ? [...possible][0]! : { undecided: why ?? 'validationFailureActionOverrides' };
}

/** `include` a pattern and no `exclude` one → match; both → skip (Kyverno skipImageReferences). */
export function imageMatch(images: ImageMatcher, ref: ImageRef): 'match' | 'skip' | 'none' {
  const matches = patternMatcher(images, ref);
  if (!images.include.some(matches) || images.deferTo?.some(matches)) return 'none';
  return images.exclude.some(matches) ? 'skip' : 'match';
}

function patternMatcher(images: ImageMatcher, ref: ImageRef): (pattern: string) => boolean {
  if (images.flavour === 'cip') return (glob) => cipGlobMatch(glob, ref);
  if (images.flavour === 'tanzu') return (pattern) => tanzuMatch(pattern, ref.raw);
  if (images.flavour === 'notation') {
    // notation-go: the exact `registry/repository` string, no normalisation; a lone `*` matches all.
    const scope = notationScope(ref);
    return (pattern) => pattern === '*' || pattern === scope;
  }
  const name = kyvernoName(ref);
  return (pattern) => kyvernoGlobMatch(pattern, name);
}

/** Tanzu SCST-Sign: `*` any run of characters (including `/`, `.`, `:`), the rest literal, whole string. */
function tanzuMatch(pattern: string, image: string): boolean {
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${re}$`, 's').test(image);
}
