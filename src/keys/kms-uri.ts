// cosign's KMS key URIs (sigstore/sigstore pkg/signature/kms), parsed without I/O.
//   awskms://[ENDPOINT]/[KEY ID | alias/NAME | arn:aws:kms:REGION:ACCOUNT:key/ID]
//   gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/N]
//   azurekms://VAULT.vault.azure.net/KEY[/VERSION]   (or just the vault name)
//   hashivault://KEY                                 (VAULT_ADDR, VAULT_TOKEN)

import { KeyResolveError } from './errors.js';

export type KmsKey =
  | { provider: 'aws'; uri: string; endpoint?: string; keyId: string; region?: string }
  | { provider: 'gcp'; uri: string; keyName: string; version?: string }
  | { provider: 'azure'; uri: string; vaultUrl: string; keyName: string; version?: string }
  | { provider: 'vault'; uri: string; keyName: string };

const AWS_ARN = /^arn:aws[\w-]*:kms:([a-z0-9-]+):\d{12}:(?:key|alias)\/.+$/;
const AWS_ALIAS = /^alias\/[\w/:.-]+$/;
const AWS_KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GCP = /^projects\/([^/]+)\/locations\/([^/]+)\/keyRings\/([^/]+)\/cryptoKeys\/([^/]+)(?:\/(?:cryptoKeyVersions|versions)\/([^/]+))?$/;

export function parseKmsUri(uri: string): KmsKey {
  const bad = (why: string) => new KeyResolveError('KEY_BAD_URI', `invalid KMS URI ${uri}: ${why}`);
  const scheme = /^([a-z0-9]+):\/\/(.*)$/.exec(uri);
  if (!scheme) throw bad('expected awskms://, gcpkms://, azurekms:// or hashivault://');
  const [, kind, rest] = scheme as unknown as [string, string, string];
  switch (kind) {
    case 'awskms': {
      const slash = rest.indexOf('/');
      if (slash < 0) throw bad('expected awskms://[ENDPOINT]/KEY');
      const endpoint = rest.slice(0, slash);
      const keyId = rest.slice(slash + 1);
      const arn = AWS_ARN.exec(keyId);
      if (!arn && !AWS_ALIAS.test(keyId) && !AWS_KEY_ID.test(keyId)) throw bad('the key must be a key ID, alias/NAME or a KMS ARN');
      return { provider: 'aws', uri, keyId, ...(endpoint && { endpoint }), ...(arn && { region: arn[1] }) };
    }
    case 'gcpkms': {
      const m = GCP.exec(rest);
      if (!m) throw bad('expected gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/N]');
      const keyName = `projects/${m[1]}/locations/${m[2]}/keyRings/${m[3]}/cryptoKeys/${m[4]}`;
      return { provider: 'gcp', uri, keyName, ...(m[5] && { version: m[5] }) };
    }
    case 'azurekms': {
      const parts = rest.split('/');
      if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) throw bad('expected azurekms://VAULT/KEY[/VERSION]');
      const [vault, keyName, version] = parts as [string, string, string | undefined];
      // A bare vault name means the public cloud's vault domain.
      const host = vault.includes('.') ? vault : `${vault}.vault.azure.net`;
      return { provider: 'azure', uri, vaultUrl: `https://${host}`, keyName, ...(version && { version }) };
    }
    case 'hashivault': {
      if (!/^[\w.-]+$/.test(rest)) throw bad('expected hashivault://KEYNAME');
      return { provider: 'vault', uri, keyName: rest };
    }
    default:
      throw bad(`unknown scheme ${kind}://`);
  }
}
