import t from 'tap';
import { parseReference } from '../../src/images/reference.js';
import { conditionSyntaxError, evaluateConditions, imageVars, substitute } from '../../src/policy/conditions.js';
import type { Condition, ConditionOperator } from '../../src/policy/model.js';
import { applyOperator } from '../../src/policy/operators.js';
import { formatGoDuration, parseGoDuration, parseQuantity } from '../../src/policy/scalars.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const image = imageVars(parseReference('ghcr.io/org/app:v1'), DIGEST);

function cond(key: unknown, operator: ConditionOperator, value: unknown, message?: string): Condition {
  return { key, operator, value, line: 7, ...(message ? { message } : {}) };
}

t.test('operators, as Kyverno evaluates them (table)', async (t) => {
  const rows: [ConditionOperator, unknown, unknown, boolean][] = [
    ['Equals', 'main', 'main', true],
    ['Equals', 'main', 'dev', false],
    ['Equals', 'refs/heads/main', 'refs/heads/*', true],
    ['Equals', 'refs/heads/main', 'refs/?eads/main', true],
    ['Equals', 0, 0, true],
    ['Equals', 3, '3', true],
    ['Equals', 3, 4, false],
    ['Equals', true, true, true],
    ['Equals', true, 'true', false],
    ['Equals', '1Gi', '1024Mi', true],
    ['Equals', '60s', '1m', true],
    ['Equals', '5s', 5, true],
    ['Equals', ['a', 'b'], ['a', 'b'], true],
    ['Equals', { a: 1 }, { a: 1 }, true],
    ['Equals', { a: 1 }, { a: 2 }, false],
    ['Equal', 'x', 'x', true],
    ['NotEquals', 'main', 'dev', true],
    ['NotEquals', 'main', 'ma*', false],
    ['NotEqual', 1, 1, false],
    ['In', 'a', ['a', 'b'], true],
    ['In', 'c', ['a', 'b'], false],
    ['In', 'abc', ['a*'], true],
    ['In', ['a', 'b'], ['a', 'b', 'c'], true],
    ['In', ['a', 'd'], ['a', 'b', 'c'], false],
    ['In', 'a', '["a","b"]', true],
    ['In', 'a', 42, false],
    ['NotIn', 'c', ['a', 'b'], true],
    ['NotIn', 'a', ['a', 'b'], false],
    ['NotIn', 'c', 42, false],
    ['NotIn', ['a', 'd'], ['a', 'b'], true],
    ['AnyIn', ['ana@example.com', 'eve@example.com'], ['ana@example.com', 'bob@example.com'], true],
    ['AnyIn', ['eve@example.com'], ['ana@example.com', 'bob@example.com'], false],
    ['AnyIn', ['x.example.com'], ['*.example.com'], true],
    ['AnyIn', 'bob', ['ana', 'bob'], true],
    ['AllIn', ['a', 'b'], ['a', 'b', 'c'], true],
    ['AllIn', ['a', 'z'], ['a', 'b', 'c'], false],
    ['AllIn', ['GPL-3.0'], ['GPL-3.0'], true],
    ['AnyNotIn', ['a', 'z'], ['a', 'b'], true],
    ['AnyNotIn', ['a', 'b'], ['a', 'b'], false],
    ['AllNotIn', ['x', 'y'], ['a', 'b'], true],
    ['AllNotIn', ['x', 'a'], ['a', 'b'], false],
    ['AllNotIn', 'none', ['1.5', '1.6'], true],
    ['AllNotIn', '1.6', ['1.5', '1.6'], false],
    ['GreaterThan', 5, 3, true],
    ['GreaterThan', 3, 5, false],
    ['GreaterThan', '10', 9, true],
    ['GreaterThan', '2Gi', '1Gi', true],
    ['GreaterThan', '1.10.0', '1.9.0', true],
    ['GreaterThan', '1.0.0-rc.1', '1.0.0', false],
    ['GreaterThan', 'abc', 1, false],
    ['GreaterThanOrEquals', 3, 3, true],
    ['LessThan', 2, '2.5', true],
    ['LessThan', '500m', '1', true],
    ['LessThanOrEquals', '167h59m', '168h', true],
    ['LessThanOrEquals', '169h', '168h', false],
    ['LessThanOrEquals', 3, 3, true],
    ['DurationGreaterThan', '2h', '1h', true],
    ['DurationGreaterThan', '30m', '1h', false],
    ['DurationGreaterThanOrEquals', 3600, '1h', true],
    ['DurationLessThan', '1.5s', '1500ms1us', true],
    ['DurationLessThanOrEquals', '1h', 'bad', false],
  ];
  for (const [op, key, value, want] of rows) {
    t.equal(applyOperator(op, key, value), want, `${JSON.stringify(key)} ${op} ${JSON.stringify(value)} → ${want}`);
  }
});

