// Notary Project signature envelopes (JWS with `jose`, COSE_Sign1 with `cbor2`): parsed into
// one shape, and their integrity checked as notation-core-go does — the signature over the
// payload with the leaf certificate's key, `alg` consistent with that key, `crit` headers
// understood, the payload content type, the signing scheme and its signed attributes.

import { createHash, type KeyObject, verify as verifySignature, X509Certificate } from 'node:crypto';

export const JWS_MEDIA_TYPE = 'application/jose+json';
export const COSE_MEDIA_TYPE = 'application/cose';
export const NOTATION_PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
export const SIGNING_SCHEME = 'io.cncf.notary.signingScheme';
export const SIGNING_TIME = 'io.cncf.notary.signingTime';
export const AUTHENTIC_SIGNING_TIME = 'io.cncf.notary.authenticSigningTime';
export const EXPIRY = 'io.cncf.notary.expiry';
export const TIMESTAMP_SIGNATURE = 'io.cncf.notary.timestampSignature';
export const VERIFICATION_PLUGIN = 'io.cncf.notary.verificationPlugin';

export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';

/** A parsed envelope: what the checks after integrity need. */
export interface Envelope {
  format: 'jws' | 'cose';
  alg: string;
  /** The signed payload bytes (JSON: `targetArtifact`). */
  payload: Uint8Array;
  signingScheme: SigningScheme;
  signingTime?: Date;
  authenticSigningTime?: Date;
  expiry?: Date;
  /** Leaf first, as the envelope carries them. */
  certificates: X509Certificate[];
  /** The raw signature value: what an RFC 3161 countersignature stamps. */
  signature: Uint8Array;
  timestampToken?: Uint8Array;
  /** Protected attributes naming a verification plugin (needs a plugin: inconclusive here). */
  plugin?: string;
}

/** The envelope cannot be read or its integrity is broken: enforced at every level but skip. */
export class IntegrityError extends Error {}

const RECOGNISED_CRIT = [SIGNING_SCHEME, EXPIRY, AUTHENTIC_SIGNING_TIME, VERIFICATION_PLUGIN, 'io.cncf.notary.verificationPluginMinVersion'];

/** notation-core-go's algorithms: RSASSA-PSS and ECDSA, the hash fixed by the key size. */
const ALGORITHMS: Record<string, { key: 'rsa-pss' | 'ec'; bits: number; hash: 'sha256' | 'sha384' | 'sha512' }> = {
  PS256: { key: 'rsa-pss', bits: 2048, hash: 'sha256' },
  PS384: { key: 'rsa-pss', bits: 3072, hash: 'sha384' },
  PS512: { key: 'rsa-pss', bits: 4096, hash: 'sha512' },
  ES256: { key: 'ec', bits: 256, hash: 'sha256' },
  ES384: { key: 'ec', bits: 384, hash: 'sha384' },
  ES512: { key: 'ec', bits: 521, hash: 'sha512' },
};
const COSE_ALGORITHMS: Record<number, string> = { [-37]: 'PS256', [-38]: 'PS384', [-39]: 'PS512', [-7]: 'ES256', [-35]: 'ES384', [-36]: 'ES512' };

/** Parses and checks the integrity of an envelope of `mediaType`; throws IntegrityError. */
export async function openEnvelope(mediaType: string, bytes: Uint8Array): Promise<Envelope> {
  if (mediaType === JWS_MEDIA_TYPE) return openJws(bytes);
  if (mediaType === COSE_MEDIA_TYPE) return openCose(bytes);
  throw new IntegrityError(`unable to parse the signature envelope: unsupported media type ${JSON.stringify(mediaType.slice(0, 80))}`);
}

// --- JWS (JSON serialization, flattened) ---------------------------------------------------

