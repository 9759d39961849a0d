// `--publish-vsa`: for every image that passed, a signed SLSA Verification Summary Attestation in the
// registry beside it. One attestation per digest; failures are reported per image and make the run
// exit 3 (a fleet relying on the VSAs would otherwise block later, without a word why).

import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { Result } from '../engine/result.js';
import { parseReference, registryHost } from '../images/reference.js';
import { attachBundle, attachLegacy, type Registry } from './attach.js';
import { signStatement } from './dsse-sign.js';
import type { SigningKey } from './signing-key.js';
import { VSA_PREDICATE_TYPE, vsaStatement, type VsaPolicy } from './vsa.js';

export type VsaFormat = 'legacy' | 'bundle';

export interface PublishOptions {
  registry: Registry;
  key: SigningKey;
  policy: VsaPolicy;
  version: string;
  format: VsaFormat;
  now?: Date;
  concurrency?: number;
}

export interface PublishReport {
  published: { image: string; digest: string; at: string }[];
  failed: { image: string; digest: string; reason: string }[];
}

export async function publishVsas(result: Result, o: PublishOptions): Promise<PublishReport> {
  const now = o.now ?? new Date();
  const limit = pLimit(o.concurrency ?? 8);
  const report: PublishReport = { published: [], failed: [] };
  const seen = new Set<string>();
  const jobs = result.results.flatMap((r) => {
    const made = vsaStatement({ result: r, policy: o.policy, version: o.version, now });
    if ('refused' in made) return []; // only images that passed get a PASSED summary
    const ref = parseReference(r.normalized);
    const repo = { registry: registryHost(ref), repository: ref.repository };
    const key = `${repo.registry}/${repo.repository}@${r.digest}`;
    if (seen.has(key)) return [];
    seen.add(key);
    return [
      limit(async () => {
        try {
          const { envelope, json } = await signStatement(made.statement, o.key.sign);
          const a = { repo, digest: r.digest!, predicateType: VSA_PREDICATE_TYPE, envelope, envelopeJson: json };
          const at = o.format === 'bundle' ? await attachBundle(o.registry, a, keyHint(o.key.publicKeyPem)) : await attachLegacy(o.registry, a);
          report.published.push({ image: r.image, digest: r.digest!, at });
        } catch (err) {
          report.failed.push({ image: r.image, digest: r.digest!, reason: err instanceof Error ? err.message : String(err) });
        }
      }),
    ];
  });
  await Promise.all(jobs);
  return report;
}

/** cosign's public-key hint: base64 of the SHA-256 of the DER public key. */
function keyHint(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return createHash('sha256').update(der).digest('base64');
}
