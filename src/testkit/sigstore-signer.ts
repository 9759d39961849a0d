// Test/demo/bench tooling: cosign-compatible keyless signatures, attestations and
// cosign v3 bundle referrers, pushed to a real registry. Certificates and log
// entries come from the sigstore stand-in. Never used by the CLI.
import { createHash, sign, type KeyObject } from 'node:crypto';
import { dsse } from '@sigstore/core';
import { simpleSigningPayload, SIGNATURE_ANNOTATION, SIMPLE_SIGNING, BUNDLE_ANNOTATION, type TestKeyPair } from './cosign-signer.js';
import { getManifest, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST, pushBlob, pushManifest, sha256Digest, type PushOptions } from './oci-push.js';
import type { IssueOptions, SigstoreStandIn } from './sigstore-stand-in.js';

export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO = 'application/vnd.in-toto+json';
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';

export interface Target extends PushOptions {
  registry: string;
  repo: string;
  /** Image digest being signed / attested. */
  digest: string;
}

/** Who signs: a test key pair, or a fresh stand-in certificate for an identity. */
export type TestSigner = { key: TestKeyPair } | { standIn: SigstoreStandIn; identity: IssueOptions };

interface SigningKey {
  privateKey: KeyObject;
  /** PEM of the public key or the certificate, as Rekor bodies record it. */
  verifierPem: string;
  certificatePem?: string;
}

async function signingKey(signer: TestSigner): Promise<SigningKey> {
  if ('key' in signer) return { privateKey: signer.key.privateKey, verifierPem: signer.key.publicKeyPem };
  const cert = await signer.standIn.issue(signer.identity);
  return { privateKey: cert.privateKey, verifierPem: cert.certificatePem, certificatePem: cert.certificatePem };
}

/** Appends one layer to `<repo>:<tag>` (read-modify-write, as cosign does for `.sig` / `.att`). */
export async function appendLayer(
  t: PushOptions & { registry: string; repo: string },
  tag: string,
  blob: Buffer,
  mediaType: string,
  annotations: Record<string, string>,
): Promise<string> {
  const digest = await pushBlob(t.registry, t.repo, blob, t);
  const layer = { mediaType, size: blob.length, digest, annotations };
  const existing = await getManifest(t.registry, t.repo, tag, t);
  const layers = [...((existing?.json['layers'] as { digest: string }[] | undefined) ?? []), layer];
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) }, config: {} }));
  await pushBlob(t.registry, t.repo, config, t);
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, size: config.length, digest: sha256Digest(config) }, layers };
  return pushManifest(t.registry, t.repo, tag, manifest, OCI_MANIFEST, t);
}

const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');

export interface KeylessSignOptions extends Target {
  signer: TestSigner;
  /** Log in the stand-in's Rekor (default true when signing with a certificate). */
  tlog?: boolean;
  /** When the log says the entry was integrated (default now). */
  logAt?: Date;
  /** Sign a payload naming another digest. */
  payloadDigest?: string;
  /** Add a stand-in TSA timestamp over the signature bytes (or over these bytes: a wrong timestamp). */
  rfc3161?: true | Uint8Array;
}

/** `cosign sign` with a Fulcio certificate: a `.sig` layer with certificate, chain and Rekor bundle annotations. */
export async function signImageKeyless(o: KeylessSignOptions): Promise<void> {
  const k = await signingKey(o.signer);
  const host = o.registry.replace(/^[a-z]+:\/\//, '');
  const payload = Buffer.from(simpleSigningPayload(`${host}/${o.repo}`, o.payloadDigest ?? o.digest));
  const signature = sign('sha256', payload, k.privateKey).toString('base64');
  const annotations: Record<string, string> = { [SIGNATURE_ANNOTATION]: signature };
  if (k.certificatePem) {
    annotations[CERTIFICATE_ANNOTATION] = k.certificatePem;
    annotations[CHAIN_ANNOTATION] = 'standIn' in o.signer ? o.signer.standIn.fulcioRootPem : '';
  }
  if ((o.tlog ?? true) && 'standIn' in o.signer) {
    const body = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: { data: { hash: { algorithm: 'sha256', value: hex(payload) } }, signature: { content: signature, publicKey: { content: b64(k.verifierPem) } } },
    };
    annotations[BUNDLE_ANNOTATION] = (await o.signer.standIn.log(body, o.logAt)).cosignBundle;
  }
  if (o.rfc3161 && 'standIn' in o.signer) {
    annotations['dev.sigstore.cosign/rfc3161timestamp'] = await o.signer.standIn.timestamp(o.rfc3161 === true ? Buffer.from(signature, 'base64') : o.rfc3161);
  }
  await appendLayer(o, `${o.digest.replace(':', '-')}.sig`, payload, SIMPLE_SIGNING, annotations);
}