t.test('Go durations and Kubernetes quantities parse as upstream', async (t) => {
  t.equal(parseGoDuration('1h30m'), 5400);
  t.equal(parseGoDuration('-1.5s'), -1.5);
  t.equal(parseGoDuration('0'), 0);
  t.equal(parseGoDuration('10'), undefined, 'a number without unit is not a duration');
  t.equal(parseGoDuration('1d'), undefined, 'Go has no days');
  t.equal(formatGoDuration(3723.5), '1h2m3.5s');
  t.equal(formatGoDuration(0.0015), '1.5ms');
  t.equal(formatGoDuration(0), '0s');
  t.equal(parseQuantity('1Ki'), 1024);
  t.equal(parseQuantity('500m'), 0.5);
  t.equal(parseQuantity('1e3'), 1000);
  t.equal(parseQuantity('1Gb'), undefined);
});

t.test('image special variables in Kyverno form', async (t) => {
  t.same(image, {
    reference: `ghcr.io/org/app@${DIGEST}`,
    referenceWithTag: 'ghcr.io/org/app:v1',
    registry: 'ghcr.io',
    path: 'org/app',
    name: 'app',
    tag: 'v1',
    digest: DIGEST,
  });
  const hub = imageVars(parseReference('nginx'));
  t.equal(hub.registry, 'docker.io');
  t.equal(hub.path, 'nginx', 'Kyverno adds no library/');
  t.equal(hub.tag, 'latest');
  t.equal(hub.reference, 'docker.io/nginx:latest');
  const pinned = imageVars(parseReference(`localhost:5000/team/app@${DIGEST}`));
  t.equal(pinned.registry, 'localhost:5000');
  t.equal(pinned.tag, '', 'no default tag when a digest is written');
  t.equal(pinned.reference, `localhost:5000/team/app@${DIGEST}`);
});

