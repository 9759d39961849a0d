// Issue 23.4: ClusterImagePolicy `attestations[].policy{type: cue|rego}` evaluated by the real
// `cue` and `opa`. Attestations are made by cosign; each program is judged by `cosign
// verify-attestation --policy` (which runs the same CUE / Rego engines over the same statement)
// and by us under the ClusterImagePolicy that embeds it, on both registries. The programs are
// policy-controller's own examples (../shared/fixtures) plus a few edge shapes. Without `cue` /
// `opa` on PATH the image is `error` "unsupported: … needs `cue` on PATH" (exit 3), never a pass.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { pushImage } from '../../src/testkit/oci-push.js';
import { bothRegistries, pathWith, referenceTool, run } from '../helpers/reference.js';
import { indent } from '../helpers/engine.js';
import { repo, verify } from '../parity/fixture.js';
import { parseAllDocuments } from 'yaml';
import { fixturesDir } from '../policy/helpers.js';


// Every case runs three reference tools besides this one, on two registries.
t.setTimeout(900_000);

const CUSTOM = 'https://cosign.sigstore.dev/attestation/v1';
const SLSA = 'https://slsa.dev/provenance/v0.2';

/** A program as policy-controller reads it (CIP) and as `cosign verify-attestation --policy` reads it. */
interface Program {
  name: string;
  type: 'cue' | 'rego';
  /** For the CIP; cosign's Rego entry point is `data.signature.allow`, so rego is renamed for it. */
  source: string;
  predicate: 'custom' | 'slsaprovenance';
}

/** The programs of policy-controller's examples that use them (inline copies when ../shared is absent). */
function examples(): Program[] {
  const fixture = (file: string) => {
    const at = path.join(fixturesDir, 'policies/policy-controller', file);
    return existsSync(at) ? readFileSync(at, 'utf8') : undefined;
  };
  const programsOf = (file: string, inline: { name: string; type: 'cue' | 'rego'; data: string; predicateType: string }[]) => {
    const text = fixture(file);
    if (text === undefined) return inline;
    const doc = parseAllDocuments(text)[0]!.toJS() as { spec: { authorities: { attestations?: { name: string; predicateType: string; policy?: { type: 'cue' | 'rego'; data: string } }[] }[] } };
    return doc.spec.authorities.flatMap((a) => a.attestations ?? []).flatMap((a) => (a.policy ? [{ name: a.name, predicateType: a.predicateType, type: a.policy.type, data: a.policy.data }] : []));
  };
  const found = [
    ...programsOf('cip-key-with-attestations-rego.yaml', [{ name: 'custom-match-predicate', predicateType: CUSTOM, type: 'cue', data: `predicateType: "${CUSTOM}"\npredicate: Data: "foobar key e2e test"\n` }]),
    ...programsOf('cip-keyless-with-attestations-rego.yaml', [
      { name: 'custom-match-predicate', predicateType: CUSTOM, type: 'rego', data: `package sigstore\ndefault isCompliant = false\nisCompliant {\n  input.predicateType == "${CUSTOM}"\n  input.predicate.Data == "foobar e2e test"\n}\n` },
    ]),
    ...programsOf('cip-requires-two-signatures-and-two-attestations.yaml', []).filter((p) => p.predicateType === CUSTOM),
  ];
  return found.map((p, i) => ({ name: `example-${i + 1}-${p.type}-${p.name}`, type: p.type, source: p.data, predicate: 'custom' }));
}

