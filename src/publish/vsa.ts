// The SLSA Verification Summary Attestation for an image that passed: an in-toto Statement v1 with
// predicate https://slsa.dev/verification_summary/v1. Pure: the caller signs and attaches it.

import type { ImageResult } from '../engine/result.js';
import { parseReference } from '../images/reference.js';

export const VSA_PREDICATE_TYPE = 'https://slsa.dev/verification_summary/v1';
export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const VERIFIER_ID = 'https://github.com/kubectl-verify-images/kubectl-verify-images';

export interface VsaPolicy {
  /** Where the policy lives (`--vsa-policy-uri`, default the policy paths as given). */
  uri: string;
  /** sha256 over the policy files (see policyDigest). */
  sha256: string;
}

export interface VsaInput {
  result: ImageResult;
  policy: VsaPolicy;
  version: string;
  now: Date;
}

/** The Statement, or why none may be written: never a PASSED VSA for an image that did not pass. */
export function vsaStatement({ result, policy, version, now }: VsaInput): { statement: object } | { refused: string } {
  if (result.status !== 'pass') return { refused: `${result.image} is ${result.status}, not pass` };
  if (!result.digest) return { refused: `${result.image} has no resolved digest` };
  const [alg, hex] = result.digest.split(':');
  const ref = parseReference(result.normalized);
  const name = `${ref.registry}/${ref.repository}`;
  // Levels are claimed only where a policy established them; this tool does not grade SLSA levels.
  return {
    statement: {
      _type: STATEMENT_V1,
      subject: [{ name, digest: { [alg!]: hex } }],
      predicateType: VSA_PREDICATE_TYPE,
      predicate: {
        verifier: { id: VERIFIER_ID, version: { 'kubectl-verify-images': version } },
        timeVerified: now.toISOString(),
        resourceUri: `oci://${name}@${result.digest}`,
        policy: { uri: policy.uri, digest: { sha256: policy.sha256 } },
        inputAttestations: [],
        verificationResult: 'PASSED',
        verifiedLevels: [],
      },
    },
  };
}
