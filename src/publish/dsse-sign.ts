// A DSSE envelope over an in-toto statement, as `cosign attest --key` writes it: the PAE signed by the
// key (local or KMS, see signing-key.ts).

import { dsse } from '@sigstore/core';

export const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';


export async function signStatement(statement: object, sign: (data: Uint8Array) => Promise<Buffer>): Promise<{ envelope: Buffer; json: object }> {
  const payload = Buffer.from(JSON.stringify(statement));
  const sig = (await sign(dsse.preAuthEncoding(IN_TOTO_PAYLOAD, payload))).toString('base64');
  const json = { payloadType: IN_TOTO_PAYLOAD, payload: payload.toString('base64'), signatures: [{ keyid: '', sig }] };
  return { envelope: Buffer.from(JSON.stringify(json)), json };
}
