// Trust material: the Rekor keys (later CAs, CT logs) verification may rely on.
// The default is the Sigstore public-good trusted root shipped inside
// @sigstore/tuf's seeds.json, read offline: verification never touches TUF.

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { splitPem, loadPublicKey } from './keys.js';
import type { TlogKey, TrustMaterial } from './types.js';

export type { TlogKey, TrustMaterial } from './types.js';

const PUBLIC_GOOD_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';

/** A trusted root that cannot be used: a configuration error (exit 2), not a failed verification. */
export class TrustRootError extends Error {
  readonly code = 'TRUST_ROOT_INVALID';
}

export interface TrustOptions {
  /** A `trusted_root.json` text (cosign `--trusted-root` format) replacing the public-good one. */
  trustedRootJson?: string;
  /** Same, read from this file. */
  trustedRootFile?: string;
}

let publicGood: TrustMaterial | undefined;

/** The trust material to verify with; the embedded public-good root is parsed once, on first use. */
export function loadTrustMaterial(opts: TrustOptions = {}): TrustMaterial {
  if (opts.trustedRootJson !== undefined) return trustMaterialFromJson(opts.trustedRootJson, 'trusted root');
  if (opts.trustedRootFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.trustedRootFile, 'utf8');
    } catch (err) {
      throw new TrustRootError(`cannot read trusted root ${opts.trustedRootFile}: ${(err as Error).message}`, { cause: err });
    }
    return trustMaterialFromJson(text, opts.trustedRootFile);
  }
  return (publicGood ??= trustMaterialFromJson(embeddedTrustedRoot(), 'embedded public-good trusted root'));
}

/** The public-good `trusted_root.json` from @sigstore/tuf's seed (base64 inside seeds.json). */
export function embeddedTrustedRoot(): string {
  const seeds = createRequire(import.meta.url)('@sigstore/tuf/seeds.json') as Record<
    string,
    { targets?: Record<string, string> } | undefined
  >;
  const b64 = seeds[PUBLIC_GOOD_MIRROR]?.targets?.['trusted_root.json'];
  if (!b64) throw new TrustRootError('the @sigstore/tuf seed holds no public-good trusted_root.json');
  return Buffer.from(b64, 'base64').toString('utf8');
}

/** Parses a trusted root document (application/vnd.dev.sigstore.trustedroot+json). */
export function trustMaterialFromJson(text: string, name: string): TrustMaterial {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TrustRootError(`${name}: not valid JSON`, { cause: err });
  }
  const tlogs = isObject(doc) ? doc.tlogs : undefined;
  if (tlogs !== undefined && !Array.isArray(tlogs)) throw new TrustRootError(`${name}: "tlogs" is not a list`);
  return { tlogs: (tlogs ?? []).flatMap((entry, i) => tlogFromJson(entry, `${name}: tlogs[${i}]`)), trustedRootJson: text };
}

function tlogFromJson(entry: unknown, where: string): TlogKey[] {
  if (!isObject(entry) || !isObject(entry.publicKey)) throw new TrustRootError(`${where}: no publicKey`);
  const pk = entry.publicKey;
  // Trusted roots may list keys without bytes (retired or not-yet-usable logs): nothing to trust there.
  if (typeof pk.rawBytes !== 'string' || pk.rawBytes === '') return [];
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(pk.rawBytes, 'base64'), format: 'der', type: 'spki' });
  } catch (err) {
    throw new TrustRootError(`${where}: public key does not parse`, { cause: err });
  }
  const keyId = isObject(entry.logId) ? entry.logId.keyId : undefined;
  const validFor = isObject(pk.validFor) ? pk.validFor : {};
  return [
    {
      logId: typeof keyId === 'string' ? Buffer.from(keyId, 'base64').toString('hex') : logIdOf(publicKey),
      publicKey,
      ...optionalDate('validFrom', validFor.start, where),
      ...optionalDate('validTo', validFor.end, where),
      ...(typeof entry.baseUrl === 'string' && { baseUrl: entry.baseUrl }),
    },
  ];
}

/** Rekor keys given as PEM (a policy's `rekor.pubkey`, containers-policy `rekorPublicKeyData`). */
export function tlogKeysFromPem(pems: readonly string[]): TlogKey[] {
  return pems.flatMap((text) => {
    const blocks = splitPem(text).filter((b) => b.type === 'PUBLIC KEY' || b.type === 'RSA PUBLIC KEY');
    return (blocks.length > 0 ? blocks.map((b) => b.pem) : [text]).map((pem) => {
      const publicKey = loadPublicKey(pem);
      return { logId: logIdOf(publicKey), publicKey };
    });
  });
}

/** Rekor v1's log ID: hex sha256 of the key's DER SubjectPublicKeyInfo. */
export function logIdOf(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

function optionalDate<K extends string>(field: K, value: unknown, where: string): Partial<Record<K, Date>> {
  if (value === undefined || value === null) return {};
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new TrustRootError(`${where}: bad ${field} date`);
  return { [field]: date } as Partial<Record<K, Date>>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
