// Test/demo/bench tooling: Notary Project signatures as `notation sign` writes them — a test PKI
// (@peculiar/x509), JWS envelopes (jose) and COSE_Sign1 envelopes (cbor2 + node:crypto), pushed
// to a real registry as signature manifests recorded in the `sha256-<hex>` referrers-tag index
// (distribution 2.8 has no referrers API). Never used by the CLI.
import { createHash, createPrivateKey, type KeyObject, sign as nodeSign, webcrypto, X509Certificate } from 'node:crypto';
import { getManifest, OCI_INDEX, OCI_MANIFEST, pushBlob, pushManifest, sha256Digest, type PushOptions } from './oci-push.js';

export const NOTATION_SIGNATURE = 'application/vnd.cncf.notary.signature';
export const JWS = 'application/jose+json';
export const COSE = 'application/cose';
const PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';

export interface TestCertificate {
  pem: string;
  der: Buffer;
  privateKey: KeyObject;
  x509: X509Certificate;
}

export interface CertificateOptions {
  /** RFC 4514 DN, e.g. `C=US, ST=WA, O=Acme, CN=signer`. */
  subject: string;
  notBefore?: Date;
  notAfter?: Date;
  /** Issued by this certificate (else self-signed). */
  issuer?: TestCertificate;
  ca?: boolean;
  /** Extended key usages (OIDs); code signing for a leaf by default. */
  eku?: string[];
  /** Name an OCSP responder and a CRL (so revocation could be checked). */
  revocable?: boolean;
  /** Key: ECDSA P-256 (default) or RSA 2048 (for PS256). */
  key?: 'ec' | 'rsa';
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
let serial = 1;

export async function makeCertificate(o: CertificateOptions): Promise<TestCertificate> {
  // @peculiar/x509 2 resolves its services with tsyringe, which needs the Reflect metadata polyfill first.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const crypto = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[1];
  const alg = o.key === 'rsa' ? RSA : EC;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = o.ca ?? !o.issuer;
  const extensions: InstanceType<typeof x509.Extension>[] = [
    new x509.BasicConstraintsExtension(ca, undefined, true),
    new x509.KeyUsagesExtension(ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature, true),
  ];
  if (!ca || o.eku) extensions.push(new x509.ExtendedKeyUsageExtension(o.eku ?? [CODE_SIGNING], false));
  if (o.revocable) {
    extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [new x509.GeneralName('url', 'http://ocsp.invalid/')] }));
    extensions.push(new x509.CRLDistributionPointsExtension(['http://crl.invalid/ca.crl']));
  }
  const now = Date.now();
  const issuerKey = o.issuer ? await webcrypto.subtle.importKey('pkcs8', o.issuer.privateKey.export({ type: 'pkcs8', format: 'der' }), o.issuer.privateKey.asymmetricKeyType === 'rsa' ? RSA : EC, false, ['sign']) : keys.privateKey;
  const params = {
    serialNumber: (serial++).toString(16).padStart(8, '0'),
    subject: o.subject,
    issuer: o.issuer ? o.issuer.x509.subject.split('\n').join(', ') : o.subject,
    notBefore: o.notBefore ?? new Date(now - 3_600_000),
    notAfter: o.notAfter ?? new Date(now + 365 * 86_400_000),
    publicKey: keys.publicKey,
    signingKey: issuerKey,
    signingAlgorithm: o.issuer?.privateKey.asymmetricKeyType === 'rsa' || (!o.issuer && o.key === 'rsa') ? RSA : EC,
    extensions,
  };
  const cert = await x509.X509CertificateGenerator.create(params, crypto);
  const der = Buffer.from(cert.rawData);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { pem: cert.toString('pem'), der, privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }), x509: new X509Certificate(der) };
}

/** A root CA and a code-signing leaf it issued: what `notation cert generate-test` gives, as a chain. */
export async function makeSigner(subject = 'C=US, ST=WA, L=Seattle, O=Acme, CN=signer', leaf: Partial<CertificateOptions> = {}) {
  const root = await makeCertificate({ subject: `C=US, ST=WA, O=Acme, CN=Acme Root ${serial}`, ca: true });
  const signer = await makeCertificate({ subject, issuer: root, ...leaf });
  return { root, leaf: signer, chain: [signer, root] };
}

