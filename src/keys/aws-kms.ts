// awskms://: AWS KMS GetPublicKey (and Sign, for VSAs) with the official SDK (optional dependency,
// loaded only here). Region from the ARN, else AWS_REGION/AWS_DEFAULT_REGION;
// endpoint from the URI, else AWS_ENDPOINT_URL_KMS/AWS_ENDPOINT_URL; credentials
// from the SDK's default chain (env, profiles, SSO, instance roles).

import { KeyResolveError } from './errors.js';
import type { KmsKey } from './kms-uri.js';
import { derToPem } from './pem.js';

type AwsKey = Extract<KmsKey, { provider: 'aws' }>;

async function awsClient(key: AwsKey, env: NodeJS.ProcessEnv) {
  const sdk = await loadSdk(key.uri);
  const region = key.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new KeyResolveError('KEY_NO_CREDENTIALS', `${key.uri}: no AWS region (set AWS_REGION or use a key ARN)`);
  const endpoint = key.endpoint ? `https://${key.endpoint}` : (env.AWS_ENDPOINT_URL_KMS ?? env.AWS_ENDPOINT_URL);
  const staticCredentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }) }
      : undefined;
  return { sdk, client: new sdk.KMSClient({ region, maxAttempts: 2, ...(endpoint && { endpoint }), ...(staticCredentials && { credentials: staticCredentials }) }) };
}

export async function awsPublicKey(key: AwsKey, env: NodeJS.ProcessEnv): Promise<string> {
  const { sdk, client } = await awsClient(key, env);
  try {
    const out = await client.send(new sdk.GetPublicKeyCommand({ KeyId: key.keyId }));
    if (!out.PublicKey) throw new KeyResolveError('KEY_NOT_PUBLIC', `${key.uri}: AWS KMS returned no public key`);
    return derToPem(out.PublicKey, key.uri);
  } catch (err) {
    throw awsError(key.uri, err);
  } finally {
    client.destroy();
  }
}

/** KMS Sign over a SHA-256 digest (ECDSA_SHA_256): the DER signature. */
export async function awsSign(key: AwsKey, env: NodeJS.ProcessEnv, digest: Uint8Array): Promise<Buffer> {
  const { sdk, client } = await awsClient(key, env);
  try {
    const out = await client.send(new sdk.SignCommand({ KeyId: key.keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }));
    if (!out.Signature) throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: AWS KMS returned no signature`);
    return Buffer.from(out.Signature);
  } catch (err) {
    throw awsError(key.uri, err);
  } finally {
    client.destroy();
  }
}

async function loadSdk(uri: string) {
  try {
    return await import('@aws-sdk/client-kms');
  } catch (err) {
    throw new KeyResolveError('KEY_PROVIDER_UNAVAILABLE', `${uri}: needs the optional package @aws-sdk/client-kms (npm i @aws-sdk/client-kms)`, { cause: err });
  }
}

function awsError(uri: string, err: unknown): KeyResolveError {
  if (err instanceof KeyResolveError) return err;
  const e = err as { name?: string; message?: string };
  switch (e.name) {
    case 'CredentialsProviderError':
      return new KeyResolveError('KEY_NO_CREDENTIALS', `${uri}: no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or use an instance role)`, { cause: err });
    case 'NotFoundException':
      return new KeyResolveError('KEY_NOT_FOUND', `${uri}: key not found in AWS KMS`, { cause: err });
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
      return new KeyResolveError('KEY_ACCESS_DENIED', `${uri}: AWS KMS refused the request (${e.name})`, { cause: err });
    default:
      return new KeyResolveError('KEY_FETCH_FAILED', `${uri}: AWS KMS GetPublicKey failed: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`, { cause: err });
  }
}
