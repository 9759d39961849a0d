// Public keys arrive as DER, JWK, raw Ed25519 or PEM depending on the provider;
// everything leaves as validated SPKI PEM without a trailing newline, the form
// KeyRequirement.keys holds for inline keys too.

import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { parsePublicKeys } from '../verify/keys.js';
import { KeyResolveError } from './errors.js';

/** SPKI DER (AWS KMS GetPublicKey) → PEM. */
export function derToPem(der: Uint8Array, where: string): string {
  try {
    return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }).toString().trim();
  } catch (err) {
    throw new KeyResolveError('KEY_NOT_PUBLIC', `${where}: not a DER public key: ${(err as Error).message}`, { cause: err });
  }
}

/** A public JWK (Azure Key Vault's kty EC/EC-HSM/RSA/RSA-HSM; OKP) → PEM. */
export function jwkToPem(jwk: Record<string, unknown>, where: string): string {
  const kty = String(jwk.kty ?? '').replace(/-HSM$/, '');
  const key: JsonWebKey =
    kty === 'EC'
      ? { kty, crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string }
      : kty === 'RSA'
        ? { kty, n: jwk.n as string, e: jwk.e as string }
        : { kty, crv: jwk.crv as string, x: jwk.x as string };
  try {
    return createPublicKey({ key, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString().trim();
  } catch (err) {
    throw new KeyResolveError('KEY_NOT_PUBLIC', `${where}: unsupported key (kty ${String(jwk.kty)}): ${(err as Error).message}`, { cause: err });
  }
}

/** Every PEM public key in `text` (a Secret value, a provider's PEM field), validated. */
export function pemKeys(text: string, where: string): string[] {
  try {
    return parsePublicKeys(text);
  } catch (err) {
    throw new KeyResolveError('KEY_NOT_PUBLIC', `${where}: ${(err as Error).message}`, { cause: err });
  }
}

/** Vault transit returns Ed25519 keys as raw base64 (32 bytes), the rest as PEM. */
export function vaultKeyToPem(value: string, where: string): string[] {
  if (value.includes('-----BEGIN')) return pemKeys(value, where);
  const raw = Buffer.from(value, 'base64');
  if (raw.length !== 32) throw new KeyResolveError('KEY_NOT_PUBLIC', `${where}: not a PEM or Ed25519 public key`);
  return [jwkToPem({ kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, where)];
}
