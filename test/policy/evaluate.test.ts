import t from 'tap';
import { evaluate, keyLeaves, type LeafOutcome } from '../../src/policy/evaluate.js';
import type { Leaf } from '../../src/policy/evaluate.js';
import type { KeyRequirement, Requirement } from '../../src/policy/model.js';

const key = (path: string): KeyRequirement => ({
  kind: 'key',
  path,
  line: 1,
  keys: [path],
  hashAlgorithm: 'sha256',
  annotations: {},
  tlog: 'ignore',
});

/** Leaves named `p…` pass, `f…` fail, `e…` error. */
function leaf(r: Leaf): LeafOutcome {
  const s = r.path[0] === 'p' ? 'pass' : r.path[0] === 'f' ? 'fail' : 'error';
  return { status: s, reasons: [s === 'pass' ? 'signed' : s === 'fail' ? 'signature does not match' : 'registry down'] };
}
const run = (req: Requirement): string => evaluate(req, leaf).status;

t.test('leaves carry their path in reasons', async (t) => {
  t.same(evaluate(key('f1'), leaf), { status: 'fail', reasons: ['f1: signature does not match'] });
  t.same(evaluate({ kind: 'unsupported', path: 'a.keyless', field: 'keyless' }, leaf), {
    status: 'error',
    reasons: ['a.keyless: unsupported: keyless'],
    unsupported: true,
  });
  t.same(evaluate({ kind: 'static', path: 's', action: 'fail', message: 'no' }, leaf), { status: 'fail', reasons: ['s: no'] });
  t.equal(run({ kind: 'static', path: 's', action: 'pass' }), 'pass');
});

t.test('all: any fail → fail, else any error → error', async (t) => {
  const all = (...of: Requirement[]): Requirement => ({ kind: 'all', path: 'x', of });
  t.equal(run(all(key('p1'), key('p2'))), 'pass');
  t.equal(run(all(key('p1'), key('e1'), key('f1'))), 'fail');
  t.equal(run(all(key('p1'), key('e1'))), 'error');
  t.equal(run(all()), 'pass', 'nothing required');
  const out = evaluate(all(key('p1'), key('f1'), key('e1')), leaf);
  t.same(out.reasons, ['f1: signature does not match', 'e1: registry down']);
});

t.test('any: any pass → pass, else error if any error, else fail', async (t) => {
  const any = (...of: Requirement[]): Requirement => ({ kind: 'any', path: 'authorities', of });
  t.equal(run(any(key('f1'), key('p1'))), 'pass');
  t.equal(run(any(key('f1'), key('e1'))), 'error');
  t.equal(run(any(key('f1'), key('f2'))), 'fail');
  t.equal(run(any()), 'fail');
});

t.test('count: ≥min passes → pass; passes+errors ≥ min → error; else fail', async (t) => {
  const count = (min: number, ...of: Requirement[]): Requirement => ({ kind: 'count', path: 'attestors[0]', min, of });
  t.equal(run(count(2, key('p1'), key('p2'), key('f1'))), 'pass');
  t.equal(run(count(2, key('p1'), key('e1'), key('f1'))), 'error');
  t.equal(run(count(2, key('p1'), key('f1'), key('f2'))), 'fail');
  t.equal(run(count(1, key('f1'), { kind: 'unsupported', path: 'u', field: 'keyless' })), 'error', 'unsupported counts as undecided');
  const reasons = evaluate(count(2, key('p1'), key('f1'), key('f2')), leaf).reasons;
  t.match(reasons[0], /^f1: signature does not match/, 'what is wrong first');
  t.match(reasons.at(-1), /^attestors\[0\]: 1 of 3/, 'the count last');
});

t.test('keyLeaves walks the tree', async (t) => {
  const tree: Requirement = { kind: 'all', path: '', of: [key('a'), { kind: 'any', path: 'b', of: [key('c'), { kind: 'static', path: 's', action: 'pass' }] }] };
  t.same(keyLeaves(tree).map((k) => k.path), ['a', 'c']);
});

t.test('an unsupported requirement marks the undecided outcome, through all, any and count', async (t) => {
  const u: Requirement = { kind: 'unsupported', path: 'n', field: 'type: Notary' };
  const all: Requirement = { kind: 'all', path: '', of: [key('p1'), u] };
  t.same(evaluate(all, leaf).unsupported, true, 'all: undecided because of it');
  t.equal(evaluate({ kind: 'all', path: '', of: [key('f1'), u] }, leaf).status, 'fail', 'a failure still decides');
  t.equal(evaluate({ kind: 'any', path: '', of: [key('p1'), u] }, leaf).status, 'pass', 'any: another alternative passes');
  t.same(evaluate({ kind: 'any', path: '', of: [key('f1'), u] }, leaf).unsupported, true);
  t.same(evaluate({ kind: 'count', path: '', min: 2, of: [key('p1'), u, key('f1')] }, leaf).unsupported, true);
  t.equal(evaluate({ kind: 'all', path: '', of: [key('e1')] }, leaf).unsupported, undefined, 'registry trouble is not "unsupported"');
});
