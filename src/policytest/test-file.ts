// Test files for `verify-images test`: our own `verify-images-test.yaml` and Kyverno's
// `kyverno-test.yaml` (cli.kyverno.io/v1alpha1 Test, and the older unversioned form), read into one
// model. Strict: an unknown field, or one we cannot honour, is a broken test file (exit 2), never ignored.

import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

export const OWN_FILE = 'verify-images-test.yaml';
export const KYVERNO_FILE = 'kyverno-test.yaml';

export type ExpectedStatus = 'pass' | 'fail' | 'warn' | 'skip' | 'error' | 'unmatched';

/** One expectation: an image's overall status, or one policy's (and rule's) verdict on it. */
export interface ImageExpectation {
  form: 'image';
  image: string;
  status: ExpectedStatus;
  policy?: string;
  rule?: string;
  reason?: string;
  line: number;
}

/** Kyverno's: a rule's result on named resources of a kind. */
export interface ResourceExpectation {
  form: 'resource';
  policy: string;
  rule: string;
  resources: string[];
  kind?: string;
  result: 'pass' | 'fail' | 'skip' | 'warn' | 'error';
  line: number;
}

export interface PolicyTest {
  file: string;
  format: 'verify-images' | 'kyverno';
  name: string;
  /** Absolute paths. */
  policies: string[];
  resources: string[];
  fixtures: string;
  now?: Date;
  results: (ImageExpectation | ResourceExpectation)[];
}

export class TestFileError extends Error {
  readonly code = 'TEST_FILE_ERROR';
}

const STATUSES = ['pass', 'fail', 'warn', 'skip', 'error', 'unmatched'];
const KYVERNO_RESULTS = ['pass', 'fail', 'skip', 'warn', 'error'];

/** Kyverno Test fields this tool cannot honour: the test is reported as broken, not run half-way. */
const KYVERNO_UNSUPPORTED: Record<string, string> = {
  variables: 'variable files (values for mutate and generate policies)',
  userinfo: 'admission user info',
  values: 'inline values',
  checks: 'assertion checks',
  exceptions: 'policy exceptions',
  context: 'context files',
  clusterResources: 'cluster resources',
};
const KYVERNO_RESULT_UNSUPPORTED = ['patchedResource', 'patchedResources', 'generatedResource', 'generatedResources', 'cloneSourceResource', 'cloneSourceResources', 'isValidatingAdmissionPolicy', 'isMutatingAdmissionPolicy', 'isValidatingPolicy', 'isDeletingPolicy', 'isGeneratingPolicy', 'isMutatingPolicy'];