async function openJws(bytes: Uint8Array): Promise<Envelope> {
  let doc: { payload?: unknown; protected?: unknown; header?: Record<string, unknown>; signature?: unknown };
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new IntegrityError('unable to parse the JWS envelope: not JSON');
  }
  if (typeof doc.payload !== 'string' || typeof doc.protected !== 'string' || typeof doc.signature !== 'string' || !isObject(doc.header)) {
    throw new IntegrityError('unable to parse the JWS envelope: payload, protected, header and signature are required');
  }
  const header = doc.header;
  const x5c = header['x5c'];
  if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => typeof c === 'string')) {
    throw new IntegrityError('the envelope carries no certificate chain (x5c)');
  }
  const certificates = (x5c as string[]).map((c, i) => certificate(Buffer.from(c, 'base64'), i));
  let protectedHeader: Record<string, unknown>;
  try {
    protectedHeader = JSON.parse(Buffer.from(doc.protected, 'base64url').toString('utf8'));
  } catch {
    throw new IntegrityError('unable to parse the JWS protected header');
  }
  const alg = String(protectedHeader['alg']);
  const key = leafKey(certificates[0]!, alg);
  const { flattenedVerify } = await import('jose');
  try {
    await flattenedVerify(
      { payload: doc.payload, protected: doc.protected, header: header as Record<string, never>, signature: doc.signature },
      key,
      { algorithms: [alg], crit: Object.fromEntries(RECOGNISED_CRIT.map((c) => [c, true])) },
    );
  } catch (err) {
    throw new IntegrityError(`the signature does not verify with the signing certificate's key (${(err as Error).message})`);
  }
  checkCrit(protectedHeader['crit'], protectedHeader);
  if (protectedHeader['cty'] !== NOTATION_PAYLOAD_TYPE) throw new IntegrityError(`payload content type must be ${NOTATION_PAYLOAD_TYPE}`);
  const tsa = header[TIMESTAMP_SIGNATURE];
  return {
    format: 'jws',
    alg,
    payload: Buffer.from(doc.payload, 'base64url'),
    ...signedAttributes(protectedHeader, (v) => (typeof v === 'string' ? new Date(v) : undefined)),
    certificates,
    signature: Buffer.from(doc.signature, 'base64url'),
    ...(typeof tsa === 'string' && { timestampToken: Buffer.from(tsa, 'base64') }),
  };
}

// --- COSE_Sign1 --------------------------------------------------------------------------

async function openCose(bytes: Uint8Array): Promise<Envelope> {
  const { decode, encode } = await import('cbor2');
  let message: unknown;
  try {
    message = decode(bytes);
  } catch {
    throw new IntegrityError('unable to parse the COSE envelope: not CBOR');
  }
  const sign1 = message as { tag?: unknown; contents?: unknown };
  if (sign1.tag !== 18 || !Array.isArray(sign1.contents) || sign1.contents.length !== 4) {
    throw new IntegrityError('unable to parse the COSE envelope: not a tagged COSE_Sign1 message');
  }
  const [protectedBytes, unprotected, payload, signature] = sign1.contents as [unknown, unknown, unknown, unknown];
  if (!(protectedBytes instanceof Uint8Array) || !(unprotected instanceof Map) || !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new IntegrityError('unable to parse the COSE envelope: malformed COSE_Sign1 fields');
  }
  let headers: unknown;
  try {
    headers = decode(protectedBytes);
  } catch {
    throw new IntegrityError('unable to parse the COSE protected header');
  }
  if (!(headers instanceof Map)) throw new IntegrityError('the COSE protected header is not a map');
  const alg = COSE_ALGORITHMS[Number(headers.get(1))];
  if (!alg) throw new IntegrityError(`unsupported COSE algorithm ${String(headers.get(1))}`);
  const chain = unprotected.get(33);
  const ders = chain instanceof Uint8Array ? [chain] : Array.isArray(chain) ? chain : [];
  if (ders.length === 0 || !ders.every((c) => c instanceof Uint8Array)) throw new IntegrityError('the envelope carries no certificate chain (x5chain)');
  const certificates = (ders as Uint8Array[]).map((c, i) => certificate(c, i));
  const key = leafKey(certificates[0]!, alg);
  // Sig_structure (RFC 9052 §4.4): ["Signature1", protected, external_aad, payload].
  // Plain Uint8Arrays: cbor2 would encode a Buffer as an object.
  const toBeSigned = encode(['Signature1', plain(protectedBytes), new Uint8Array(0), plain(payload)]);
  const { hash, key: kind } = ALGORITHMS[alg]!;
  const ok = verifySignature(
    hash,
    toBeSigned,
    kind === 'ec' ? { key, dsaEncoding: 'ieee-p1363' } : { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: digestLength(hash) },
    signature,
  );
  if (!ok) throw new IntegrityError("the signature does not verify with the signing certificate's key");
  const named = Object.fromEntries([...headers].map(([k, v]) => [String(k), v]));
  checkCrit(headers.get(2), named);
  if (headers.get(3) !== NOTATION_PAYLOAD_TYPE) throw new IntegrityError(`payload content type must be ${NOTATION_PAYLOAD_TYPE}`);
  const tsa = unprotected.get(TIMESTAMP_SIGNATURE);
  return {
    format: 'cose',
    alg,
    payload,
    ...signedAttributes(named, (v) => (v instanceof Date ? v : undefined)),
    certificates,
    signature,
    ...(tsa instanceof Uint8Array && { timestampToken: tsa }),
  };
}

