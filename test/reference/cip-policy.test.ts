// Issue 23.4: the ClusterImagePolicy-level `spec.policy{type: cue|rego}`, over
// `{authorityMatches}`, judged by policy-controller's own `policy-tester` and by us on images that
// cosign signed and attested: two keys, one key signing twice, a static authority, an attestation
// authority, programs that count signatures, fields and attestations. Every verdict must agree.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { pushImage } from '../../src/testkit/oci-push.js';
import { bothRegistries, pathWith, referenceTool, run } from '../helpers/reference.js';
import { indent } from '../helpers/engine.js';
import { repo, verify } from '../parity/fixture.js';

t.setTimeout(900_000);

const CUSTOM = 'https://cosign.sigstore.dev/attestation/v1';

interface Program {
  name: string;
  type: 'cue' | 'rego';
  source: string;
  /** Authorities in the CIP: keyA (k1), keyB (k2), optionally a static pass and an attestation authority. */
  withStatic?: boolean;
  withAttestation?: boolean;
}

const PROGRAMS: Program[] = [
  // policy-controller's own example shape (cip-requires-two-signatures-and-two-attestations.yaml).
  { name: 'cue-both-keys', type: 'cue', source: 'import "list"\nauthorityMatches: {\n  keyA: signatures: list.MaxItems(1) & list.MinItems(1)\n  keyB: signatures: list.MaxItems(1) & list.MinItems(1)\n}\n' },
  { name: 'cue-one-signature-of-a', type: 'cue', source: 'import "list"\nauthorityMatches: keyA: signatures: list.MaxItems(1)\n' },
  { name: 'cue-a-and-b-present', type: 'cue', source: 'import "struct"\nauthorityMatches: struct.MinFields(2)\n' },
  { name: 'rego-count-authorities', type: 'rego', source: 'package sigstore\ndefault isCompliant = false\nisCompliant {\n  count(input.authorityMatches) == 2\n}\n' },
  { name: 'rego-two-signatures-of-a', type: 'rego', source: 'package sigstore\ndefault isCompliant = false\nisCompliant {\n  count(input.authorityMatches.keyA.signatures) == 2\n}\n' },
  { name: 'rego-static-matched', type: 'rego', withStatic: true, source: 'package sigstore\ndefault isCompliant = false\nisCompliant {\n  input.authorityMatches.pass.static == true\n  count(input.authorityMatches) >= 2\n}\n' },
  {
    name: 'cue-attestation-listed',
    type: 'cue',
    withAttestation: true,
    source: `import "list"\nauthorityMatches: att: attestations: custom: list.MinItems(1) & [...{predicateType: "${CUSTOM}", digest: =~"^sha256:"}]\n`,
  },
  { name: 'rego-attestation-and-a', type: 'rego', withAttestation: true, source: 'package sigstore\ndefault isCompliant = false\nisCompliant {\n  count(input.authorityMatches.att.attestations.custom) == 1\n  input.authorityMatches.keyA.signatures[_].id != ""\n}\n' },
];

/** policy-controller's include examples (../shared/fixtures cip-include-*.yaml), over the key authority. */
const INCLUDES: (Program & { include: string })[] = [
  { name: 'include-spec', type: 'cue', include: 'includeSpec', source: 'spec: "serviceAccount": "default"\n' },
  { name: 'include-objectmeta', type: 'cue', include: 'includeObjectMeta', source: 'metadata:\n  labels:\n    foo: "bar"\n' },
  { name: 'include-typemeta', type: 'cue', include: 'includeTypeMeta', source: 'typemeta:\n  kind: "Pod"\n' },
  { name: 'include-all-rego', type: 'rego', include: 'includeSpec: true\n    includeObjectMeta: true\n    includeTypeMeta', source: 'package sigstore\ndefault isCompliant = false\nisCompliant {\n  input.typemeta.kind == "Deployment"\n  input.metadata.labels.team == "shop"\n  input.spec.template.spec.serviceAccountName == "web"\n}\n' },
];

/** fetchConfigFile (cip-config-file-policy*.yaml): the image's config per platform, an index followed. */
const CONFIGS: (Program & { include: string })[] = [
  { name: 'config-arm-v7-user', type: 'cue', include: 'fetchConfigFile', source: 'config: "linux/amd64": config: User: "65532"\nconfig: "linux/arm/v7": config: User: "65532"\n' },
  { name: 'config-amd64-os', type: 'cue', include: 'fetchConfigFile', source: 'config: "linux/amd64": {os: "linux", architecture: "amd64"}\n' },
  { name: 'config-arm64-rego', type: 'rego', include: 'fetchConfigFile', source: 'package sigstore\ndefault isCompliant = false\nisCompliant {\n  input.config["linux/arm64"].architecture == "arm64"\n}\n' },
  { name: 'config-windows', type: 'cue', include: 'fetchConfigFile', source: 'config: [string]: os: "windows"\n' },
];

