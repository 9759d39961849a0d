// The canonical result (the JSON of `-o json`). Every report format, the exit
// code and the pin step derive from it; nothing else is printed by the engine.

export type Status = 'pass' | 'fail' | 'warn' | 'skip' | 'unmatched' | 'error';

/** The verdict of one policy rule on one image. */
export interface PolicyVerdict {
  policy: string;
  file: string;
  line: number;
  rule: string;
  /** The rule's own name (Kyverno), when it has one. */
  ruleName?: string;
  mode: 'enforce' | 'audit';
  status: Exclude<Status, 'unmatched'>;
  reasons: string[];
  /** Whether an `error` here blocks the sync (the policy's failure policy). */
  onError: 'block' | 'allow';
  /** A requirement (or the mode) this tool cannot evaluate: an `error` that blocks whatever the mode says. */
  unsupported?: true;
  /** Who signed, for passes: key fingerprint or certificate identity. */
  signers?: string[];
}

/** Where an image is used. */
export interface UseLocation {
  file: string;
  line: number;
  kind: string;
  namespace?: string;
  name?: string;
  container: string;
}

/** What a result is about: an image use (the default, `kind` absent), a signed manifest, a source artifact, a commit. */
export type SubjectKind = 'manifest' | 'source' | 'commit';

export interface ImageResult {
  /** Absent for images; other subjects are named in `image` (`Deployment prod/web`, a chart reference, a commit). */
  kind?: SubjectKind;
  /** As written in the manifest. */
  image: string;
  normalized: string;
  digest?: string;
  status: Status;
  policies: PolicyVerdict[];
  uses: UseLocation[];
  /** Reasons that belong to the image rather than a policy (invalid reference, unmatched). */
  reasons?: string[];
  /** What to do about it, for blocked, warned and unmatched images: `sign it: cosign sign …`. */
  hints?: string[];
}

export interface Summary {
  /** Every result (images and other subjects); `subjects` says how many are not images. */
  images: number;
  pass: number;
  fail: number;
  warn: number;
  skip: number;
  unmatched: number;
  error: number;
  /** Results that are not images, by kind (only when there are some). */
  subjects?: Partial<Record<SubjectKind, number>>;
}

export interface Result {
  summary: Summary;
  results: ImageResult[];
  /** `fail` when the config says unmatched images block (policy-controller's no-match-policy: deny). */
  unmatched: 'allow' | 'fail';
}

const SEVERITY: Record<Status, number> = { unmatched: 0, skip: 1, pass: 2, warn: 3, error: 4, fail: 5 };

/** The worst of several verdicts: one failing policy fails the image. */
export function worst(statuses: Status[]): Status {
  return statuses.reduce<Status>((acc, s) => (SEVERITY[s] > SEVERITY[acc] ? s : acc), 'unmatched');
}

export function summarize(results: ImageResult[]): Summary {
  const summary: Summary = { images: results.length, pass: 0, fail: 0, warn: 0, skip: 0, unmatched: 0, error: 0 };
  for (const r of results) {
    summary[r.status]++;
    if (r.kind) (summary.subjects ??= {})[r.kind] = (summary.subjects[r.kind] ?? 0) + 1;
  }
  return summary;
}

const NOUNS: Record<SubjectKind | 'image', [string, string]> = { image: ['image', 'images'], manifest: ['manifest', 'manifests'], source: ['source', 'sources'], commit: ['commit', 'commits'] };

/** `3 images`, `1 image, 2 manifests`: what a summary line counts. */
export function countText(s: Summary): string {
  const others = Object.entries(s.subjects ?? {}) as [SubjectKind, number][];
  const images = s.images - others.reduce((n, [, c]) => n + c, 0);
  const say = (n: number, kind: SubjectKind | 'image') => `${n} ${NOUNS[kind][n === 1 ? 0 : 1]}`;
  return [...(images > 0 || others.length === 0 ? [say(images, 'image')] : []), ...others.map(([k, n]) => say(n, k))].join(', ');
}

/** Whether an image stops the sync, and why: 'fail' (exit 1) or 'error' (exit 3). */
export function blocking(image: ImageResult, unmatched: Result['unmatched']): 'fail' | 'error' | null {
  if (image.status === 'fail') return 'fail';
  if (image.status === 'unmatched' && unmatched === 'fail') return 'fail';
  const undecided = image.policies.some((p) => p.status === 'error' && ((p.onError === 'block' && p.mode === 'enforce') || p.unsupported));
  // An image that could not even be parsed has no policy to ask; it cannot be let through.
  if (undecided || (image.status === 'error' && image.policies.length === 0)) return 'error';
  return null;
}

/** Exit codes: 0 nothing blocks, 1 an enforced failure, 3 undecided under a blocking failure policy. */
export function exitCode(result: Result): 0 | 1 | 3 {
  let code: 0 | 1 | 3 = 0;
  for (const image of result.results) {
    const b = blocking(image, result.unmatched);
    if (b === 'fail') return 1;
    if (b === 'error') code = 3;
  }
  return code;
}
