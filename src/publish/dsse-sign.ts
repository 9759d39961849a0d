// A DSSE envelope over an in-toto statement, as `cosign attest --key` writes it: PAE signed with the
// key's usual scheme (ECDSA/RSA over SHA-256, Ed25519 pure).

import { sign, type KeyObject } from 'node:crypto';

export const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';

/** DSSE v1 pre-authentication encoding. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

export function signStatement(statement: object, key: KeyObject): { envelope: Buffer; json: object } {
  const payload = Buffer.from(JSON.stringify(statement));
  const algorithm = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  const sig = sign(algorithm, pae(IN_TOTO_PAYLOAD, payload), key).toString('base64');
  const json = { payloadType: IN_TOTO_PAYLOAD, payload: payload.toString('base64'), signatures: [{ keyid: '', sig }] };
  return { envelope: Buffer.from(JSON.stringify(json)), json };
}