const RESOURCES: Record<string, (image: string) => string> = {
  'Pod, serviceAccount default, labelled foo=bar': (image) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {foo: bar}\nspec:\n  serviceAccount: default\n  containers:\n    - name: c\n      image: ${image}\n`,
  'Pod, serviceAccount other': (image) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\nspec:\n  serviceAccount: other\n  containers:\n    - name: c\n      image: ${image}\n`,
  'Deployment of team shop': (image) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {team: shop, foo: bar}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      serviceAccountName: web\n      containers:\n        - name: c\n          image: ${image}\n`,
};

async function suite(bin: Record<string, string>): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'vi-cip-policy-'));
  const env = { COSIGN_PASSWORD: '', COSIGN_YES: 'true', HOME: work, DOCKER_CONFIG: path.join(work, 'docker') };
  const must = (args: string[]) => {
    const r = run(bin.cosign!, args, { env, cwd: work });
    if (r.status !== 0) throw new Error(`cosign ${args.join(' ')}: ${r.stderr}`);
  };
  for (const k of ['k1', 'k2']) must(['generate-key-pair', '--output-key-prefix', k]);
  const pem = (k: string) => readFileSync(path.join(work, `${k}.pub`), 'utf8');
  writeFileSync(path.join(work, 'data.txt'), 'foobar key e2e test');
  const HTTP = ['--allow-insecure-registry', '--allow-http-registry'];
  const sign = (at: string, k: string, extra: string[] = []) => must(['sign', '--key', `${k}.key`, '--use-signing-config=false', '--tlog-upload=false', '--new-bundle-format=false', ...HTTP, ...extra, at]);

  const registries = await bothRegistries(bin.crane!);
  t.teardown(() => Promise.all(registries.map((r) => r.stop())));
  const evaluators = { PATH: pathWith(path.dirname(bin.cue!), path.dirname(bin.opa!)) };
  let compared = 0;
  let inputs = 0;

  for (const reg of registries) {
    t.test(`on ${reg.flavour}`, async (t) => {
      let n = 0;
      const image = async (name: string) => {
        const digest = await pushImage(reg.host, `cipp/${name}`, '1.0', { seed: `${reg.flavour}-${name}-${n++}` });
        return `${reg.host}/cipp/${name}@${digest}`;
      };
      const artifacts: [string, string][] = [];
      const one = await image('a-once');
      sign(one, 'k1');
      artifacts.push(['signed by k1', one]);
      const twice = await image('a-twice');
      sign(twice, 'k1');
      sign(twice, 'k1', ['-a', 'second=yes']);
      artifacts.push(['signed twice by k1', twice]);
      const both = await image('a-and-b');
      sign(both, 'k1');
      sign(both, 'k2');
      artifacts.push(['signed by k1 and k2', both]);
      const attested = await image('attested');
      sign(attested, 'k1');
      must(['attest', '--key', 'k1.key', '--use-signing-config=false', '--tlog-upload=false', '--new-bundle-format=false', ...HTTP, '--type', 'custom', '--predicate', 'data.txt', attested]);
      artifacts.push(['signed and attested by k1', attested]);
      artifacts.push(['unsigned', await image('unsigned')]);

      // includeSpec / includeObjectMeta / includeTypeMeta: the workload goes to policy-tester as --resource.
      for (const p of INCLUDES) {
        const cip = policy(reg.host, pem('k1'), pem('k2'), p);
        for (const [rname, resource] of Object.entries(RESOURCES)) {
          const manifest = resource(one);
          const dir = await repo(t, { 'p.yaml': cip, 'w.yaml': manifest });
          const tester = run(bin['policy-tester']!, ['--policy', 'p.yaml', '--image', one, '--resource', 'w.yaml'], { cwd: dir, env });
          const expected = tester.status === 0 ? 'pass' : 'fail';
          await t.test(`${rname} × ${p.name}: policy-tester says ${expected}`, async (t) => {
            const ours = await verify(dir, ['w.yaml', '--policy', 'p.yaml'], { env: evaluators });
            const verdict = Object.values(ours.verdicts)[0];
            compared++;
            if (verdict !== expected) t.comment(`policy-tester: ${tester.stdout.trim().split('\n').slice(-3).join(' ')}\nours: ${ours.stdout.slice(0, 1500)}${ours.stderr}`);
            t.equal(verdict, expected, `${rname} × ${p.name} (${reg.flavour}): policy-tester ${expected}, ours ${verdict}`);
          });
        }
      }

      const index = await (async () => {
        const { pushIndex } = await import('../../src/testkit/oci-push.js');
        const digest = await pushIndex(reg.host, 'cipp/multi', '1.0', { seed: `${reg.flavour}-multi` });
        const at = `${reg.host}/cipp/multi@${digest}`;
        sign(at, 'k1');
        return at;
      })();
      for (const p of CONFIGS) {
        const cip = policy(reg.host, pem('k1'), pem('k2'), p);
        for (const [aname, at] of [['one platform (amd64)', one], ['an index (amd64, arm64)', index]] as const) {
          const dir = await repo(t, { 'p.yaml': cip, 'pod.yaml': pod(at) });
          const tester = run(bin['policy-tester']!, ['--policy', 'p.yaml', '--image', at], { cwd: dir, env });
          const expected = tester.status === 0 ? 'pass' : 'fail';
          await t.test(`${aname} × ${p.name}: policy-tester says ${expected}`, async (t) => {
            const ours = await verify(dir, ['pod.yaml', '--policy', 'p.yaml'], { env: evaluators });
            const verdict = Object.values(ours.verdicts)[0];
            compared++;
            if (verdict !== expected) t.comment(`policy-tester: ${tester.stdout.trim().split('\n').slice(-3).join(' ')}\nours: ${ours.stdout.slice(0, 1500)}${ours.stderr}`);
            t.equal(verdict, expected, `${aname} × ${p.name} (${reg.flavour}): policy-tester ${expected}, ours ${verdict}`);
          });
        }
      }

      for (const p of PROGRAMS) {
        const cip = policy(reg.host, pem('k1'), pem('k2'), p);
        for (const [aname, at] of artifacts) {
          const dir = await repo(t, { 'p.yaml': cip, 'pod.yaml': pod(at) });
          const tester = run(bin['policy-tester']!, ['--policy', 'p.yaml', '--image', at], { cwd: dir, env });
          const expected = tester.status === 0 ? 'pass' : 'fail';
          await t.test(`${aname} × ${p.name}: policy-tester says ${expected}`, async (t) => {
            const ours = await verify(dir, ['pod.yaml', '--policy', 'p.yaml'], { env: evaluators });
            compared++;
            const verdict = Object.values(ours.verdicts)[0];
            if (verdict !== expected) t.comment(`policy-tester: ${tester.stdout.trim().split('\n').slice(-1).join('')}\nours: ${ours.stdout.slice(0, 1500)}${ours.stderr}`);
            t.equal(verdict, expected, `${aname} × ${p.name} (${reg.flavour}): policy-tester ${expected}, ours ${verdict}`);
            // The program's input itself: policy-tester logs the JSON it evaluates; a Rego program that
            // asks for exactly that `authorityMatches` (==: no field more or less, the same ids, digests, types).
            const logged = /CIP level policy: (\{.*\})\s*$/m.exec(tester.stdout + tester.stderr)?.[1];
            if (logged) {
              const theirs = JSON.stringify((JSON.parse(logged) as { authorityMatches: unknown }).authorityMatches);
              const exact: Program = { name: `${p.name}-input`, type: 'rego', source: `package sigstore\ndefault isCompliant = false\nisCompliant {\n  input.authorityMatches == ${theirs}\n}\n`, withStatic: p.withStatic, withAttestation: p.withAttestation };
              const dir2 = await repo(t, { 'p.yaml': policy(reg.host, pem('k1'), pem('k2'), exact), 'pod.yaml': pod(at) });
              const same = await verify(dir2, ['pod.yaml', '--policy', 'p.yaml'], { env: evaluators });
              inputs++;
              // `skip`: only `static: pass` matched (nothing verified, on purpose), and the program accepted it.
              const accepted = ['pass', 'skip'].includes(Object.values(same.verdicts)[0] ?? '');
              if (!accepted) t.comment(`policy-tester's input: ${logged}\nours: ${same.stdout.slice(0, 1500)}`);
              t.ok(accepted, `${aname} × ${p.name}: our authorityMatches equal policy-tester's`);
            }
          });
        }
      }
    });
  }
  t.teardown(() => t.comment(`${compared} comparisons with policy-tester on CIP-level policies, ${inputs} program inputs compared`));
}

