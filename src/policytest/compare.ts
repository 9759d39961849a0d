// Expected against got, for one test: pure. An image expectation reads the image's verdict (or one
// policy's and rule's); a Kyverno expectation reads a rule's result on named resources the way
// `kyverno test` reports it (fail if any of the resource's images fails the rule, skip if none is
// judged by it, pass otherwise).

import type { ImageResult, PolicyVerdict, Result, Status } from '../engine/result.js';
import { worst } from '../engine/result.js';
import type { ImageExpectation, PolicyTest, ResourceExpectation } from './test-file.js';

export interface Check {
  ok: boolean;
  /** Line of the expectation in the test file. */
  line: number;
  /** What was checked: `image`, or `policy/rule on Kind name`. */
  subject: string;
  expected: string;
  got: string;
  /** The verdict's reasons, shown when a check fails. */
  reasons: string[];
}

export interface KnownRule {
  policy: string;
  rule: string;
  ruleName?: string;
}

/** `rules`: every rule loaded; an expectation naming a policy or rule that does not exist fails (a typo must not read as "skip"). */
export function compare(test: PolicyTest, result: Result, rules: readonly KnownRule[]): Check[] {
  return test.results.flatMap((e) => {
    const unknown = unknownName(e, rules);
    if (unknown) return [{ ok: false, line: e.line, subject: e.form === 'image' ? e.image : e.resources.join(', '), expected: e.form === 'image' ? e.status : e.result, got: 'not found', reasons: [unknown] }];
    return e.form === 'image' ? [imageCheck(e, result)] : resourceChecks(e, result);
  });
}

function unknownName(e: ImageExpectation | ResourceExpectation, rules: readonly KnownRule[]): string | undefined {
  if (e.policy === undefined) return undefined;
  const ofPolicy = rules.filter((r) => r.policy === e.policy);
  if (ofPolicy.length === 0) {
    return `no policy named ${e.policy} in the test's policies (they define ${[...new Set(rules.map((r) => r.policy))].join(', ') || 'none'})`;
  }
  if (e.rule && !ofPolicy.some((r) => r.ruleName === e.rule || r.rule === e.rule)) {
    return `policy ${e.policy} has no rule ${e.rule} (its rules: ${ofPolicy.map((r) => r.ruleName ?? r.rule).join(', ')})`;
  }
  return undefined;
}

function findImage(image: string, result: Result): ImageResult | undefined {
  return result.results.find((r) => r.image === image) ?? result.results.find((r) => r.normalized === image);
}

function imageCheck(e: ImageExpectation, result: Result): Check {
  const subject = e.policy ? `${e.image} under ${e.policy}${e.rule ? `/${e.rule}` : ''}` : e.image;
  const r = findImage(e.image, result);
  if (!r) return { ok: false, line: e.line, subject, expected: e.status, got: 'not found', reasons: [`no manifest of the test uses ${e.image}`] };
  let got: Status;
  let reasons: string[];
  if (e.policy) {
    const verdicts = r.policies.filter((p) => p.policy === e.policy && (!e.rule || p.ruleName === e.rule || p.rule === e.rule));
    got = verdicts.length > 0 ? worst(verdicts.map((v) => v.status)) : 'unmatched';
    reasons = verdicts.length > 0 ? verdicts.flatMap((v) => v.reasons) : [`no rule of ${e.policy}${e.rule ? ` named ${e.rule}` : ''} judged this image`];
  } else {
    got = r.status;
    reasons = [...(r.reasons ?? []), ...r.policies.flatMap((p) => p.reasons.map((m) => `${p.policy}: ${m}`))];
  }
  let ok = got === e.status;
  let expected: string = e.status;
  if (ok && e.reason !== undefined && !reasons.some((m) => m.includes(e.reason!))) {
    ok = false;
    expected = `${e.status}, with a reason containing ${JSON.stringify(e.reason)}`;
  }
  return { ok, line: e.line, subject, expected, got, reasons };
}

/** Kyverno's names: `name`, `namespace/name`, or `Kind/namespace/name`. */
function resourceMatches(wanted: string, kind: string | undefined, use: { kind: string; name?: string; namespace?: string }): boolean {
  if (kind && use.kind !== kind) return false;
  const parts = wanted.split('/');
  const name = parts.at(-1);
  if (use.name !== name) return false;
  if (parts.length >= 2 && (use.namespace ?? 'default') !== parts.at(-2)) return false;
  if (parts.length === 3 && use.kind !== parts[0]) return false;
  return true;
}

function resourceChecks(e: ResourceExpectation, result: Result): Check[] {
  return e.resources.map((resource) => {
    const subject = `${e.policy}${e.rule ? `/${e.rule}` : ''} on ${e.kind ? `${e.kind} ` : ''}${resource}`;
    const images = result.results.filter((r) => r.uses.some((u) => resourceMatches(resource, e.kind, u)));
    if (images.length === 0) {
      return { ok: false, line: e.line, subject, expected: e.result, got: 'not found', reasons: [`no resource named ${resource}${e.kind ? ` of kind ${e.kind}` : ''} with images in the test's resources`] };
    }
    const verdicts: PolicyVerdict[] = images.flatMap((r) => r.policies.filter((p) => p.policy === e.policy && (!e.rule || p.ruleName === e.rule || p.rule === e.rule)));
    const statuses = verdicts.map((v) => v.status);
    const got = statuses.length === 0 ? 'skip' : kyvernoResult(worst(statuses));
    // Kyverno reports a failing Audit rule as fail; this tool calls it warn: either expectation holds.
    const ok = got === e.result || (got === 'warn' && e.result === 'fail');
    return { ok, line: e.line, subject, expected: e.result, got, reasons: verdicts.flatMap((v) => v.reasons) };
  });
}

function kyvernoResult(s: Status): ResourceExpectation['result'] {
  return s === 'unmatched' ? 'skip' : s;
}