/** `file` locates the paths inside; `shown` is how messages and reports name it. */
export function parseTestFile(text: string, file: string, shown = file): PolicyTest {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new TestFileError(`${shown}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
  }
  const root = doc.contents;
  if (!isMap(root)) throw new TestFileError(`${shown}:1: a test file is a mapping`);
  const value = doc.toJS() as Record<string, unknown>;
  const fieldLine = (key: string) => at(root.items.find((p) => (p.key as { value?: unknown })?.value === key)?.key as Node);
  const fail = (key: string, why: string): never => {
    throw new TestFileError(`${shown}:${fieldLine(key)}: ${key}: ${why}`);
  };
  const dir = path.dirname(file);
  const strings = (key: string, required: boolean): string[] => {
    const v = value[key];
    if (v === undefined) return required ? fail(key, 'missing') : [];
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) return fail(key, 'must be a list of paths');
    return (list as string[]).map((p) => path.resolve(dir, p));
  };
  const kyvernoLike = path.basename(file) === KYVERNO_FILE || value.kind === 'Test' && String(value.apiVersion ?? '').startsWith('cli.kyverno.io/');
  const resultsNode = root.get('results', true);
  const resultLines = isSeq(resultsNode) ? resultsNode.items.map((n) => at(n as Node)) : [];
  const results = value.results;
  const ownFields = new Set(['apiVersion', 'kind', 'name', 'policies', 'resources', 'fixtures', 'now', 'results']);
  if (kyvernoLike) {
    const known = new Set(['apiVersion', 'kind', 'metadata', 'name', 'policies', 'resources', 'results', ...Object.keys(KYVERNO_UNSUPPORTED)]);
    for (const key of Object.keys(value)) {
      if (!known.has(key)) fail(key, 'unknown field of a Kyverno Test');
      if (KYVERNO_UNSUPPORTED[key]) fail(key, `not supported by verify-images test (${KYVERNO_UNSUPPORTED[key]}); run this test with kyverno test`);
    }
  } else {
    for (const key of Object.keys(value)) if (!ownFields.has(key)) fail(key, `unknown field (known: ${[...ownFields].join(', ')})`);
  }
  if (!Array.isArray(results) || results.length === 0) fail('results', 'a test needs at least one expected result');

  if (kyvernoLike) {
    const name = (value.metadata as { name?: unknown } | undefined)?.name ?? value.name ?? path.basename(dir);
    return {
      file: shown,
      format: 'kyverno',
      name: String(name),
      policies: strings('policies', true),
      resources: strings('resources', true),
      fixtures: path.join(dir, 'fixtures'),
      results: (results as Record<string, unknown>[]).map((r, i): ResourceExpectation => {
        const line = resultLines[i] ?? fieldLine('results');
        const bad = (why: string): never => {
          throw new TestFileError(`${shown}:${line}: results[${i}]: ${why}`);
        };
        for (const k of Object.keys(r ?? {})) {
          if (KYVERNO_RESULT_UNSUPPORTED.includes(k)) bad(`${k} is not supported by verify-images test (image verification only); run this test with kyverno test`);
          if (!['policy', 'rule', 'resources', 'resource', 'kind', 'result', 'status', 'namespace', 'isImageValidatingPolicy'].includes(k)) bad(`unknown field ${k}`);
        }
        const result = (r.result ?? r.status) as string;
        if (!KYVERNO_RESULTS.includes(result)) bad(`result must be one of ${KYVERNO_RESULTS.join(', ')}`);
        if (typeof r.policy !== 'string') bad('policy is required');
        const resources = r.resources ?? (r.resource !== undefined ? [r.resource] : undefined);
        if (!Array.isArray(resources) || !resources.every((x) => typeof x === 'string') || resources.length === 0) bad('resources must name at least one resource');
        if (r.isImageValidatingPolicy !== undefined && typeof r.isImageValidatingPolicy !== 'boolean') bad('isImageValidatingPolicy must be true or false');
        const ns = typeof r.namespace === 'string' ? `${r.namespace}/` : '';
        return {
          form: 'resource',
          policy: (r.policy as string).replace(/^.*\//, ''), // Kyverno writes namespaced policies as ns/name
          // An ImageValidatingPolicy has no rules: Kyverno names none (the policy is the rule).
          rule: typeof r.rule === 'string' && r.isImageValidatingPolicy !== true ? r.rule : '',
          resources: (resources as string[]).map((x) => (x.includes('/') || !ns ? x : ns + x)),
          ...(typeof r.kind === 'string' && { kind: r.kind }),
          result: result as ResourceExpectation['result'],
          line,
        };
      }),
    };
  }

  if (value.kind !== undefined && value.kind !== 'Test') fail('kind', 'must be Test');
  let now: Date | undefined;
  if (value.now !== undefined) {
    const text = String(value.now);
    now = new Date(text);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) || Number.isNaN(now.getTime())) {
      fail('now', 'must be an RFC 3339 time such as 2026-11-27T12:00:00Z');
    }
  }
  if (value.fixtures !== undefined && typeof value.fixtures !== 'string') fail('fixtures', 'must be a directory path');
  return {
    file: shown,
    format: 'verify-images',
    name: typeof value.name === 'string' ? value.name : path.basename(dir),
    policies: strings('policies', true),
    resources: strings('resources', true),
    fixtures: path.resolve(dir, typeof value.fixtures === 'string' ? value.fixtures : 'fixtures'),
    ...(now && { now }),
    results: (results as Record<string, unknown>[]).map((r, i): ImageExpectation => {
      const line = resultLines[i] ?? fieldLine('results');
      const bad = (why: string): never => {
        throw new TestFileError(`${shown}:${line}: results[${i}]: ${why}`);
      };
      if (!r || typeof r !== 'object') bad('must be a mapping');
      for (const k of Object.keys(r)) if (!['image', 'status', 'policy', 'rule', 'reason'].includes(k)) bad(`unknown field ${k} (known: image, status, policy, rule, reason)`);
      if (typeof r.image !== 'string') bad('image is required');
      if (!STATUSES.includes(r.status as string)) bad(`status must be one of ${STATUSES.join(', ')}`);
      for (const k of ['policy', 'rule', 'reason']) if (r[k] !== undefined && typeof r[k] !== 'string') bad(`${k} must be a string`);
      if (r.rule !== undefined && r.policy === undefined) bad('rule needs policy');
      return {
        form: 'image',
        image: r.image as string,
        status: r.status as ExpectedStatus,
        ...(typeof r.policy === 'string' && { policy: r.policy }),
        ...(typeof r.rule === 'string' && { rule: r.rule }),
        ...(typeof r.reason === 'string' && { reason: r.reason }),
        line,
      };
    }),
  };
}