function policy(host: string, k1: string, k2: string, p: Program & { include?: string }): string {
  const key = (name: string, pem: string, extra = '') => `    - name: ${name}\n      key:\n        data: |\n${indent(pem, 10)}\n${extra}`;
  const authorities = [key('keyA', k1), key('keyB', k2)];
  if (p.withStatic) authorities.push('    - name: pass\n      static: {action: pass}\n');
  if (p.withAttestation) authorities.push(key('att', k1, `      attestations:\n        - name: custom\n          predicateType: ${CUSTOM}\n`));
  return `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: cip-level}
spec:
  images:
    - glob: "${host}/**"
  authorities:
${authorities.join('')}  policy:
${p.include ? `    ${p.include}: true\n` : ''}    type: ${p.type}
    data: |
${indent(p.source, 6)}
`;
}

const pod = (image: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: ${image}\n`;

// Last: the suite reads the constants above.
const tools = ['cosign', 'crane', 'cue', 'opa', 'policy-tester'].map((name) => ({ name, tool: referenceTool(name, name === 'cosign' ? 'v3.1.4' : undefined) }));
const missing = tools.find((x) => 'skip' in x.tool);
if (missing) t.plan(0, (missing.tool as { skip: string }).skip);
else await suite(Object.fromEntries(tools.map((x) => [x.name, (x.tool as { path: string }).path])));