export interface Target {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface EnvelopeOptions {
  format: 'jws' | 'cose';
  /** Leaf first. */
  chain: TestCertificate[];
  target: Target;
  signingTime?: Date;
  expiry?: Date;
  /** Flip a byte of the signature. */
  tamper?: boolean;
}

/** The envelope bytes, signed with the leaf's key (ES256, or PS256 for an RSA leaf). */
export async function signEnvelope(o: EnvelopeOptions): Promise<Uint8Array> {
  const key = o.chain[0]!.privateKey;
  const rsa = key.asymmetricKeyType === 'rsa';
  const alg = rsa ? 'PS256' : 'ES256';
  const payload = Buffer.from(JSON.stringify({ targetArtifact: o.target }));
  const signingTime = o.signingTime ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const crit = ['io.cncf.notary.signingScheme', ...(o.expiry ? ['io.cncf.notary.expiry'] : [])];
  let out: Uint8Array;
  if (o.format === 'jws') {
    const { FlattenedSign } = await import('jose');
    const header = {
      alg,
      crit,
      cty: PAYLOAD_TYPE,
      'io.cncf.notary.signingScheme': 'notary.x509',
      'io.cncf.notary.signingTime': signingTime.toISOString().replace('.000Z', 'Z'),
      ...(o.expiry && { 'io.cncf.notary.expiry': o.expiry.toISOString().replace('.000Z', 'Z') }),
    };
    const jws = await new FlattenedSign(payload)
      .setProtectedHeader(header)
      .setUnprotectedHeader({ x5c: o.chain.map((c) => c.der.toString('base64')), 'io.cncf.notary.signingAgent': 'verify-images-testkit' })
      .sign(key, { crit: Object.fromEntries(crit.map((c) => [c, true])) });
    if (o.tamper) jws.signature = flip(Buffer.from(jws.signature, 'base64url')).toString('base64url');
    out = Buffer.from(JSON.stringify(jws));
  } else {
    const { encode, Tag } = await import('cbor2');
    const protectedHeader = new Map<number | string, unknown>([
      [1, rsa ? -37 : -7],
      [2, crit],
      [3, PAYLOAD_TYPE],
      ['io.cncf.notary.signingScheme', 'notary.x509'],
      ['io.cncf.notary.signingTime', new Tag(1, Math.floor(signingTime.getTime() / 1000))],
      ...(o.expiry ? [['io.cncf.notary.expiry', new Tag(1, Math.floor(o.expiry.getTime() / 1000))] as [string, unknown]] : []),
    ]);
    const protectedBytes = encode(protectedHeader);
    const toBeSigned = encode(['Signature1', protectedBytes, new Uint8Array(0), new Uint8Array(payload)]);
    let signature = nodeSign('sha256', toBeSigned, rsa ? { key, padding: 6, saltLength: 32 } : { key, dsaEncoding: 'ieee-p1363' });
    if (o.tamper) signature = flip(signature) as typeof signature;
    const unprotected = new Map<number | string, unknown>([
      [33, o.chain.map((c) => new Uint8Array(c.der))],
      ['io.cncf.notary.signingAgent', 'verify-images-testkit'],
    ]);
    out = encode(new Tag(18, [protectedBytes, unprotected, new Uint8Array(payload), new Uint8Array(signature)]));
  }
  return out;
}

function flip(b: Buffer): Buffer {
  const c = Buffer.from(b);
  c[c.length - 1] = (c[c.length - 1]! ^ 0x01) & 0xff;
  return c;
}

export interface PushSignatureOptions extends PushOptions {
  registry: string;
  repo: string;
  subject: Target;
  envelope: Uint8Array;
  mediaType: string;
  /** Written with `config.mediaType` instead of `artifactType` (both flavours notation reads). */
  configFlavour?: boolean;
  /** Number of envelope layers (notation requires exactly one). */
  layers?: number;
}

/** Pushes a signature manifest and records it in the `sha256-<hex>` referrers-tag index (appended). */
export async function pushNotationSignature(o: PushSignatureOptions): Promise<string> {
  const empty = Buffer.from('{}');
  await pushBlob(o.registry, o.repo, empty, o);
  const layerDigest = await pushBlob(o.registry, o.repo, o.envelope, o);
  const layer = { mediaType: o.mediaType, size: o.envelope.length, digest: layerDigest };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      ...(!o.configFlavour && { artifactType: NOTATION_SIGNATURE }),
      config: o.configFlavour ? { mediaType: NOTATION_SIGNATURE, size: 2, digest: sha256Digest(empty) } : { mediaType: EMPTY_CONFIG, size: 2, digest: sha256Digest(empty) },
      layers: Array.from({ length: o.layers ?? 1 }, () => layer),
      subject: { mediaType: o.subject.mediaType, digest: o.subject.digest, size: o.subject.size },
      annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '[]' },
    }),
  );
  const digest = sha256Digest(manifest);
  await pushManifest(o.registry, o.repo, digest, manifest, OCI_MANIFEST, o);
  await addReferrer(o, o.subject.digest, { mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: NOTATION_SIGNATURE });
  return digest;
}

/** Appends a descriptor to the referrers-tag index of `subject` (read-modify-write, as oras does). */
export async function addReferrer(o: PushOptions & { registry: string; repo: string }, subject: string, descriptor: Record<string, unknown>): Promise<void> {
  const tag = subject.replace(':', '-');
  const index = await getManifest(o.registry, o.repo, tag, o);
  const manifests = [...((index?.json['manifests'] as unknown[] | undefined) ?? []), descriptor];
  await pushManifest(o.registry, o.repo, tag, { schemaVersion: 2, mediaType: OCI_INDEX, manifests }, OCI_INDEX, o);
}

/** The descriptor of a pushed manifest: what a signature must name. */
export async function descriptorOf(registry: string, repo: string, reference: string, opts: PushOptions = {}): Promise<Target> {
  const m = await getManifest(registry, repo, reference, opts);
  if (!m) throw new Error(`${repo}:${reference} not found`);
  return { mediaType: (m.json['mediaType'] as string) ?? OCI_MANIFEST, digest: `sha256:${createHash('sha256').update(m.bytes).digest('hex')}`, size: m.bytes.length };
}
