// Issue 24.1: signed YAML manifests (Kyverno `validate.manifests`). Manifests are signed by the
// real `kubectl sigstore sign` (k8s-manifest-sigstore, the library Kyverno verifies with), then
// edited as a deployer would; every resource's verdict of ours is compared with `kyverno apply`
// (which runs validate.manifests without a cluster) resource by resource. Kyverno reports a
// signature that does not verify as `error`; we report it as `fail`: both block.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parse, parseAllDocuments, type Document } from 'yaml';
import { referenceTool, run } from '../helpers/reference.js';
import { indent } from '../helpers/engine.js';
import { runCli } from '../helpers/cli.js';
import { startRegistry } from '../../src/testkit/registry-server.js';

t.setTimeout(600_000);

const tools = { sigstore: referenceTool('kubectl-sigstore'), kyverno: referenceTool('kubectl-kyverno'), cosign: referenceTool('cosign') };
const missing = Object.values(tools).find((x): x is { skip: string } => 'skip' in x);
if (missing) {
  t.comment(`skipped: ${missing.skip}`);
  t.pass('reference tools absent');
} else {
  const bin = (x: (typeof tools)[keyof typeof tools]) => (x as { path: string }).path;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vi-manifest-sig-'));
  const env = { COSIGN_PASSWORD: '' };
  const keyPair = (name: string) => {
    const r = run(bin(tools.cosign), ['generate-key-pair', '--output-key-prefix', name], { cwd: dir, env });
    if (r.status !== 0) throw new Error(r.stderr);
    return { key: path.join(dir, `${name}.key`), pub: readFileSync(path.join(dir, `${name}.pub`), 'utf8') };
  };
  const alice = keyPair('alice');
  const bob = keyPair('bob');

  /** `kubectl sigstore sign` (no transparency log: offline), the signed text. */
  const sign = (name: string, text: string, key: string, extra: string[] = []): string => {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, text);
    const r = run(bin(tools.sigstore), ['sign', '-f', file, '-k', key, '--no-tlog-upload', '--force', '-o', `${file}.signed`, ...extra], { env });
    if (r.status !== 0) throw new Error(`kubectl sigstore sign ${name}: ${r.stderr}`);
    return readFileSync(`${file}.signed`, 'utf8');
  };

  const deployment = (name: string, image = 'ghcr.io/acme/web:1.0', extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: prod
  labels: {app: ${name}}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: web
          image: ${image}
          env:
            - {name: A, value: "1"}
            - {name: B, value: "2"}
${extra}`;
  const configMap = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: prod
data:
  a: "1"
  b: two
`;
  const service = (name: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: prod
spec:
  selector: {app: ${name}}
  ports:
    - port: 80
      targetPort: 8080
`;

  const policy = (opts: { keys?: string[]; count?: number; mode?: string; ignore?: string; annotations?: string; noAttestors?: boolean } = {}) => {
    const keys = opts.keys ?? [alice.pub];
    const entries = keys
      .map(
        (k) => `              - keys:
                  publicKeys: |-
${indent(k.trim(), 20)}
${opts.annotations ? `                annotations: ${opts.annotations}\n` : ''}`,
      )
      .join('');
    const attestors = opts.noAttestors
      ? ''
      : `        attestors:
          - ${opts.count !== undefined ? `count: ${opts.count}\n            ` : ''}entries:
${entries}`;
    return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: verify-manifest-integrity
spec:
  validationFailureAction: ${opts.mode ?? 'Enforce'}
  background: false
  rules:
  - name: verify-manifest-integrity
    match:
      any:
      - resources:
          kinds: [Deployment, ConfigMap, Service]
    validate:
      manifests:${opts.ignore || attestors ? `\n${opts.ignore ?? ''}${attestors}` : ' {}\n'}`;
  };

  interface Case {
    name: string;
    /** The rendered file, as the deployer's repository holds it. */
    text: string;
    policy: string;
    /** What both say, resource by resource (`Kind/name`): pass or blocked. */
    expect: Record<string, 'pass' | 'blocked'>;
  }

  const docs = (...texts: string[]) => texts.map((x) => x.trimEnd()).join('\n---\n') + '\n';
  const signedSet = sign('set', docs(deployment('web'), configMap('conf'), service('svc')), alice.key);
  const edit = (text: string, from: string | RegExp, to: string) => {
    const out = text.replace(from, to);
    if (out === text) throw new Error(`edit not applied: ${String(from)}`);
    return out;
  };
  const rename = (text: string, suffix: string) => text.replaceAll(/\b(web|conf|svc)\b(?![.:/-])/g, `$1${suffix}`);
  const signedAs = (suffix: string) => sign(`set${suffix}`, rename(docs(deployment('web'), configMap('conf'), service('svc')), suffix), alice.key);

  /** Edits documents by name with the yaml library (the signed file's annotations stay as they are). */
  const patch = (text: string, edits: Record<string, (d: Document) => void>): string =>
    parseAllDocuments(text)
      .map((d) => {
        const name = d.getIn(['metadata', 'name']) as string;
        edits[name]?.(d as Document);
        return d.toString();
      })
      .join('---\n');

  const cases: Case[] = [];
  const add = (c: Case) => cases.push(c);
  add({ name: 'signed as rendered', text: signedSet, policy: policy(), expect: { 'Deployment/web': 'pass', 'ConfigMap/conf': 'pass', 'Service/svc': 'pass' } });
  {
    const s = signedAs('1');
    add({ name: 'a covered field edited (replicas)', text: edit(s, 'replicas: 2', 'replicas: 3'), policy: policy(), expect: { 'Deployment/web1': 'blocked', 'ConfigMap/conf1': 'pass', 'Service/svc1': 'pass' } });
  }
  {
    const s = signedAs('2');
    const text = edit(s, /replicas: 2\n/, 'replicas: 2\n  revisionHistoryLimit: 4\n');
    add({ name: 'fields in Kyverno\'s built-in ignore list edited', text: edit(text, /  ports:\n/, '  type: NodePort\n  ports:\n'), policy: policy(), expect: { 'Deployment/web2': 'pass', 'ConfigMap/conf2': 'pass', 'Service/svc2': 'pass' } });
  }
  {
    const s = signedAs('3');
    const ignore = `        ignoreFields:
          - objects: [{kind: ConfigMap}]
            fields: [data.b]
`;
    add({ name: 'a field in the rule\'s ignoreFields edited, and the same field on another kind', text: edit(s, 'b: two', 'b: three'), policy: policy({ ignore }), expect: { 'Deployment/web3': 'pass', 'ConfigMap/conf3': 'pass', 'Service/svc3': 'pass' } });
  }
  {
    const s = signedAs('4');
    add({ name: 'a multi-document file where one document is unsigned', text: docs(s.split('\n---\n')[0]!, configMap('extra4')), policy: policy(), expect: { 'Deployment/web4': 'pass', 'ConfigMap/extra4': 'blocked' } });
  }
  add({ name: 'signed by another key', text: sign('bobs', docs(deployment('web5'), configMap('conf5')), bob.key), policy: policy(), expect: { 'Deployment/web5': 'blocked', 'ConfigMap/conf5': 'blocked' } });
  add({ name: 'either key, count 1', text: sign('count', docs(deployment('web6'), configMap('conf6')), bob.key), policy: policy({ keys: [alice.pub, bob.pub], count: 1 }), expect: { 'Deployment/web6': 'pass', 'ConfigMap/conf6': 'pass' } });
  add({ name: 'both keys required, one signed', text: sign('both', docs(deployment('web7')), bob.key), policy: policy({ keys: [alice.pub, bob.pub] }), expect: { 'Deployment/web7': 'blocked' } });
  {
    const s = sign('tamper', docs(deployment('web8'), configMap('conf8')), alice.key);
    const sig = /signature: (\S+)/.exec(s)![1]!;
    const flipped = sig.slice(0, 20) + (sig[20] === 'A' ? 'B' : 'A') + sig.slice(21);
    add({ name: 'signature tampered', text: s.replaceAll(sig, flipped), policy: policy(), expect: { 'Deployment/web8': 'blocked', 'ConfigMap/conf8': 'blocked' } });
  }
  {
    // The message of one signed file with the signature of another: the signature covers the message, not the object.
    const a = sign('msg-a', docs(deployment('web9')), alice.key);
    const b = sign('msg-b', docs(deployment('web9', 'ghcr.io/acme/web:2.0')), alice.key);
    const sigB = /signature: (\S+)/.exec(b)![1]!;
    const sigA = /signature: (\S+)/.exec(a)![1]!;
    add({ name: 'message kept, signature of another message', text: a.replace(sigA, sigB), policy: policy(), expect: { 'Deployment/web9': 'blocked' } });
    add({ name: 'image changed after signing', text: edit(a, 'ghcr.io/acme/web:1.0', 'ghcr.io/acme/web:1.1'), policy: policy(), expect: { 'Deployment/web9': 'blocked' } });
  }
  {
    const s = sign('canon', docs(deployment('web10', 'nginx:1.25'), deployment('web10b', 'ubuntu')), alice.key);
    add({ name: 'image canonicalised (docker.io/ added, :latest added)', text: edit(edit(s, 'image: nginx:1.25', 'image: docker.io/nginx:1.25'), 'image: ubuntu', 'image: ubuntu:latest'), policy: policy(), expect: { 'Deployment/web10': 'pass', 'Deployment/web10b': 'pass' } });
  }
  {
    const s = sign('reorder', docs(deployment('web11')), alice.key);
    add({ name: 'list items reordered (env)', text: edit(s, /- name: A\n(\s+)value: "1"\n(\s+)- name: B\n(\s+)value: "2"/, '- name: B\n$1value: "2"\n$2- name: A\n$3value: "1"'), policy: policy(), expect: { 'Deployment/web11': 'blocked' } });
  }
  {
    const s = sign('defaults', docs(deployment('web12'), deployment('web12b'), deployment('web12c')), alice.key);
    const text = patch(s, { web12: (d) => d.setIn(['metadata', 'labels', 'empty'], ''), web12b: (d) => d.setIn(['metadata', 'labels', 'zero'], '0'), web12c: (d) => d.setIn(['spec', 'paused'], false) });
    add({ name: 'an empty string, a "0" and a false added (each a difference, as reflect.Value comparison never finds a default)', text, policy: policy(), expect: { 'Deployment/web12': 'blocked', 'Deployment/web12b': 'blocked', 'Deployment/web12c': 'blocked' } });
  }
  {
    const s = sign('nons', docs(deployment('web13').replace('  namespace: prod\n', ''), configMap('conf13').replace('  namespace: prod\n', '')), alice.key);
    const text = s.replace(/(\n  name: web13\n)/, '$1  namespace: prod\n').replace(/(\n  name: conf13\n)/, '$1  namespace: prod\n');
    add({ name: 'signed without a namespace, rendered with one', text, policy: policy(), expect: { 'Deployment/web13': 'pass', 'ConfigMap/conf13': 'pass' } });
  }
  {
    const first = sign('append', docs(deployment('web14')), alice.key);
    const appended = sign('append2', first, bob.key, ['--append-signature']);
    add({ name: 'a second signature appended (signature_1), policy trusts the second signer', text: appended, policy: policy({ keys: [bob.pub] }), expect: { 'Deployment/web14': 'pass' } });
  }
  {
    const s = sign('annot', docs(deployment('web15').replace('  labels: {app: web15}\n', '  labels: {app: web15}\n  annotations: {team: payments}\n'), deployment('web15b')), alice.key);
    add({ name: 'attestor annotations: present on one object, absent on the other', text: s, policy: policy({ annotations: '{team: payments}' }), expect: { 'Deployment/web15': 'pass', 'Deployment/web15b': 'blocked' } });
  }
  {
    const s = sign('audit', docs(deployment('web17')), alice.key);
    add({ name: 'Audit: an edited object is reported, not blocked', text: edit(s, 'replicas: 2', 'replicas: 5'), policy: policy({ mode: 'Audit' }), expect: { 'Deployment/web17': 'blocked' } });
  }
  {
    const s = sign('tarball', docs(deployment('web18'), configMap('conf18')), alice.key, ['--tarball', 'yes']);
    add({ name: 'a message that is a tarball (--tarball yes)', text: edit(s, 'a: "1"', 'a: "2"'), policy: policy(), expect: { 'Deployment/web18': 'pass', 'ConfigMap/conf18': 'blocked' } });
  }

  /** `kyverno apply --policy-report`: each resource's result, `Kind/name` → pass | blocked. */
  const kyvernoVerdicts = (policyFile: string, resourceFile: string): Record<string, string> => {
    const r = run(bin(tools.kyverno), ['apply', policyFile, '--resource', resourceFile, '--policy-report'], {});
    const start = r.stdout.indexOf('apiVersion:');
    if (start < 0) throw new Error(`kyverno apply: ${r.stdout}${r.stderr}`);
    const report = parse(r.stdout.slice(start)) as { results?: { result: string; resources: { kind: string; name: string }[] }[] };
    const out: Record<string, string> = {};
    for (const res of report.results ?? []) for (const o of res.resources) out[`${o.kind}/${o.name}`] = res.result === 'pass' ? 'pass' : `blocked (${res.result})`;
    return out;
  };

  t.test('a rule without attestors: Kyverno skips the policy, we refuse it (exit 2)', async (t) => {
    const caseDir = mkdtempSync(path.join(dir, 'case-'));
    writeFileSync(path.join(caseDir, 'policy.yaml'), policy({ noAttestors: true }));
    writeFileSync(path.join(caseDir, 'rendered.yaml'), docs(deployment('web16')));
    const ours = await runCli(caseDir, ['verify', '-p', 'policy.yaml', 'rendered.yaml', '--no-cache']);
    t.equal(ours.code, 2);
    t.match(ours.stderr, /policy\.yaml:\d+: .*manifests count only with attestors/);
    const r = run(bin(tools.kyverno), ['apply', path.join(caseDir, 'policy.yaml'), '--resource', path.join(caseDir, 'rendered.yaml')]);
    t.match(r.stdout + r.stderr, /Policies Skipped:[\s\S]*one of pattern, anyPattern, deny, foreach, cel must be specified/);
  });

  t.test('a manifest bundle image pushed by kubectl sigstore sign -i (no transparency log): both block', async (t) => {
    const registry = await startRegistry();
    t.teardown(() => registry.stop());
    const caseDir = mkdtempSync(path.join(dir, 'case-'));
    const file = path.join(caseDir, 'app.yaml');
    writeFileSync(file, docs(deployment('bundled')));
    const ref = `${registry.host}/manifests/app:v1`;
    const r = run(bin(tools.sigstore), ['sign', '-f', file, '-k', alice.key, '--no-tlog-upload', '--force', '-i', ref, '--allow-insecure-registry', '-o', `${file}.signed`], { env });
    t.equal(r.status, 0, r.stderr);
    const signed = readFileSync(`${file}.signed`, 'utf8');
    t.match(signed, `cosign.sigstore.dev/resourceBundleRef: ${ref}`);
    writeFileSync(path.join(caseDir, 'policy.yaml'), policy());
    writeFileSync(path.join(caseDir, 'rendered.yaml'), signed);
    const ours = await runCli(caseDir, ['verify', '-p', 'policy.yaml', 'rendered.yaml', '-o', 'json', '--no-cache']);
    const json = JSON.parse(ours.stdout) as { results: { kind?: string; status: string; policies: { reasons: string[] }[] }[] };
    const m = json.results.find((x) => x.kind === 'manifest')!;
    t.equal(m.status, 'fail', 'the bundle matches and its key verifies, but cosign (hence Kyverno) requires its transparency-log entry');
    t.match(m.policies[0]!.reasons.join(' '), /transparency|tlog|Rekor/i);
    t.equal(ours.code, 1);
    // Offline, Kyverno cannot even start the check (it fetches Rekor's keys through TUF): an error, never a pass.
    const k = kyvernoVerdicts(path.join(caseDir, 'policy.yaml'), path.join(caseDir, 'rendered.yaml'));
    t.match(k['Deployment/bundled'], /^blocked/);
  });

  for (const c of cases) {
    t.test(c.name, async (t) => {
      const caseDir = mkdtempSync(path.join(dir, 'case-'));
      const policyFile = path.join(caseDir, 'policy.yaml');
      const resourceFile = path.join(caseDir, 'rendered.yaml');
      writeFileSync(policyFile, c.policy);
      writeFileSync(resourceFile, c.text);
      t.ok(parseAllDocuments(c.text).every((d) => d.errors.length === 0), 'the edited file is YAML');

      const ours = await runCli(caseDir, ['verify', '-p', 'policy.yaml', 'rendered.yaml', '-o', 'json', '--no-cache']);
      const json = JSON.parse(ours.stdout) as { results: { kind?: string; status: string; uses: { kind: string; name: string }[]; policies: { reasons: string[] }[] }[] };
      const mine: Record<string, string> = {};
      for (const r of json.results.filter((x) => x.kind === 'manifest')) {
        const u = r.uses[0]!;
        mine[`${u.kind}/${u.name}`] = r.status === 'pass' ? 'pass' : r.status === 'fail' || r.status === 'warn' ? 'blocked' : `error: ${r.policies.flatMap((p) => p.reasons).join('; ')}`;
      }
      const kyverno = kyvernoVerdicts(policyFile, resourceFile);
      for (const [resource, want] of Object.entries(c.expect)) {
        t.equal(mine[resource], want, `ours: ${resource}`);
        t.equal(kyverno[resource]?.replace(/ \(.*\)$/, ''), want, `kyverno apply: ${resource} (${kyverno[resource] ?? 'not judged'})`);
      }
      t.equal(Object.keys(mine).length, Object.keys(c.expect).length, 'every resource judged, once');
      const blocked = Object.values(c.expect).includes('blocked');
      const audit = /Audit/.test(c.policy);
      t.equal(ours.code, blocked && !audit ? 1 : 0, `exit code ${ours.code}${ours.stderr ? `: ${ours.stderr}` : ''}`);
    });
  }
}
