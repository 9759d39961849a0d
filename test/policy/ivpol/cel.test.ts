// The CEL functions an ImageValidatingPolicy may call, on @bufbuild/cel, and the load-time checks.
import t from 'tap';
import { compile, type EvalContext } from '../../../src/policy/ivpol/cel.js';
import { ggcrReference } from '../../../src/policy/ivpol/libraries.js';
import { ivpolGlobMatch } from '../../../src/policy/ivpol/glob.js';
import { POLICY_VARIABLES } from '../../../src/policy/ivpol/load.js';
import { loadPolicies } from '../../../src/policy/loaders.js';
import { loadCel } from '../../../src/policy/ivpol/cel-runtime.js';

// The CEL engine loads lazily (prepareLoaders); these tests call loadPolicies directly.
await loadCel();

const run = (expr: string, bindings: Record<string, unknown> = {}, ctx?: EvalContext) => compile(expr, POLICY_VARIABLES).eval(bindings, ctx);

t.test('image library: ggcr answers', async (t) => {
  t.equal(run("parseImageReference('nginx').registry()"), 'index.docker.io');
  t.equal(run("parseImageReference('nginx').repository()"), 'library/nginx');
  t.equal(run("parseImageReference('nginx').identifier()"), 'latest');
  t.equal(run("parseImageReference('docker.io/acme/app:1').registry()"), 'index.docker.io');
  const d = `sha256:${'a'.repeat(64)}`;
  t.equal(run(`parseImageReference('ghcr.io/a/b:1@${d}').tag()`), '', 'tag@digest: ggcr keeps no tag');
  t.equal(run(`parseImageReference('ghcr.io/a/b:1@${d}').identifier()`), d);
  t.equal(run(`parseImageReference('ghcr.io/a/b:1@${d}').containsDigest()`), true);
  t.equal(run("image('localhost:5000/x:1').registry()"), 'localhost:5000', 'image() is the deprecated alias');
  t.equal(run("isImage('Not/Valid')"), false);
  t.equal(run("isImage('ghcr.io/a/b:1.0')"), true);
  t.same(ggcrReference('registry.example/team/app'), { registry: 'registry.example', repository: 'team/app', tag: 'latest', digest: '' });
});