// --- shared -----------------------------------------------------------------------------

function certificate(der: Uint8Array, index: number): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new IntegrityError(`certificate ${index + 1} of the envelope's chain does not parse`);
  }
}

/** The leaf's public key, when `alg` is the one notation pairs with its type and size. */
function leafKey(leaf: X509Certificate, alg: string): KeyObject {
  const want = ALGORITHMS[alg];
  if (!want) throw new IntegrityError(`unsupported signature algorithm ${JSON.stringify(alg.slice(0, 20))}`);
  const key = leaf.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const type = key.asymmetricKeyType;
  const bits = type === 'ec' ? { 'prime256v1': 256, 'secp384r1': 384, 'secp521r1': 521 }[details.namedCurve ?? ''] : details.modulusLength;
  const kind = type === 'ec' ? 'ec' : type === 'rsa' || type === 'rsa-pss' ? 'rsa-pss' : type;
  if (kind !== want.key || bits !== want.bits) {
    throw new IntegrityError(`signature algorithm ${alg} does not match the signing key (${type}${bits ? ` ${bits}` : ''})`);
  }
  return key;
}

function checkCrit(crit: unknown, headers: Record<string, unknown>): void {
  if (!Array.isArray(crit) || !crit.includes(SIGNING_SCHEME)) throw new IntegrityError(`the critical headers must include ${SIGNING_SCHEME}`);
  for (const name of crit) {
    if (!RECOGNISED_CRIT.includes(String(name))) throw new IntegrityError(`unknown critical header ${JSON.stringify(String(name).slice(0, 60))}`);
    if (!(String(name) in headers)) throw new IntegrityError(`critical header ${String(name)} is missing`);
  }
  // Signed attributes that must be marked critical when present.
  for (const name of [EXPIRY, AUTHENTIC_SIGNING_TIME, VERIFICATION_PLUGIN]) {
    if (name in headers && !crit.includes(name)) throw new IntegrityError(`${name} must be a critical header`);
  }
}

function signedAttributes(
  headers: Record<string, unknown>,
  time: (v: unknown) => Date | undefined,
): Pick<Envelope, 'signingScheme' | 'signingTime' | 'authenticSigningTime' | 'expiry' | 'plugin'> {
  const scheme = headers[SIGNING_SCHEME];
  if (scheme !== 'notary.x509' && scheme !== 'notary.x509.signingAuthority') {
    throw new IntegrityError(`unsupported signing scheme ${JSON.stringify(String(scheme).slice(0, 60))}`);
  }
  const at = (name: string, required: boolean): Date | undefined => {
    if (!(name in headers)) {
      if (required) throw new IntegrityError(`signed attribute ${name} is required for ${scheme}`);
      return undefined;
    }
    const d = time(headers[name]);
    if (!d || Number.isNaN(d.getTime())) throw new IntegrityError(`signed attribute ${name} is not a time`);
    return d;
  };
  const plugin = headers[VERIFICATION_PLUGIN];
  return {
    signingScheme: scheme,
    ...(scheme === 'notary.x509' ? { signingTime: at(SIGNING_TIME, true) } : { authenticSigningTime: at(AUTHENTIC_SIGNING_TIME, true) }),
    ...(EXPIRY in headers && { expiry: at(EXPIRY, false) }),
    ...(typeof plugin === 'string' && { plugin }),
  };
}

function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function digestLength(hash: string): number {
  return createHash(hash).digest().length;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
