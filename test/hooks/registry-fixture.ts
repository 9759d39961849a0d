// Shared by the hook tests: a REAL registry with one signed and one unsigned image, a policy
// that trusts the signing key, and an in-process CLI runner.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../helpers/cli.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';

export interface Images {
  registry: TestRegistry;
  signed: { ref: string; digest: string };
  unsigned: { ref: string; digest: string };
  policy: string;
}

export async function startImages(): Promise<Images> {
  const registry = await startRegistry();
  const key = generateKeyPair('ecdsa-p256');
  const signedDigest = await pushImage(registry.host, 'apps/web', '1.0', { seed: 'web' });
  await signImage({ registry: registry.host, repo: 'apps/web', digest: signedDigest, key });
  const unsignedDigest = await pushImage(registry.host, 'apps/rogue', '1.0', { seed: 'rogue' });
  const pem = key.publicKeyPem.trim().split('\n').map((l) => `          ${l}`).join('\n');
  const policy = `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: signed-apps
spec:
  images:
    - glob: "${registry.host}/apps/**"
  authorities:
    - key:
        data: |
${pem}
`;
  return {
    registry,
    signed: { ref: `${registry.host}/apps/web:1.0`, digest: signedDigest },
    unsigned: { ref: `${registry.host}/apps/rogue:1.0`, digest: unsignedDigest },
    policy,
  };
}

export const deployment = (name: string, image: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n      - name: ${name}\n        image: ${image}\n`;

export async function tree(t: { teardown: (fn: () => unknown) => void }, files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vi-hook-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  for (const [f, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, f)), { recursive: true });
    await writeFile(path.join(root, f), text);
  }
  return root;
}

export async function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}, stdin?: string) {
  // A fixed cache key: the tests never create one in the user's home.
  return runCli(cwd, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, VERIFY_IMAGES_CACHE_KEY: 'hook-tests-cache-key', ...env }, stdin });
}
