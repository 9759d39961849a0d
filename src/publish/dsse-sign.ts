// A DSSE envelope over an in-toto statement, as `cosign attest --key` writes it: the PAE signed by the
// key (local or KMS, see signing-key.ts).

export const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';

/** DSSE v1 pre-authentication encoding. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

export async function signStatement(statement: object, sign: (data: Uint8Array) => Promise<Buffer>): Promise<{ envelope: Buffer; json: object }> {
  const payload = Buffer.from(JSON.stringify(statement));
  const sig = (await sign(pae(IN_TOTO_PAYLOAD, payload))).toString('base64');
  const json = { payloadType: IN_TOTO_PAYLOAD, payload: payload.toString('base64'), signatures: [{ keyid: '', sig }] };
  return { envelope: Buffer.from(JSON.stringify(json)), json };
}
