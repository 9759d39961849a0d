// Building blocks for engine-level tests: policy and manifest texts, and a run of
// the whole pipeline over a throwaway directory.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exitCode, type ImageResult } from '../../src/engine/result.js';
import { run, type RunOptions } from '../../src/engine/run.js';
import type { TestKeyPair } from '../../src/testkit/cosign-signer.js';

export const indent = (text: string, n: number) =>
  text
    .trim()
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

/** A Kyverno ClusterPolicy with one verifyImages rule: an attestor entry per key, tlog ignored, Enforce unless `extra` says otherwise. */
export function kyverno(opts: {
  name?: string;
  refs: string[];
  keys: TestKeyPair[];
  kinds?: string[];
  extra?: string;
  entryExtra?: string;
  count?: number;
}): string {
  const entries = opts.keys
    .map(
      (k) => `              - keys:
                  publicKeys: |-
${indent(k.publicKeyPem, 20)}
                  rekor:
                    ignoreTlog: true
${opts.entryExtra ? indent(opts.entryExtra, 16) : ''}`,
    )
    .join('\n');
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: ${opts.name ?? 'signed'}
spec:
  rules:
    - name: check
      match:
        any:
          - resources:
              kinds: [${(opts.kinds ?? ['Pod']).join(', ')}]
      verifyImages:
        - imageReferences: [${opts.refs.map((r) => JSON.stringify(r)).join(', ')}]
${indent(opts.extra?.includes('failureAction') ? opts.extra : `failureAction: Enforce\n${opts.extra ?? ''}`, 10)}
          attestors:
            - ${opts.count ? `count: ${opts.count}\n              ` : ''}entries:
${entries}
`;
}

/** A ClusterImagePolicy with one key authority per key. */
export function cip(name: string, glob: string, keys: TestKeyPair[], extra = ''): string {
  const authorities = keys.map((k) => `    - key:\n        data: |\n${indent(k.publicKeyPem, 10)}`).join('\n');
  return `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: ${name}
spec:
  images:
    - glob: ${JSON.stringify(glob)}
  authorities:
${authorities}
${extra}`;
}

export function deployment(name: string, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: prod
spec:
  template:
    spec:
      containers:
        - name: ${name}
          image: ${image}
`;
}

export interface Scenario {
  manifests: Record<string, string>;
  /** Policy files (and, e.g., Notation trust store certificates) by path under `policies/`. */
  policies: Record<string, string | Uint8Array>;
  options?: Partial<RunOptions>;
}

/** Writes `apps/` and `policies/` into a temporary directory and runs the whole pipeline on them (no cache). */
export async function runScenario(t: { teardown: (fn: () => unknown) => void }, s: Scenario) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-scenario-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'apps'));
  await mkdir(path.join(dir, 'policies'));
  const put = async (file: string, text: string | Uint8Array) => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  };
  for (const [f, text] of Object.entries(s.manifests)) await put(path.join(dir, 'apps', f), text);
  for (const [f, text] of Object.entries(s.policies)) await put(path.join(dir, 'policies', f), text);
  const out = await run({
    inputs: [path.join(dir, 'apps')],
    policyPaths: [path.join(dir, 'policies')],
    unmatched: 'allow',
    concurrency: 4,
    cache: false,
    insecureRegistries: [],
    // A fixed cache secret: runs that share a cache directory share its key, and no test writes the user's key file.
    env: { ...process.env, VERIFY_IMAGES_CACHE_KEY: 'engine-tests-cache-key' },
    ...s.options,
  });
  return {
    ...out,
    code: exitCode(out.result),
    image: (name: string) => out.result.results.find((r) => r.image.includes(name)) as ImageResult,
  };
}
