// The CIP-level program's input, built without the registry or the evaluators (engine/cip-policy.ts,
// engine/policy-program.ts regoVerdict): what decides never passes on a guess.
import t from 'tap';
import { authorityMatches, workloadInput } from '../../src/engine/cip-policy.js';
import { regoVerdict } from '../../src/engine/policy-program.js';
import type { LeafOutcome } from '../../src/policy/evaluate.js';
import type { CipPolicy, KeyRequirement } from '../../src/policy/model.js';
import type { Workload } from '../../src/manifests/types.js';

const key = (path: string): KeyRequirement => ({ kind: 'key', path, line: 1, keys: ['k'], hashAlgorithm: 'sha256', annotations: {}, tlog: 'ignore' });
const keyA = key('authorities[0].key');
const cip = (extra: CipPolicy['authorities'] = []): CipPolicy => ({
  policy: { type: 'cue', source: '', at: 'p.yaml:9' },
  include: { spec: true, objectMeta: false, typeMeta: true, config: false },
  authorities: [{ name: 'keyA', requirement: keyA }, { name: 'pass', requirement: { kind: 'static', path: 'authorities[1].static', action: 'pass' } }, ...extra],
});

t.test('matches: signatures with their ids, a static pass; an authority that failed is absent', async (t) => {
  const outcomes = (l: unknown): LeafOutcome => (l === keyA ? { status: 'pass', reasons: [], matches: [{ id: 'abc' }] } : { status: 'fail', reasons: ['no'] });
  t.same(authorityMatches(cip([{ name: 'keyB', requirement: key('authorities[2].key') }]), outcomes), { matches: { keyA: { signatures: [{ id: 'abc' }] }, pass: { static: true } } });
});

t.test('an authority this tool cannot evaluate makes the input unknown: undecided, not left out', async (t) => {
  const r = authorityMatches(cip([{ name: 'tsa', requirement: { kind: 'unsupported', path: 'authorities[2].rfc3161timestamp', field: 'rfc3161timestamp' } }]), () => ({ status: 'pass', reasons: [] }));
  t.match(r, { undecided: /authority tsa cannot be evaluated here, so which authorities match \(the program's input\) is unknown: .*unsupported: rfc3161timestamp/ });
});

t.test('workload input: spec, typemeta; an object without the spec asked for is a reason, never an input CUE would complete', async (t) => {
  const w = (object?: Record<string, unknown>): Workload => {
    const wl: Workload = { apiVersion: 'v1', kind: 'Pod', name: 'p', labels: {}, annotations: {} };
    if (object) Object.defineProperty(wl, 'object', { value: object, enumerable: false });
    return wl;
  };
  const c = cip().include;
  t.same(workloadInput(c, w({ spec: { serviceAccount: 'default' }, metadata: {} })), { spec: { serviceAccount: 'default' }, typemeta: { kind: 'Pod', apiVersion: 'v1' } });
  t.equal(workloadInput(c, w({ metadata: {} })), 'Pod/p has no spec for includeSpec');
  t.match(workloadInput(c, w()), /the object was not kept/);
});

t.test("rego: opa's JSON read as cosign reads the binding", async (t) => {
  const out = (value: unknown) => ({ code: 0, stderr: '', stdout: JSON.stringify({ result: [{ bindings: { isCompliant: value } }] }) });
  t.same(regoVerdict(out(true), 'x'), { ok: true });
  t.match(regoVerdict(out(false), 'x'), { ok: false, reason: /policy is not compliant for query/ });
  t.match(regoVerdict(out([{ result: true, warning: 'careful' }]), 'x'), { ok: false, reason: /warning: careful/ }, 'a warning refuses, as policy-controller does');
  t.match(regoVerdict(out([{ result: false, error: 'bad' }]), 'x'), { ok: false, reason: /with errors: bad/ });
  t.match(regoVerdict({ code: 0, stderr: '', stdout: '{}' }, 'x'), { ok: false }, 'undefined: not compliant');
  t.match(regoVerdict({ code: 0, stderr: '', stdout: JSON.stringify({ errors: [{ message: 'rego_parse_error' }] }) }, 'x'), { ok: false, error: true, reason: /cannot evaluate rego policy for x: rego_parse_error/ });
});