const EDGE: Program[] = [
  // A bound on a field the statement lacks: incomplete, which Validate() without concreteness lets pass.
  { name: 'cue-bound-on-missing-field', type: 'cue', predicate: 'custom', source: 'predicate: Missing: <5\n' },
  { name: 'cue-type-mismatch', type: 'cue', predicate: 'custom', source: 'predicate: Data: int\n' },
  { name: 'cue-struct-validator', type: 'cue', predicate: 'custom', source: 'import "struct"\npredicate: struct.MinFields(5)\n' },
  { name: 'cue-with-package', type: 'cue', predicate: 'custom', source: 'package policy\npredicate: Data: "foobar e2e test"\n' },
  { name: 'cue-slsa-builder', type: 'cue', predicate: 'slsaprovenance', source: `predicateType: "${SLSA}"\npredicate: builder: id: "https://builder.example/v1"\n` },
  { name: 'cue-slsa-wrong-builder', type: 'cue', predicate: 'slsaprovenance', source: 'predicate: builder: id: "https://other.example"\n' },
  { name: 'cue-regexp', type: 'cue', predicate: 'custom', source: 'predicate: Data: =~"^foobar"\n' },
  {
    name: 'rego-result-object-fails',
    type: 'rego',
    predicate: 'custom',
    source: 'package sigstore\nisCompliant[r] {\n  r := {"result": input.predicate.Data == "never", "error": "Data is not never"}\n}\n',
  },
  // A warning refuses the statement (policy-controller: `err != nil || warn != nil`; cosign's CLI agrees).
  {
    name: 'rego-result-object-warns',
    type: 'rego',
    predicate: 'custom',
    source: 'package sigstore\nisCompliant[r] {\n  r := {"result": true, "warning": "Data is not checked"}\n}\n',
  },
  { name: 'rego-slsa-builder', type: 'rego', predicate: 'slsaprovenance', source: 'package sigstore\ndefault isCompliant = false\nisCompliant {\n  input.predicate.builder.id == "https://builder.example/v1"\n}\n' },
];

