// The key VSAs are signed with (`--vsa-key`): a PEM private key (PKCS#8, SEC1 or PKCS#1), cosign's
// encrypted format (`cosign generate-key-pair`, password from COSIGN_PASSWORD), the same kept in a
// Kubernetes Secret as `cosign generate-key-pair k8s://ns/name` writes it (cosign.key, cosign.password),
// or a KMS key (awskms://, gcpkms://, azurekms://, hashivault://) that signs remotely.

import { createHash, createPrivateKey, createPublicKey, scryptSync, sign, type KeyObject } from 'node:crypto';
import { secretbox } from '@noble/ciphers/salsa.js';
import { readSettingFile } from '../config/setting-file.js';
import path from 'node:path';
import { ConfigError } from '../config/load.js';
import { parseK8sUri } from '../keys/resolve.js';
import { readSecretData } from '../keys/k8s-secret.js';
import type { KeyResolveOptions } from '../keys/options.js';

export interface SigningKey {
  /** Signs `data` with the key's usual scheme (ECDSA/RSA over SHA-256, Ed25519 pure): the signature as cosign writes it. */
  sign(data: Uint8Array): Promise<Buffer>;
  /** PEM of the public half: what a policy names to accept the VSAs. */
  publicKeyPem: string;
  /** Where it came from (a path or k8s:// URI), never its bytes. */
  source: string;
}

const ENCRYPTED = /-----BEGIN ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----([\s\S]*?)-----END ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----/;

export async function loadSigningKey(spec: string, opts: KeyResolveOptions & { env: NodeJS.ProcessEnv; cwd: string }): Promise<SigningKey> {
  if (/^(awskms|gcpkms|azurekms|hashivault):\/\//.test(spec)) {
    const { kmsSigner } = await import('../keys/kms-sign.js');
    const signer = await kmsSigner(spec, opts).catch((err: Error) => {
      throw new ConfigError(`--vsa-key ${spec}: ${err.message.replace(`${spec}: `, '')}`);
    });
    return { publicKeyPem: signer.publicKeyPem, source: spec, sign: (data) => signer.signDigest(createHash('sha256').update(data).digest()) };
  }
  const k8s = parseK8sUri(spec);
  if (k8s) {
    const data = await readSecretData(k8s, opts, spec).catch((err: Error) => {
      throw new ConfigError(`--vsa-key ${spec}: ${err.message.replace(`cannot read ${spec}: `, '')}`);
    });
    if (!data['cosign.key']) throw new ConfigError(`--vsa-key ${spec}: the secret has no cosign.key (keys: ${Object.keys(data).join(', ') || 'none'})`);
    const password = data['cosign.password'] !== undefined ? Buffer.from(data['cosign.password'], 'base64').toString('utf8') : opts.env.COSIGN_PASSWORD;
    return parseSigningKey(Buffer.from(data['cosign.key'], 'base64').toString('utf8'), password, spec);
  }
  const file = path.resolve(opts.cwd, spec);
  return parseSigningKey(await readSettingFile(`--vsa-key ${spec}`, file), opts.env.COSIGN_PASSWORD, spec);
}

/** Pure: the key in `text`; errors name the source, never quote the key. */
export function parseSigningKey(text: string, password: string | undefined, source: string): SigningKey {
  const encrypted = ENCRYPTED.exec(text);
  let privateKey: KeyObject;
  try {
    privateKey = encrypted ? decryptCosignKey(encrypted[1]!, password, source) : createPrivateKey(text);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`--vsa-key ${source}: not a private key (PEM PKCS#8, EC or RSA, or a cosign key)`);
  }
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  const algorithm = privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return { publicKeyPem, source, sign: async (data) => sign(algorithm, data, privateKey) };
}

/** cosign's format: JSON {kdf: scrypt, cipher: nacl/secretbox, ciphertext} around a PKCS#8 DER key. */
function decryptCosignKey(body: string, password: string | undefined, source: string): KeyObject {
  if (password === undefined) throw new ConfigError(`--vsa-key ${source}: an encrypted cosign key needs COSIGN_PASSWORD`);
  let doc: { kdf?: { name?: string; params?: { N?: number; r?: number; p?: number }; salt?: string }; cipher?: { name?: string; nonce?: string }; ciphertext?: string };
  try {
    doc = JSON.parse(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')) as typeof doc;
  } catch {
    throw new ConfigError(`--vsa-key ${source}: the encrypted key is malformed`);
  }
  const { kdf, cipher, ciphertext } = doc;
  if (kdf?.name !== 'scrypt' || cipher?.name !== 'nacl/secretbox' || !kdf.salt || !cipher.nonce || !ciphertext || !kdf.params) {
    throw new ConfigError(`--vsa-key ${source}: unsupported encrypted key (expected scrypt + nacl/secretbox, as cosign writes)`);
  }
  const { N = 32768, r = 8, p = 1 } = kdf.params;
  const key = scryptSync(password, Buffer.from(kdf.salt, 'base64'), 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  const opened = secretboxOpen(key, Buffer.from(cipher.nonce, 'base64'), Buffer.from(ciphertext, 'base64'));
  if (!opened) throw new ConfigError(`--vsa-key ${source}: wrong COSIGN_PASSWORD (the key does not decrypt)`);
  return createPrivateKey({ key: Buffer.from(opened), format: 'der', type: 'pkcs8' });
}

function secretboxOpen(key: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | undefined {
  try {
    return secretbox(key, nonce).open(box);
  } catch {
    return undefined;
  }
}
