// Signing with a KMS key (`--vsa-key awskms://…` and the other cosign KMS URIs): each provider signs a
// SHA-256 digest and returns a DER ECDSA signature, as cosign's KMS signers do. ECDSA P-256 keys only:
// what cosign creates by default and every provider offers.

import { createPublicKey } from 'node:crypto';
import { KeyResolveError } from './errors.js';
import { parseKmsUri } from './kms-uri.js';
import type { KeyResolveOptions } from './options.js';
import { resolveKeyReference } from './resolve.js';

export interface KmsSigner {
  publicKeyPem: string;
  /** Signs a SHA-256 digest: DER ECDSA. */
  signDigest(digest: Uint8Array): Promise<Buffer>;
}

export async function kmsSigner(uri: string, opts: KeyResolveOptions = {}): Promise<KmsSigner> {
  const key = parseKmsUri(uri);
  const env = opts.env ?? process.env;
  const [publicKeyPem] = await resolveKeyReference({ type: 'kms', uri }, opts);
  const pub = createPublicKey(publicKeyPem!);
  if (pub.asymmetricKeyType !== 'ec' || pub.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    const what = pub.asymmetricKeyType === 'ec' ? `an EC ${pub.asymmetricKeyDetails?.namedCurve} key` : `an ${pub.asymmetricKeyType?.toUpperCase()} key`;
    throw new KeyResolveError('KEY_NOT_PUBLIC', `${uri}: ${what}; only ECDSA P-256 KMS keys can sign VSAs here (create one with the ECC_NIST_P256 / EC_SIGN_P256_SHA256 key spec)`);
  }
  const signDigest = async (digest: Uint8Array): Promise<Buffer> => {
    switch (key.provider) {
      case 'aws':
        return (await import('./aws-kms.js')).awsSign(key, env, digest);
      case 'gcp':
        return (await import('./gcp-kms.js')).gcpSign(key, env, digest, opts.tokens?.gcp);
      case 'azure':
        return (await import('./azure-kms.js')).azureSign(key, env, digest, opts.tokens?.azure);
      case 'vault':
        return (await import('./hashivault.js')).vaultSign(key, env, digest);
    }
  };
  return { publicKeyPem: publicKeyPem!, signDigest };
}