async function suite(bin: Record<string, string>): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'vi-policy-diff-'));
  const env = { COSIGN_PASSWORD: '', COSIGN_YES: 'true', HOME: work, DOCKER_CONFIG: path.join(work, 'docker') };
  const cosign = (args: string[]) => run(bin.cosign!, args, { env, cwd: work });
  const must = (args: string[]) => {
    const r = cosign(args);
    if (r.status !== 0) throw new Error(`cosign ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  must(['generate-key-pair', '--output-key-prefix', 'k']);
  const pubPem = readFileSync(path.join(work, 'k.pub'), 'utf8');
  const HTTP = ['--allow-insecure-registry', '--allow-http-registry'];
  const files: Record<string, string> = {
    'foobar-key.txt': 'foobar key e2e test',
    'foobar.txt': 'foobar e2e test',
    'other.txt': 'something else',
    'slsa.json': JSON.stringify({ builder: { id: 'https://builder.example/v1' }, buildType: 'https://example/build' }),
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(work, f), text);

  // Artifacts: what each image is attested with (cosign's `custom` wraps the file in {Data, Timestamp}).
  const artifacts = [
    { name: 'custom-foobar-key', type: 'custom', predicate: 'foobar-key.txt' },
    { name: 'custom-foobar', type: 'custom', predicate: 'foobar.txt' },
    { name: 'custom-other', type: 'custom', predicate: 'other.txt' },
    { name: 'slsa', type: 'slsaprovenance', predicate: 'slsa.json' },
  ];
  const programs = [...examples(), ...EDGE];
  for (const p of programs) writeFileSync(path.join(work, `${p.name}.${p.type}`), p.type === 'rego' ? forCosign(p.source) : p.source);

  const registries = await bothRegistries(bin.crane!);
  t.teardown(() => Promise.all(registries.map((r) => r.stop())));
  const evaluators = { PATH: pathWith(path.dirname(bin.cue!), path.dirname(bin.opa!)) };
  let compared = 0;

  for (const reg of registries) {
    t.test(`on ${reg.flavour}`, async (t) => {
      const made = new Map<string, string>();
      for (const [i, a] of artifacts.entries()) {
        const digest = await pushImage(reg.host, `policy/${a.name}`, '1.0', { seed: `${reg.flavour}-${a.name}-${i}` });
        const at = `${reg.host}/policy/${a.name}@${digest}`;
        must(['attest', '--key', 'k.key', '--use-signing-config=false', '--tlog-upload=false', ...HTTP, '--new-bundle-format=false', '--type', a.type, '--predicate', a.predicate, at]);
        made.set(a.name, at);
      }
      for (const a of artifacts) {
        for (const p of programs.filter((p) => p.predicate === a.type)) {
          const at = made.get(a.name)!;
          const reference = cosign(['verify-attestation', '--key', 'k.pub', '--insecure-ignore-tlog=true', ...HTTP, '--type', a.type, '--policy', `${p.name}.${p.type}`, at]);
          const cosignSays = reference.status === 0 ? 'pass' : 'fail';
          await t.test(`${a.name} × ${p.name}: cosign says ${cosignSays}`, async (t) => {
            const dir = await repo(t, { 'p.yaml': cip(reg.host, pubPem, a.type === 'custom' ? CUSTOM : SLSA, p), 'pod.yaml': pod(at) });
            // policy-controller's own judgement is the reference for a ClusterImagePolicy; cosign's CLI runs the same engines.
            const tester = run(bin['policy-tester']!, ['--policy', 'p.yaml', '--image', at], { cwd: dir, env });
            const testerSays = tester.status === 0 ? 'pass' : 'fail';
            const ours = await verify(dir, ['pod.yaml', '--policy', 'p.yaml'], { env: evaluators });
            const verdict = Object.values(ours.verdicts)[0];
            compared += 2;
            const detail = `\ncosign: ${reference.stderr.trim().split('\n').slice(-2).join(' ')}\npolicy-tester: ${tester.stdout.trim().split('\n').slice(-1).join('')}\nours: ${ours.stdout.slice(0, 1500)}${ours.stderr}`;
            t.equal(verdict, testerSays, `${a.name} × ${p.name} (${reg.flavour}): policy-tester ${testerSays}, ours ${verdict}${detail}`);
            t.equal(verdict, cosignSays, `${a.name} × ${p.name} (${reg.flavour}): cosign ${cosignSays}, ours ${verdict}${detail}`);
            t.equal(ours.code, verdict === 'pass' ? 0 : 1);
          });
        }
      }

      await t.test('without cue / opa on PATH: error "unsupported: … needs `cue` on PATH", exit 3, whatever the statement', async (t) => {
        for (const [type, program] of [['cue', EDGE.find((e) => e.name === 'cue-regexp')!], ['rego', EDGE.find((e) => e.name === 'rego-slsa-builder')!]] as const) {
          const a = type === 'cue' ? 'custom-foobar' : 'slsa';
          const dir = await repo(t, { 'p.yaml': cip(reg.host, pubPem, type === 'cue' ? CUSTOM : SLSA, program), 'pod.yaml': pod(made.get(a)!) });
          const ours = await verify(dir, ['pod.yaml', '--policy', 'p.yaml'], { env: { PATH: path.join(work, 'no-evaluators') } });
          t.equal(ours.code, 3, `${type}: exit 3`);
          t.same(Object.values(ours.verdicts), ['error']);
          t.match(ours.stdout, type === 'cue' ? /unsupported: CUE policy needs `cue` on PATH/ : /unsupported: Rego policy needs `opa` on PATH/);
        }
      });
    });
  }
  t.teardown(() => t.comment(`${compared} comparisons with cosign verify-attestation --policy and policy-tester`));
}

/** cosign's Rego entry point is `data.signature.allow`; policy-controller's `data.sigstore.isCompliant`. */
function forCosign(source: string): string {
  return source.replace(/^package sigstore$/m, 'package signature').replace(/\bisCompliant\b/g, 'allow');
}

function cip(host: string, pem: string, predicateType: string, p: Program): string {
  return `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: diff}
spec:
  images:
    - glob: "${host}/**"
  authorities:
    - key:
        data: |
${indent(pem, 10)}
      attestations:
        - name: ${p.name}
          predicateType: ${predicateType}
          policy:
            type: ${p.type}
            data: |
${indent(p.source, 14)}
`;
}

const pod = (image: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: ${image}\n`;

// Last: the suite reads the constants above.
const tools = ['cosign', 'crane', 'cue', 'opa', 'policy-tester'].map((name) => ({ name, tool: referenceTool(name, name === 'cosign' ? 'v3.1.4' : undefined) }));
const missing = tools.find((x) => 'skip' in x.tool);
if (missing) t.plan(0, (missing.tool as { skip: string }).skip);
else await suite(Object.fromEntries(tools.map((x) => [x.name, (x.tool as { path: string }).path])));