export interface StatementOptions {
  predicateType: string;
  predicate: unknown;
  /** in-toto Statement version (cosign attest --predicate: v0.1; new format: v1). */
  version?: 'v0.1' | 'v1';
  /** The subject digest (default: the image's). */
  subjectDigest?: string;
  /** Annotations on the subject (cosign v3 `sign -a k=v`). */
  subjectAnnotations?: Record<string, string>;
  /** Rewrite the statement text before it is signed (duplicate members, case variants…). */
  editStatement?: (json: string) => string;
}

export function inTotoStatement(digest: string, name: string, s: StatementOptions): Buffer {
  const [alg, value] = (s.subjectDigest ?? digest).split(':');
  const json = JSON.stringify({
    _type: s.version === 'v1' ? 'https://in-toto.io/Statement/v1' : 'https://in-toto.io/Statement/v0.1',
    predicateType: s.predicateType,
    subject: [{ ...(name && { name }), digest: { [alg!]: value }, ...(s.subjectAnnotations && { annotations: s.subjectAnnotations }) }],
    predicate: s.predicate,
  });
  return Buffer.from(s.editStatement ? s.editStatement(json) : json);
}

/** A DSSE envelope over a statement, signed with PAE. */
function envelope(statement: Buffer, privateKey: KeyObject): { json: Buffer; sig: string } {
  const sig = sign('sha256', dsse.preAuthEncoding(IN_TOTO, statement), privateKey).toString('base64');
  return { json: Buffer.from(JSON.stringify({ payloadType: IN_TOTO, payload: b64(statement), signatures: [{ keyid: '', sig }] })), sig };
}

export interface AttestOptions extends Target, StatementOptions {
  signer: TestSigner;
  /** Rekor entry kind: intoto 0.0.1 (cosign < 2.2), dsse 0.0.1 (newer), or none. */
  tlog?: 'intoto' | 'dsse' | 'none';
  /** The (unsigned) `predicateType` layer annotation, when it should lie about the statement. */
  annotatedPredicateType?: string;
  logAt?: Date;
  /** Logs a key-signed attestation in this stand-in's Rekor (a keyless signer logs in its own). */
  logWith?: SigstoreStandIn;
}

