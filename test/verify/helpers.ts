// Test helpers: containers/image `dir:` signature fixtures → SignatureLayer, and
// self-made signatures, keys and Rekor SETs.

import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { json } from '@sigstore/core';
import type { KeyRequirement } from '../../src/policy/model.js';
import { logIdOf } from '../../src/verify/trusted-root.js';
import type { SignatureLayer, TlogKey } from '../../src/verify/types.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = path.resolve(projectRoot, '../shared/fixtures');
export const cimageDir = path.join(fixturesDir, 'interop/containers-image');
export const haveFixtures = existsSync(cimageDir);
export const SKIP_FIXTURES = `shared fixtures not found at ../shared/fixtures (relative to the project root); skipping vector tests`;

const DIR_PREFIX = Buffer.concat([Buffer.from([0]), Buffer.from('sigstore-json\n')]);

/** One `signature-N` file of the `dir:` transport: 0x00, "sigstore-json\n", {mimeType, payload, annotations}. */
export function layerFromDirSignature(bytes: Buffer): SignatureLayer {
  if (!bytes.subarray(0, DIR_PREFIX.length).equals(DIR_PREFIX)) throw new Error('not a sigstore dir: signature');
  const doc = JSON.parse(bytes.subarray(DIR_PREFIX.length).toString('utf8')) as {
    mimeType: string;
    payload: string;
    annotations: Record<string, string>;
  };
  const payload = Buffer.from(doc.payload, 'base64');
  return { mediaType: doc.mimeType, payload, digest: sha256Digest(payload), annotations: doc.annotations ?? {} };
}

/** A `dir-img-*` fixture: the image digest (sha256 of manifest.json) and its signature layers. */
export function loadDirImage(name: string): { digest: string; layers: SignatureLayer[] } {
  const dir = path.join(cimageDir, name);
  const files = readdirSync(dir)
    .filter((f) => /^signature-\d+$/.test(f))
    .sort((a, b) => Number(a.slice(10)) - Number(b.slice(10)));
  return {
    digest: sha256Digest(readFileSync(path.join(dir, 'manifest.json'))),
    layers: files.map((f) => layerFromDirSignature(readFileSync(path.join(dir, f)))),
  };
}

export function readFixture(name: string): string {
  return readFileSync(path.join(cimageDir, name), 'utf8');
}

export function sha256Digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function requirement(over: Partial<KeyRequirement> & { keys: string[] }): KeyRequirement {
  return { kind: 'key', path: 'spec.authorities[0]', line: 1, hashAlgorithm: 'sha256', annotations: {}, tlog: 'ignore', ...over };
}

export const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** cosign's payload bytes, Go json.Marshal order. */
export function payloadFor(digest: string, optional: Record<string, unknown> | null = null): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': 'registry.example/app' },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional,
    }),
  );
}

export function pemOf(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

export function ecKeyPair(curve = 'P-256') {
  return generateKeyPairSync('ec', { namedCurve: curve });
}

export function layerOf(payload: Buffer, signature: Uint8Array, extra: Record<string, string> = {}): SignatureLayer {
  return {
    mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
    payload,
    digest: sha256Digest(payload),
    annotations: { 'dev.cosignproject.cosign/signature': Buffer.from(signature).toString('base64'), ...extra },
  };
}

/** A signed layer by a fresh P-256 key, the common case. */
export function signedLayer(digest = DIGEST, optional: Record<string, unknown> | null = null) {
  const pair = ecKeyPair();
  const payload = payloadFor(digest, optional);
  const signature = sign('sha256', payload, pair.privateKey);
  return { pair, payload, signature, layer: layerOf(payload, signature), pem: pemOf(pair.publicKey) };
}

/** A hashedrekord 0.0.1 body as cosign uploads it. */
export function hashedRekordBody(payload: Uint8Array, signature: Uint8Array, publicKeyPem: string): object {
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') } },
      signature: {
        content: Buffer.from(signature).toString('base64'),
        publicKey: { content: Buffer.from(publicKeyPem).toString('base64') },
      },
    },
  };
}

/** A fake Rekor: signs SETs the way rekor.sigstore.dev does. */
export function fakeRekor() {
  const pair = ecKeyPair();
  const tlog: TlogKey = { logId: logIdOf(pair.publicKey), publicKey: pair.publicKey };
  const bundle = (body: object, integratedTime = 1_700_000_000, logIndex = 42): string => {
    const Payload = {
      body: Buffer.from(JSON.stringify(body)).toString('base64'),
      integratedTime,
      logIndex,
      logID: tlog.logId,
    };
    const set = sign('sha256', Buffer.from(json.canonicalize(Payload)), pair.privateKey);
    return JSON.stringify({ SignedEntryTimestamp: set.toString('base64'), Payload });
  };
  return { pair, tlog, pem: pemOf(pair.publicKey), bundle };
}
