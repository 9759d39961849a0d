// -o sarif: SARIF 2.1.0 for GitHub code scanning and other SARIF readers.
// One result per non-passing image × policy × use, located at the manifest line
// that uses the image (the source file, not the rendered stream). Passes and
// skips are left out: code scanning does not document `kind`, and would turn
// them into alerts.

import { createHash } from 'node:crypto';
import type * as Sarif from 'sarif';
import type { Result, UseLocation } from '../engine/result.js';
import { VERSION } from '../cli/version.js';
import { findings, IMAGE_ERROR_RULE, severity, UNMATCHED_RULE, useText, workload, type Finding } from './findings.js';

const SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** Bump when the fingerprint's inputs change, so old alerts are not silently matched. */
const FINGERPRINT_KEY = 'verifyImagesFinding/v1';

export function format(result: Readonly<Result>): string {
  const all = findings(result);
  const reported = all.filter((f) => f.status !== 'pass' && f.status !== 'skip');
  const rules = buildRules(all);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const results: Sarif.Result[] = [];
  for (const f of reported) {
    const uses: (UseLocation | undefined)[] = f.image.uses.length > 0 ? f.image.uses : [undefined];
    for (const use of uses) results.push(toResult(f, use, index.get(f.ruleId)!));
  }
  const log: Sarif.Log = {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'kubectl-verify-images', version: VERSION, semanticVersion: VERSION, rules } },
        columnKind: 'unicodeCodePoints',
        results,
        properties: { summary: { ...result.summary } },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** Every rule seen (passing ones too), so ruleIds and indexes do not depend on what failed. */
function buildRules(all: Finding[]): Sarif.ReportingDescriptor[] {
  const rules = new Map<string, Sarif.ReportingDescriptor>();
  for (const f of all) {
    if (rules.has(f.ruleId)) continue;
    const v = f.verdict;
    if (v) {
      rules.set(f.ruleId, {
        id: f.ruleId,
        name: v.policy,
        shortDescription: { text: `Images must satisfy ${v.rule} of policy ${v.policy}` },
        fullDescription: { text: `Images matched by ${v.rule} of policy ${v.policy} (${v.file}:${v.line}, ${v.mode} mode) must carry signatures it accepts.` },
        defaultConfiguration: { level: v.mode === 'enforce' ? 'error' : 'warning' },
        properties: { policy: v.policy, rule: v.rule, file: v.file, line: v.line, mode: v.mode, tags: ['supply-chain', 'image-signature'] },
      });
    } else if (f.ruleId === UNMATCHED_RULE) {
      rules.set(f.ruleId, {
        id: f.ruleId,
        name: 'unmatched',
        shortDescription: { text: 'No image policy matches the image' },
        defaultConfiguration: { level: 'note' },
      });
    } else if (f.ruleId === IMAGE_ERROR_RULE) {
      rules.set(f.ruleId, {
        id: f.ruleId,
        name: 'invalid-image',
        shortDescription: { text: 'The image reference cannot be verified' },
        defaultConfiguration: { level: 'error' },
      });
    }
  }
  return [...rules.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function level(f: Finding): Sarif.Result.level {
  return severity(f) ?? 'none';
}

function toResult(f: Finding, use: UseLocation | undefined, ruleIndex: number): Sarif.Result {
  const v = f.verdict;
  const head = `${f.status}: ${f.image.image}${v ? ` (policy ${v.policy}, ${v.rule})` : ''}`;
  const text = [head, ...f.reasons.map((r) => `- ${r}`)].join('\n');
  const out: Sarif.Result = {
    ruleId: f.ruleId,
    ruleIndex,
    level: level(f),
    message: { text },
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(f, use) },
    properties: {
      status: f.status,
      ...(f.image.kind && { kind: f.image.kind }),
      image: f.image.image,
      normalized: f.image.normalized,
      ...(f.image.digest ? { digest: f.image.digest } : {}),
      blocking: f.blocks,
    },
  };
  if (use) {
    out.locations = [
      {
        physicalLocation: { artifactLocation: { uri: toUri(use.file) }, region: { startLine: Math.max(1, use.line) } },
        message: { text: useText(use) },
      },
    ];
  }
  if (v) {
    // The policy rule that decided, so a reader can jump from the alert to the policy.
    out.relatedLocations = [
      {
        id: 1,
        physicalLocation: { artifactLocation: { uri: toUri(v.file) }, region: { startLine: Math.max(1, v.line) } },
        message: { text: `policy ${v.policy} ${v.rule}` },
      },
    ];
  }
  return out;
}

/**
 * Same finding at the same place → same fingerprint across runs. Lines are left out
 * on purpose: editing the file above the image must not open a new alert.
 */
function fingerprint(f: Finding, use: UseLocation | undefined): string {
  const parts = [f.ruleId, f.image.normalized, use?.file ?? '', use ? workload(use) : '', use?.container ?? ''];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** A repository-relative path as a URI reference (`<stdin>` and spaces must be escaped). */
export function toUri(file: string): string {
  const path = file.replace(/\\/g, '/');
  const encoded = path
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/');
  // A Windows drive letter or an absolute path: make it a file: URI rather than a relative one.
  if (/^[A-Za-z]:\//.test(path)) return `file:///${encoded.replace('%3A', ':')}`;
  if (path.startsWith('/')) return `file://${encoded}`;
  return encoded;
}
