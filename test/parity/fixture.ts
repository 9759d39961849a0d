// The parity suite's bench: a REAL registry with one image signed by a test key and one not, the
// policies that trust the key in each format, and the CLI run in-process. Every case asserts the
// verdict of each image, so a case passes only where the gate read the repository as the tool
// that applies it does (kubectl, Argo CD, Kyverno, TAP).
import { symlink, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { runCli, tempRepo, type CliRun } from '../helpers/cli.js';
import { generateKeyPair, signImage, type TestKeyPair } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { indent } from '../helpers/engine.js';

export interface Bench {
  registry: TestRegistry;
  key: TestKeyPair;
  /** `<host>/apps/web:1.0`, signed with `key`. */
  signed: string;
  /** `<host>/apps/rogue:1.0`, not signed. */
  unsigned: string;
  close(): Promise<void>;
}

export async function startBench(): Promise<Bench> {
  const registry = await startRegistry();
  const key = generateKeyPair('ecdsa-p256');
  const digest = await pushImage(registry.host, 'apps/web', '1.0', { seed: 'web' });
  await signImage({ registry: registry.host, repo: 'apps/web', digest, key });
  await pushImage(registry.host, 'apps/rogue', '1.0', { seed: 'rogue' });
  return { registry, key, signed: `${registry.host}/apps/web:1.0`, unsigned: `${registry.host}/apps/rogue:1.0`, close: () => registry.stop() };
}


/** A Kyverno ClusterPolicy (or namespaced Policy) requiring the bench key on every image of the registry. */
export function kyvernoPolicy(b: Bench, opts: { kind?: 'ClusterPolicy' | 'Policy'; spec?: string; namespace?: string; name?: string } = {}): string {
  return `apiVersion: kyverno.io/v1
kind: ${opts.kind ?? 'ClusterPolicy'}
metadata:
  name: ${opts.name ?? 'signed'}
${opts.namespace ? `  namespace: ${opts.namespace}\n` : ''}spec:
${opts.spec ?? '  validationFailureAction: Enforce\n'}  rules:
    - name: check
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["${b.registry.host}/*"]
          mutateDigest: false
          verifyDigest: false
          attestors:
            - entries:
                - keys:
                    rekor: {ignoreTlog: true}
                    publicKeys: |-
${indent(b.key.publicKeyPem, 22)}
`;
}

/** A policy-controller ClusterImagePolicy requiring the bench key. */
export function cipPolicy(b: Bench, glob = `${b.registry.host}/**`): string {
  return `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: signed
spec:
  images:
    - glob: "${glob}"
  authorities:
    - key:
        data: |
${indent(b.key.publicKeyPem, 10)}
`;
}

export const deployment = (name: string, image: string, namespace?: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n  template:\n    spec:\n      containers:\n      - name: ${name}\n        image: ${image}\n`;

/** A git-rooted temporary repository. */
export const repo = tempRepo;

export async function link(root: string, at: string, target: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, at)), { recursive: true });
  await symlink(target, path.join(root, at));
}

/** The CLI with a private cache, `--insecure-registry` not needed (loopback), `-o json` parsed. */
export async function verify(cwd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliRun & { verdicts: Record<string, string> }> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: path.join(cwd, '.cache'), VERIFY_IMAGES_CACHE_KEY: 'parity-tests-cache-key', ...opts.env };
  const run = await runCli(cwd, [...args, '-o', 'json'], { env, ...(opts.stdin !== undefined && { stdin: opts.stdin }) });
  const verdicts: Record<string, string> = {};
  if (run.stdout.trim().startsWith('{')) {
    for (const r of (JSON.parse(run.stdout) as { results: { image: string; status: string }[] }).results) verdicts[r.image.replace(/^[^/]+\//, '')] = r.status;
  }
  return { ...run, verdicts };
}
