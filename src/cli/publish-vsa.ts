// `verify --publish-vsa --vsa-key KEY`: the key is loaded before verifying (a bad key is exit 2 at
// once); after the verdicts, every image that passed gets a signed VSA. Loaded only with the flag.

import path from 'node:path';
import type { Result } from '../engine/result.js';
import { UsageError, type CliIO, type VerifyFlags, type VerifyOptions } from './verify.js';
import { VERSION } from './version.js';

export async function prepareVsa(argv: VerifyFlags, options: VerifyOptions, io: CliIO) {
  if (!argv.vsaKey) throw new UsageError('--publish-vsa needs --vsa-key (the key the VSAs are signed with)');
  if (options.offline) throw new UsageError('--publish-vsa pushes to registries: it cannot run with --offline');
  const format = (argv.vsaFormat ?? 'legacy') as 'legacy' | 'bundle';
  const { loadSigningKey } = await import('../publish/signing-key.js');
  const key = await loadSigningKey(argv.vsaKey, { env: io.env, cwd: io.cwd, kubeconfig: argv.kubeconfig, context: argv.context });
  return {
    async publish(result: Result, policySha256: string, policyPaths: string[]): Promise<boolean> {
      const [{ publishVsas }, { registryClientFor }] = await Promise.all([import('../publish/publish.js'), import('../registry/from-settings.js')]);
      const registry = await registryClientFor({
        env: io.env,
        insecureRegistries: options.insecureRegistries,
        ...(options.registryCa && { registryCaFile: options.registryCa }),
        ...(options.requestTimeoutMs && { timeoutMs: options.requestTimeoutMs }),
      });
      const uri = argv.vsaPolicyUri ?? policyPaths.map((p) => path.relative(io.cwd, p) || '.').join(',');
      try {
        const report = await publishVsas(result, { registry, key, format, version: VERSION, policy: { uri, sha256: policySha256 } });
        for (const p of report.published) io.stderr(`published VSA for ${p.image} (${p.digest}): ${p.at}\n`);
        for (const f of report.failed) io.stderr(`error: cannot publish the VSA for ${f.image} (${f.digest}): ${f.reason}\n`);
        if (report.published.length === 0 && report.failed.length === 0) io.stderr('no image passed: no VSA published\n');
        return report.failed.length === 0;
      } finally {
        await registry.close();
      }
    },
  };
}