t.test('Kubernetes extensions and Kyverno libraries', async (t) => {
  t.same(run('"a,b,c".split(",")'), ['a', 'b', 'c']);
  t.equal(run('"Hello".lowerAscii()'), 'hello');
  t.equal(run('[3, 1, 2].max()'), 3);
  t.equal(run('[1, 2, 3].isSorted()'), true);
  t.equal(run('[1, 2, 3].sum()'), 6);
  t.equal(run('"abc123def".find("[0-9]+")'), '123');
  t.same(run('"a1b22c333".findAll("[0-9]+")'), ['1', '22', '333']);
  t.equal(run('quantity("1Gi").isGreaterThan(quantity("1000Mi"))'), true);
  t.equal(run('isQuantity("2k")'), true);
  t.equal(run('json.unmarshal(\'{"a": {"b": 2}}\').a.b'), 2);
  t.equal(run('yaml.parse("a: [1, 2]").a.size()'), 2);
  t.equal(run('hash.sha256("abc")'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.equal(run('object.spec.replicas == 3 && object.metadata.name.startsWith("we")', { object: { metadata: { name: 'web' }, spec: { replicas: 3 } } }), true);
});

t.test('cluster lookups fail with a reason; the verification functions ask the context', async (t) => {
  t.throws(() => run('http.Get("https://example.com")'), /http\.Get needs the cluster/);
  t.throws(() => run('globalContext.Get("x", "")'), /globalContext\.Get needs the cluster/);
  const asked: string[] = [];
  const ctx: EvalContext = {
    verifySignatures: (image, attestors) => (asked.push(`${image} ${attestors}`), 2),
    verifyAttestations: () => 1,
    extractPayload: () => ({ predicate: { ok: true } }),
    imageData: () => ({ digest: 'sha256:x' }),
  };
  t.equal(run('verifyImageSignatures("a/b:1", [attestors.x, attestors.y]) == 2', { attestors: { x: 'x', y: 'y' } }, ctx), true);
  t.same(asked, ['a/b:1 x,y']);
  t.equal(run('extractPayload("a/b:1", attestations.s).predicate.ok', { attestations: { s: 's' } }, ctx), true);
  t.equal(run('getImageData("a/b:1").digest', {}, ctx), 'sha256:x');
});

t.test('gobwas globs without separators: * crosses / and :', async (t) => {
  t.ok(ivpolGlobMatch('ghcr.io/*', 'ghcr.io/org/app:1.0'));
  t.ok(ivpolGlobMatch('ghcr.io/kyverno/test-images/cosign:*', 'ghcr.io/kyverno/test-images/cosign:signed'));
  t.notOk(ivpolGlobMatch('ghcr.io/*', 'docker.io/ghcr.io/x'));
  t.ok(ivpolGlobMatch('{ghcr.io,quay.io}/acme/*', 'quay.io/acme/x:1'));
  t.ok(ivpolGlobMatch('reg.example/app:v[0-9]*', 'reg.example/app:v2.1'));
  t.ok(ivpolGlobMatch('a.b/c?d', 'a.b/c1d'));
  t.notOk(ivpolGlobMatch('a.b/c', 'aXb/c'), 'dots are literal');
});

const policy = (spec: string) => `apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: {name: p}
spec:
${spec.split('\n').map((l) => `  ${l}`).join('\n')}
`;

t.test('policy errors: CEL that does not compile, unknown attestors, bad fields — exit 2 at the line', async (t) => {
  const load = (text: string) => loadPolicies([{ file: 'p.yaml', text }]);
  const base = 'attestors:\n- name: k\n  cosign:\n    key:\n      kms: awskms:///alias/x';
  t.throws(() => load(policy(`${base}\nvalidations:\n- expression: "images.containers.all(i, "`)), {
    code: 'POLICY_ERROR',
    message: /^p\.yaml:11: spec\.validations\[0\]\.expression: Invalid value: "images\.containers\.all\(i, ": ERROR: <input>:1:\d+: Syntax error: /,
  });
  t.throws(() => load(policy(`${base}\nvalidations:\n- expression: "nosuch(1)"`)), { message: /Invalid value: "nosuch\(1\)": ERROR: <input>:1:\d+: undeclared reference to 'nosuch' \(in container ''\)/ });
  t.throws(() => load(policy(`${base}\nvalidations:\n- expression: "true && foo.bar == 1"`)), { message: /ERROR: <input>:1:9: undeclared reference to 'foo' \(in container ''\)/ }, "cel-go's line:column");
  t.throws(() => load(policy(`${base}\nvalidations:\n- expression: "images.containers.all(i, verifyImageSignatures(i, [attestors.other]) > 0)"`)), { message: /attestors\.other is not declared in spec\.attestors \(declared: k\)/ });
  t.throws(() => load(policy(`${base}\nvalidationActions: [Deny, Warn]\nvalidations:\n- expression: "true"`)), { message: /Deny and Warn cannot be combined/ });
  t.throws(() => load(policy(`${base}\nvalidations:\n- expresion: "true"`)), { message: /unknown field "expresion".*did you mean "expression"/ });
  const subjectExpression = load(policy('attestors:\n- name: k\n  cosign:\n    keyless:\n      identities:\n      - subjectExpression: x\nvalidations:\n- expression: "true"'));
  t.match((subjectExpression[0]!.rules[0]!.requirement as unknown as { program: { attestors: Map<string, { leaf(v: object): unknown }> } }).program.attestors.get('k')!.leaf({}), { unsupported: /subjectExpression \(in the CRD, not evaluated by Kyverno/ }, 'valid in the CRD: its images are undecided, not a policy error');
  t.throws(() => load(policy(`${base}\nmatchImageReferences:\n- expression: "image.registry == 'ghcr.io'"\nvalidations:\n- expression: "true"`)), { message: /matchImageReferences\[0\]\.expression: Invalid value: .*undeclared reference to 'image'/ }, 'only `ref` is bound there');
  t.doesNotThrow(() => load(policy(`${base}\nmatchImageReferences:\n- expression: "ref.startsWith('ghcr.io/')"\nvalidations:\n- expression: "true"`)));
});

t.test("what Kyverno's ImageValidatingPolicy webhook refuses when it compiles the policy (pkg/cel/policies/ivpol/compiler/compiler.go; the output-type check as Kubernetes' ValidatingAdmissionPolicy): a validation or matchCondition whose result is not bool, a messageExpression that is not a string", async (t) => {
  const load = (text: string) => loadPolicies([{ file: 'p.yaml', text }]);
  const base = 'attestors:\n- name: k\n  cosign:\n    key:\n      kms: awskms:///alias/x';
  t.throws(() => load(policy(`${base}\nvalidations:\n- expression: "'signed'"`)), { code: 'POLICY_ERROR', message: /^p\.yaml:11: spec\.validations\[0\]\.expression: Invalid value: "'signed'": output is expected to be of type bool, not string/ });
  t.throws(() => load(policy(`${base}\nvalidations:\n- expression: "[true]"`)), { message: /output is expected to be of type bool, not list/ });
  t.throws(() => load(policy(`${base}\nmatchConditions:\n- name: m\n  expression: "1"\nvalidations:\n- expression: "true"`)), { message: /matchConditions\[0\]\.expression: Invalid value: "1": output is expected to be of type bool, not int/ });
  t.throws(() => load(policy(`${base}\nvalidations:\n- expression: "true"\n  messageExpression: "false"`)), { message: /messageExpression: Invalid value: "false": output is expected to be of type string, not bool/ });
  t.doesNotThrow(() => load(policy(`${base}\nvalidations:\n- expression: "object.spec.x"\n  messageExpression: "'a' + object.kind"`)), 'a result only known at run time is left to the evaluation');
});

t.test('credentials: secrets are the rule\'s pull secrets (Kyverno namespace, or ns/name), providers the docker config\'s helpers — not unsupported', async (t) => {
  const base = 'attestors:\n- name: k\n  cosign:\n    key:\n      kms: awskms:///alias/x\nvalidations:\n- expression: "true"';
  const [p] = loadPolicies([{ file: 'p.yaml', text: policy(`${base}\ncredentials:\n  allowInsecureRegistry: false\n  providers: [default, amazon]\n  secrets: [regcred, team-a/pull]`) }]);
  const rule = p!.rules[0]!;
  t.same(rule.pullSecrets, ['kyverno/regcred', 'team-a/pull']);
  t.equal(rule.requirement.kind, 'cel');
  const [plain] = loadPolicies([{ file: 'p.yaml', text: policy(base) }]);
  t.equal(plain!.rules[0]!.pullSecrets, undefined);
  const [json] = loadPolicies([{ file: 'p.yaml', text: policy(`${base}\nevaluation:\n  mode: JSON`) }]);
  t.match(json!.rules[0]!.requirement, { kind: 'unsupported', path: 'spec.evaluation.mode' }, 'JSON mode still blocks');
});
