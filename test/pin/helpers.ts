// Shared by the pin tests: a canonical Result built by hand for images whose
// verification is not under test here (the end-to-end test uses the real registry).
import { createHash } from 'node:crypto';
import type { ImageResult, Result, Status } from '../../src/engine/result.js';
import { summarize } from '../../src/engine/result.js';

/** A stable fake digest per image name, so golden files do not change between runs. */
export function digestOf(image: string): string {
  return `sha256:${createHash('sha256').update(image).digest('hex')}`;
}

export function resultFor(images: string[], statuses: Record<string, Status> = {}): Result {
  const results: ImageResult[] = [...new Set(images)].map((image) => {
    const status = statuses[image] ?? 'pass';
    return {
      image,
      normalized: image,
      status,
      ...(status === 'pass' && !image.includes('@') && { digest: digestOf(image) }),
      policies: [
        {
          policy: 'signed-images',
          file: 'policies/signed.yaml',
          line: 1,
          rule: 'check',
          mode: 'enforce',
          status: status === 'unmatched' ? 'fail' : status,
          reasons: status === 'pass' ? [] : ['no signature verified with the policy key'],
          onError: 'block',
          ...(status === 'pass' && { signers: ['key SHA256:abc'] }),
        },
      ],
      uses: [],
    };
  });
  return { summary: summarize(results), results, unmatched: 'allow' };
}
