// The result flattened to image × policy: the unit the CI formats (SARIF,
// JUnit, GitHub, Markdown) report on. Pure; derived from the canonical result.

import { blocking, countText, type ImageResult, type PolicyVerdict, type Result, type Status } from '../engine/result.js';

export interface Finding {
  image: ImageResult;
  /** Absent for image-level findings: no policy matched, or the reference is invalid. */
  verdict?: PolicyVerdict;
  status: Status;
  /** Stable across runs: the policy and rule path, or a fixed id for image-level findings. */
  ruleId: string;
  reasons: string[];
  /** Whether this finding alone stops the sync (the exit code's view of it). */
  blocks: boolean;
}

export const UNMATCHED_RULE = 'verify-images/unmatched';
export const IMAGE_ERROR_RULE = 'verify-images/invalid-image';

export function ruleIdOf(verdict: Pick<PolicyVerdict, 'policy' | 'rule'>): string {
  return `${verdict.policy}/${verdict.rule}`;
}

export function findings(result: Readonly<Result>): Finding[] {
  const out: Finding[] = [];
  for (const image of result.results) {
    const imageReasons = image.reasons ?? [];
    if (image.policies.length === 0) {
      const unmatched = image.status === 'unmatched';
      out.push({
        image,
        status: image.status,
        ruleId: unmatched ? UNMATCHED_RULE : IMAGE_ERROR_RULE,
        reasons: imageReasons.length > 0 ? imageReasons : unmatched ? ['no policy matches this image'] : [],
        blocks: blocking(image, result.unmatched) !== null,
      });
      continue;
    }
    for (const verdict of image.policies) {
      out.push({
        image,
        verdict,
        status: verdict.status,
        ruleId: ruleIdOf(verdict),
        reasons: [...imageReasons, ...verdict.reasons],
        blocks: verdict.status === 'fail' || (verdict.status === 'error' && verdict.onError === 'block' && verdict.mode === 'enforce'),
      });
    }
  }
  return out;
}

/** Most severe first, then as the engine ordered them (stable). */
const ORDER: Record<Status, number> = { fail: 0, error: 1, warn: 2, unmatched: 3, skip: 4, pass: 5 };
/** How loudly a finding speaks in CI: blocking problems are errors, the rest warnings or notes. */
export function severity(f: Finding): 'error' | 'warning' | 'note' | undefined {
  switch (f.status) {
    case 'fail':
      return 'error';
    case 'error':
      return f.blocks ? 'error' : 'warning';
    case 'warn':
      return 'warning';
    case 'unmatched':
      return f.blocks ? 'error' : 'note';
    default:
      return undefined;
  }
}

export function bySeverity<T extends { status: Status }>(items: readonly T[]): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => ORDER[a.item.status] - ORDER[b.item.status] || a.i - b.i)
    .map((x) => x.item);
}

/** `Kind namespace/name` of a use, for people. */
export function workload(use: { kind: string; namespace?: string; name?: string }): string {
  const name = [use.namespace, use.name].filter(Boolean).join('/');
  return name ? `${use.kind} ${name}` : use.kind;
}

/** `Deployment prod/web container web`; an object judged itself (a signed manifest) has no container. */
export function useText(use: { kind: string; namespace?: string; name?: string; container: string }): string {
  return use.container === '' ? workload(use) : `${workload(use)} container ${use.container}`;
}

export function summaryLine(result: Readonly<Result>): string {
  const s = result.summary;
  return `${countText(s)}: ${s.pass} pass, ${s.fail} fail, ${s.warn} warn, ${s.skip} skip, ${s.unmatched} unmatched, ${s.error} error`;
}