/** `cosign attest` (legacy format): a `.att` layer holding the DSSE envelope. */
export async function attestImage(o: AttestOptions): Promise<void> {
  const k = await signingKey(o.signer);
  const host = o.registry.replace(/^[a-z]+:\/\//, '');
  const statement = inTotoStatement(o.digest, `${host}/${o.repo}`, o);
  const env = envelope(statement, k.privateKey);
  const annotations: Record<string, string> = { [SIGNATURE_ANNOTATION]: '', predicateType: o.annotatedPredicateType ?? o.predicateType };
  if (k.certificatePem) {
    annotations[CERTIFICATE_ANNOTATION] = k.certificatePem;
    annotations[CHAIN_ANNOTATION] = 'standIn' in o.signer ? o.signer.standIn.fulcioRootPem : '';
  }
  const logger = 'standIn' in o.signer ? o.signer.standIn : o.logWith;
  const tlog = o.tlog ?? (logger ? 'dsse' : 'none');
  if (tlog !== 'none') {
    if (!logger) throw new Error('attestImage: a transparency-log entry needs the stand-in (signer.standIn or logWith)');
    const body =
      tlog === 'intoto'
        ? { apiVersion: '0.0.1', kind: 'intoto', spec: { content: { hash: { algorithm: 'sha256', value: hex(env.json) }, payloadHash: { algorithm: 'sha256', value: hex(statement) } }, publicKey: b64(k.verifierPem) } }
        : { apiVersion: '0.0.1', kind: 'dsse', spec: { envelopeHash: { algorithm: 'sha256', value: hex(env.json) }, payloadHash: { algorithm: 'sha256', value: hex(statement) }, signatures: [{ signature: env.sig, verifier: b64(k.verifierPem) }] } };
    annotations[BUNDLE_ANNOTATION] = (await logger.log(body, o.logAt)).cosignBundle;
  }
  await appendLayer(o, `${o.digest.replace(':', '-')}.att`, env.json, DSSE_MEDIA_TYPE, annotations);
}

export interface BundleOptions extends StatementOptions {
  digest: string;
  /** The stand-in logs the entry (and issues the certificate unless `key` is given). */
  standIn: SigstoreStandIn;
  identity: IssueOptions;
  /** Sign with this key instead of a certificate (verificationMaterial.publicKey). */
  key?: TestKeyPair;
  /** Repository name for the statement subject. */
  name?: string;
}

/** A v0.3 Sigstore bundle (DSSE, certificate, Rekor dsse 0.0.1 with SET + proof), as cosign v3 writes. */
export async function makeDsseBundle(o: BundleOptions): Promise<Buffer> {
  const cert = o.key ? undefined : await o.standIn.issue(o.identity);
  const statement = inTotoStatement(o.digest, o.name ?? '', o);
  const env = envelope(statement, o.key?.privateKey ?? cert!.privateKey);
  const verifier = o.key?.publicKeyPem ?? cert!.certificatePem;
  const body = {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: { envelopeHash: { algorithm: 'sha256', value: hex(env.json) }, payloadHash: { algorithm: 'sha256', value: hex(statement) }, signatures: [{ signature: env.sig, verifier: b64(verifier) }] },
  };
  const logged = await o.standIn.log(body);
  const material = cert ? { certificate: { rawBytes: cert.certificateDer.toString('base64') } } : { publicKey: { hint: '' } };
  return Buffer.from(
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { ...material, tlogEntries: [logged.tlogEntry], timestampVerificationData: {} },
      dsseEnvelope: JSON.parse(env.json.toString('utf8')),
    }),
  );
}

export interface ReferrerOptions extends PushOptions {
  registry: string;
  repo: string;
  /** The signed manifest. */
  subject: { mediaType: string; digest: string; size: number };
  bundle: Buffer;
  predicateType: string;
}

/**
 * Pushes a bundle as an OCI 1.1 referrer (cosign WriteReferrer) and records it in the
 * `sha256-<hex>` referrers-tag index, for registries without the referrers API.
 */
export async function pushBundleReferrer(o: ReferrerOptions): Promise<string> {
  const empty = Buffer.from('{}');
  await pushBlob(o.registry, o.repo, empty, o);
  const layerDigest = await pushBlob(o.registry, o.repo, o.bundle, o);
  const annotations = { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': o.predicateType };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE_MEDIA_TYPE,
      config: { mediaType: EMPTY_CONFIG, size: 2, digest: sha256Digest(empty) },
      layers: [{ mediaType: BUNDLE_MEDIA_TYPE, size: o.bundle.length, digest: layerDigest }],
      subject: o.subject,
      annotations,
    }),
  );
  const digest = sha256Digest(manifest);
  await pushManifest(o.registry, o.repo, digest, manifest, OCI_MANIFEST, o);
  const tag = o.subject.digest.replace(':', '-');
  const index = await getManifest(o.registry, o.repo, tag, o);
  const manifests = [...((index?.json['manifests'] as unknown[] | undefined) ?? []), { mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: BUNDLE_MEDIA_TYPE, annotations }];
  await pushManifest(o.registry, o.repo, tag, { schemaVersion: 2, mediaType: OCI_INDEX, manifests }, OCI_INDEX, o);
  return digest;
}
