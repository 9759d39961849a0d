// What git says about signatures, read as Argo CD reads it (util/git/client.go): `git rev-list
// --pretty=format:%H,%G?,%GK,…` for commits and `git verify-tag --raw` for annotated tags. Pure.

/** git's one-letter verdict (git-rev-list(1) %G?): Good, Bad, Untrusted, eXpired signature, expired keY, Revoked key, missing key (E), No signature. */
export type SignatureResult = 'G' | 'B' | 'U' | 'X' | 'Y' | 'R' | 'E' | 'N';

export interface RevisionSignature {
  /** A commit SHA, or the tag name for a tag. */
  revision: string;
  object: 'commit' | 'tag';
  result: SignatureResult;
  /** The signing key: a 16-hex OpenPGP key ID (a subkey's when a subkey signed), or an SSH key's SHA256 fingerprint. */
  keyId?: string;
  /** OpenPGP: the primary key's fingerprint. */
  primary?: string;
  /** `Name <email>` of the author (commit) or tagger (tag). */
  who: string;
  /** For a signature git could not read (N): what kind it is, when there is one (an SSH or X.509/gitsign signature). */
  unread?: 'ssh' | 'x509';
}

export const RESULT_WORDS: Record<SignatureResult, string> = {
  G: 'good signature',
  B: 'bad signature',
  U: 'good signature from a key of unknown validity',
  X: 'expired signature',
  Y: 'signature by an expired key',
  R: 'signature by a revoked key',
  E: 'signature that cannot be checked: its public key is not among the keys trusted here (--gpg-keys, the Secret)',
  N: 'not signed',
};

/** The format given to rev-list: one record per line, fields separated by NUL (names may hold commas). */
export const REV_LIST_FORMAT = '%H%x00%G?%x00%GK%x00%GP%x00%an <%ae>';

export function parseRevList(text: string): RevisionSignature[] {
  return text
    .split('\n')
    .filter((l) => l.includes('\0'))
    .map((line) => {
      const [revision, result, keyId, primary, who] = line.split('\0');
      if (!revision || !/^[BGUXYREN]$/.test(result ?? '')) throw new Error(`unexpected git rev-list output: ${JSON.stringify(line.slice(0, 200))}`);
      return {
        revision: revision.replace(/^-/, ''),
        object: 'commit' as const,
        result: result as SignatureResult,
        ...(keyId && { keyId }),
        ...(primary && { primary }),
        who: who ?? '',
      };
    });
}

const STATUS: Record<string, SignatureResult> = { GOODSIG: 'G', BADSIG: 'B', EXPSIG: 'X', EXPKEYSIG: 'Y', REVKEYSIG: 'R', ERRSIG: 'E' };

/** `git verify-tag --raw` (GnuPG status lines on stderr); `no signature found` is an unsigned tag. */
export function parseVerifyTag(tag: string, output: string, who: string): RevisionSignature {
  if (/error: no signature found/.test(output)) return { revision: tag, object: 'tag', result: 'N', who };
  for (const line of output.split('\n')) {
    const m = /^\[GNUPG:\] (GOODSIG|BADSIG|EXPSIG|EXPKEYSIG|REVKEYSIG|ERRSIG) ([0-9A-F]+) /.exec(line);
    if (!m) continue;
    const valid = /^\[GNUPG:\] VALIDSIG (?:\S+ ){9}([0-9A-F]{40})/m.exec(output);
    return { revision: tag, object: 'tag', result: STATUS[m[1]!]!, keyId: m[2]!, ...(valid && { primary: valid[1]! }), who };
  }
  // SSH-signed tags: git prints its own verdict.
  const ssh = /Good "git" signature for .* with \S+ key (SHA256:\S+)/.exec(output);
  if (ssh) return { revision: tag, object: 'tag', result: 'G', keyId: ssh[1]!, who };
  if (/BEGIN SSH SIGNATURE|ssh signature|allowedSignersFile/i.test(output)) return { revision: tag, object: 'tag', result: /No principal matched|Could not verify/i.test(output) ? 'U' : 'B', who };
  throw new Error(`unexpected git verify-tag output: ${JSON.stringify(output.trim().slice(0, 300))}`);
}

/** gpg --list-keys --with-colons: each key and subkey's long ID → its primary key's fingerprint. */
export function primaryKeys(colons: string): Map<string, string> {
  const out = new Map<string, string>();
  let primary: string | undefined;
  let pending: string | undefined;
  for (const line of colons.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub' || f[0] === 'sub') pending = f[4];
    if (f[0] === 'pub') primary = undefined;
    if (f[0] === 'fpr' && pending) {
      const fpr = f[9]!;
      primary ??= fpr;
      out.set(pending.toUpperCase(), primary);
      pending = undefined;
    }
  }
  return out;
}

/** Argo CD KeyID(): a 40-hex fingerprint stands for its last 16; a 16-hex ID for itself (compared as written). */
export function argoKeyId(k: string): string {
  return k.length === 40 ? k.slice(24) : k;
}

/** The kind of signature a raw commit or tag object carries (its `gpgsig` header or trailing block). */
export function signatureKind(raw: string): 'openpgp' | 'ssh' | 'x509' | undefined {
  if (/-----BEGIN SSH SIGNATURE-----/.test(raw)) return 'ssh';
  if (/-----BEGIN (SIGNED MESSAGE|PKCS7)-----/.test(raw)) return 'x509';
  if (/-----BEGIN PGP SIGNATURE-----/.test(raw)) return 'openpgp';
  return undefined;
}