const provenance = {
  builder: { id: 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v1.9.0' },
  repo: { uri: 'https://git-repo.com/org/app', branch: 'main' },
  reviewers: ['ana@example.com', 'eve@example.com'],
  components: [{ name: 'commons-text', version: '1.10' }, { name: 'log4j', version: '2.17' }],
  metadata: { scanFinishedOn: '2026-11-20T00:00:00Z' },
  matches: [{ score: 9.1 }, { score: 4 }],
};
const ctx = { predicate: provenance, statement: { predicate: provenance }, image };

t.test('variables: JMESPath over the predicate, typed when the whole string is one variable', async (t) => {
  t.equal(substitute('{{ repo.branch }}', provenance), 'main');
  t.same(substitute('{{ reviewers }}', provenance), ['ana@example.com', 'eve@example.com']);
  t.equal(substitute('branch={{ repo.branch }};n={{ length(reviewers) }}', provenance), 'branch=main;n=2');
  t.equal(substitute('{{ missing.field }}', provenance), null, 'a missing path is null');
  t.equal(substitute(5, provenance), 5);
  t.same(substitute(['{{ repo.branch }}', 'x'], provenance), ['main', 'x']);
  // Kyverno substitutes inner variables first: the inner value lands in a string literal.
  t.equal(substitute("{{ regex_match('^https://github.com/slsa-framework/.*@refs/tags/v[0-9].[0-9].[0-9]$','{{ builder.id }}') }}", provenance), true);
});

t.test('conditions pass and fail with reasons naming condition, found and wanted', async (t) => {
  const pass = evaluateConditions(
    [
      {
        all: [
          cond('{{ repo.uri }}', 'Equals', 'https://git-repo.com/org/app'),
          cond('{{ repo.branch }}', 'Equals', 'main'),
          cond('{{ reviewers }}', 'AnyIn', ['ana@example.com', 'bob@example.com']),
          cond("{{ components[?name=='commons-text'].version || 'none' }}", 'AllNotIn', ['1.5', '1.6', '1.9']),
          cond('{{ image.registry }}', 'Equals', 'ghcr.io'),
          cond('{{ length(matches[?score > `8`]) }}', 'Equals', 1),
        ],
      },
    ],
    ctx,
  );
  t.same(pass, { ok: true, reasons: [], errors: [] });

  const fail = evaluateConditions([{ all: [cond('{{ repo.branch }}', 'Equals', 'release-*', 'must be built from a release branch')] }], ctx);
  t.equal(fail.ok, false);
  t.equal(fail.reasons.length, 1);
  t.match(fail.reasons[0], /condition "\{\{ repo\.branch \}\}" Equals "release-\*"/);
  t.match(fail.reasons[0], /must be built from a release branch/);
  t.match(fail.reasons[0], /found "main", wanted Equals "release-\*"/);
  t.match(fail.reasons[0], /line 7/);
});

t.test('any: one is enough; all: every one; every block must hold', async (t) => {
  const yes = cond('{{ repo.branch }}', 'Equals', 'main');
  const no = cond('{{ repo.branch }}', 'Equals', 'dev');
  t.equal(evaluateConditions([{ any: [no, yes] }], ctx).ok, true);
  const none = evaluateConditions([{ any: [no, no] }], ctx);
  t.equal(none.ok, false);
  t.match(none.reasons[0], /none of 2 "any" conditions held/);
  t.equal(evaluateConditions([{ all: [yes, no] }], ctx).ok, false);
  t.equal(evaluateConditions([{ any: [yes], all: [no] }], ctx).ok, false, 'all and any both apply in one block');
  t.equal(evaluateConditions([{ all: [yes] }, { all: [no] }], ctx).ok, false);
  t.equal(evaluateConditions([], ctx).ok, true, 'no conditions: the signed attestation is enough');
  t.equal(evaluateConditions([{}], ctx).ok, true);
});

t.test('Kyverno functions: time_since with a fixed clock, values with variables', async (t) => {
  const now = new Date('2026-11-23T00:00:00Z');
  const recent = evaluateConditions([{ all: [cond("{{ time_since('','{{metadata.scanFinishedOn}}','') }}", 'LessThanOrEquals', '168h')] }], {
    ...ctx,
    now,
  });
  t.same(recent, { ok: true, reasons: [], errors: [] });
  const stale = evaluateConditions([{ all: [cond("{{ time_since('','{{metadata.scanFinishedOn}}','') }}", 'LessThanOrEquals', '48h')] }], {
    ...ctx,
    now,
  });
  t.equal(stale.ok, false);
  t.match(stale.reasons[0], /found "72h0m0s"/);
  const fromValue = evaluateConditions([{ all: [cond('{{ repo.branch }}', 'Equals', '{{ repo.branch }}')] }], ctx);
  t.equal(fromValue.ok, true, 'variables in value are substituted too');
  t.equal(evaluateConditions([{ all: [cond('{{ to_upper(repo.branch) }}', 'Equals', 'MAIN')] }], ctx).ok, true);
});

t.test('the attestation name reaches the predicate too', async (t) => {
  const named = evaluateConditions([{ all: [cond('{{ prov.repo.branch }}', 'Equals', 'main')] }], { ...ctx, name: 'prov' });
  t.equal(named.ok, true);
});

t.test('evaluation errors fail with the reason; syntax errors are found at load', async (t) => {
  const r = evaluateConditions([{ all: [cond('{{ unknown_fn(repo) }}', 'Equals', 'x')] }], ctx);
  t.equal(r.ok, false);
  t.match(r.reasons[0], /cannot evaluate/);
  t.equal(conditionSyntaxError('{{ repo.branch }}'), undefined);
  t.equal(conditionSyntaxError("{{ regex_match('a','{{ builder.id }}') }}"), undefined);
  t.match(conditionSyntaxError('{{ repo.[ }}'), /invalid JMESPath/);
  t.match(conditionSyntaxError(['ok', '{{ a[ }}']), /invalid JMESPath/);
  t.equal(conditionSyntaxError(42), undefined);
});

t.test('Kyverno JMESPath functions beyond the standard set', async (t) => {
  const data = { s: 'Hello', b64: Buffer.from('hi').toString('base64'), t: '2026-11-20T00:00:00Z' };
  const rows: [string, unknown][] = [
    ["{{ pattern_match('He*', s) }}", true],
    ["{{ regex_match('(?i)^hello$', s) }}", true],
    ["{{ equal_fold(s, 'HELLO') }}", true],
    ['{{ to_lower(s) }}', 'hello'],
    ['{{ base64_decode(b64) }}', 'hi'],
    ["{{ trim_prefix(s, 'He') }}", 'llo'],
    ["{{ replace_all(s, 'l', 'L') }}", 'HeLLo'],
    ["{{ regex_replace_all('l+', s, 'L') }}", 'HeLo'],
    ["{{ time_add(t, '24h') }}", '2026-11-21T00:00:00Z'],
    ["{{ time_before(t, '2027-01-01T00:00:00Z') }}", true],
    ['{{ add(`1`, `2`) }}', 3],
  ];
  for (const [expr, want] of rows) t.same(substitute(expr, data), want, expr);
});
