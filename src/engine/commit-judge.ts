// The revision as a subject: when the run verifies a fetched revision (--repo/--revision, the
// hooks) and an AppProject, a GitRepository or the run's own --gpg-keys/--allowed-signers ask for
// signed commits, the commit (and the tag it was fetched by) is judged and reported like an
// image (kind `commit`). Rules come from the policy files and from objects among the inputs.

import path from 'node:path';
import { redactUrl, type Checkout } from '../sources/git.js';
import { createKeyring, readGpgKeys, type Keyring, type PublicKeyFile } from '../git/keyring.js';
import { findSecret, type SecretObject } from '../manifests/secrets.js';
import { signatureReader } from '../git/signatures.js';
import type { CommitRule, Policy } from '../policy/model.js';
import { argoKeyId, RESULT_WORDS, type RevisionSignature } from '../verify/commit/parse.js';
import type { ImageResult, PolicyVerdict } from './result.js';
import { worst } from './result.js';

/** The revision a run verifies: the checkout sources/git.ts made (or one like it). */
export type Revision = Pick<Checkout, 'dir' | 'commit' | 'repo' | 'revision' | 'tag' | 'deepen'>;

/** The run's own keys (`--gpg-keys DIR|FILE`, `--allowed-signers FILE`). */
export interface CommitKeyFlags {
  gpgKeys?: string;
  allowedSigners?: string;
}


const MAX_PROBLEMS = 10;

/** Whether any policy asks for signed commits (or the flags do). */
export function wantsCommits(policies: readonly Policy[], flags: CommitKeyFlags): boolean {
  return policies.some((p) => (p.commitRules?.length ?? 0) > 0) || Boolean(flags.gpgKeys || flags.allowedSigners);
}

export async function judgeRevision(rev: Revision, policies: readonly Policy[], secrets: readonly SecretObject[], flags: CommitKeyFlags): Promise<ImageResult | undefined> {
  const selected = selectRules(rev.repo, policies);
  // The run's own keys ask by themselves only where no policy speaks of commits (else they are the policies' keyring).
  if (selected.length === 0 && !policies.some((p) => (p.commitRules?.length ?? 0) > 0) && (flags.gpgKeys || flags.allowedSigners)) {
    const given = [flags.gpgKeys && `--gpg-keys ${flags.gpgKeys}`, flags.allowedSigners && `--allowed-signers ${flags.allowedSigners}`].filter(Boolean).join(' ');
    selected.push({ policy: given, rule: { file: flags.gpgKeys ?? flags.allowedSigners!, line: 1, path: 'flags', repos: { globs: ['*'] }, engine: 'flags', mode: 'HEAD' } });
  }
  if (selected.length === 0) return undefined;
  const verdicts: PolicyVerdict[] = [];
  for (const s of selected) verdicts.push(await judgeRule(rev, s, secrets, flags));
  const name = `${rev.repo}@${rev.commit.slice(0, 12)}`;
  return {
    kind: 'commit',
    image: name,
    normalized: `${rev.repo}@${rev.commit}`,
    status: worst(verdicts.map((v) => v.status)),
    policies: verdicts,
    uses: [],
    ...(verdicts.some((v) => v.status === 'fail') && { hints: [hint(verdicts)] }),
  };
}

interface Selected {
  policy: string;
  rule: CommitRule;
  /** Argo CD: more than one policy of the project matches (it refuses to verify). */
  ambiguous?: number;
}

/** Argo CD: one policy per project whose globs match (a `!` glob excludes); Flux: the GitRepository fetching this URL. */
export function selectRules(repo: string, policies: readonly Policy[]): Selected[] {
  const out: Selected[] = [];
  for (const p of policies) {
    const rules = (p.commitRules ?? []).filter((r) => repoMatches(r, repo));
    if (rules.length === 0) continue;
    if (p.format === 'argocd' && rules.length > 1) out.push({ policy: p.name, rule: rules[1]!, ambiguous: rules.length });
    else out.push(...rules.map((rule) => ({ policy: p.name, rule })));
  }
  return out;
}

function repoMatches(rule: CommitRule, repo: string): boolean {
  if ('url' in rule.repos) return sameRepository(rule.repos.url, repo);
  let include = false;
  for (const g of rule.repos.globs) {
    if (g.startsWith('!')) {
      if (globMatch(g.slice(1), repo)) return false;
    } else if (globMatch(g, repo)) include = true;
  }
  return include;
}

/**
 * gobwas/glob without separators (Argo CD util/glob): `*` any run, `?` one character, `[abc]`,
 * `[!abc]`, `[a-z]`, `{a,b}` (nested), `\\x` a literal x. A pattern that does not compile matches
 * nothing, as Argo CD's glob.Match returns false on a compile error.
 */
export function globMatch(pattern: string, text: string): boolean {
  let re = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += escapeRegExp(pattern[++i]!);
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '{') {
      depth++;
      re += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (c === ',' && depth > 0) re += '|';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return false;
      const body = pattern.slice(i + 1, end);
      const negated = body.startsWith('!');
      re += `[${negated ? '^' : ''}${(negated ? body.slice(1) : body).replace(/[\\^]/g, '\\$&')}]`;
      i = end;
    } else re += escapeRegExp(c);
  }
  if (depth !== 0) return false;
  try {
    return new RegExp(`^${re}$`, 's').test(text);
  } catch {
    return false;
  }
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The same repository however written: credentials, a trailing `/` or `.git` aside. */
export function sameRepository(a: string, b: string): boolean {
  const norm = (u: string) => redactUrl(u.trim()).replace(/\/+$/, '').replace(/\.git$/, '').toLowerCase();
  return norm(a) === norm(b);
}

async function judgeRule(rev: Revision, s: Selected, secrets: readonly SecretObject[], flags: CommitKeyFlags): Promise<PolicyVerdict> {
  const { rule } = s;
  const base = { policy: s.policy, file: rule.file, line: rule.line, rule: rule.path, mode: 'enforce' as const, onError: 'block' as const };
  if (s.ambiguous) return { ...base, status: 'error', reasons: [`${s.ambiguous} git source integrity policies of this project match ${rev.repo}: Argo CD refuses to verify (one policy per repository)`] };
  if (rule.none) return { ...base, status: 'pass', reasons: [`gpg mode none: ${rev.repo} is not verified (Argo CD accepts any commit)`] };
  let keys: { pgp: PublicKeyFile[]; ssh: { allowedSigners?: string; authorizedKeys?: PublicKeyFile[] }; note?: string };
  try {
    keys = await keysFor(rule, secrets, flags);
  } catch (err) {
    return { ...base, status: 'error', reasons: [(err as Error).message] };
  }
  let keyring: Keyring | undefined;
  try {
    keyring = await createKeyring(keys.pgp, keys.ssh);
    const reader = signatureReader(rev.dir, keyring);
    const checked: RevisionSignature[] = [];
    const problems: string[] = [];
    const needTag = rule.mode === 'Tag' || rule.mode === 'TagAndHEAD';
    if (needTag && !rev.tag) problems.push(`${rev.revision} is not an annotated tag: mode ${rule.mode} verifies the tag object's signature, so the revision must name a signed tag (Flux: "cannot verify tag object's signature if a tag reference is not specified")`);
    // Argo CD: an annotated tag revision is verified by its tag (head), and with the history (strict).
    const tagged = rev.tag && (rule.engine === 'argocd' || needTag);
    if (tagged) checked.push(await reader.tag(rev.tag!.object, rev.tag!.name));
    const commits = rule.engine === 'argocd' ? rule.mode === 'strict' || !rev.tag : rule.mode !== 'Tag';
    if (commits) {
      if (rule.mode === 'strict') await rev.deepen();
      checked.push(...(await reader.commits(rev.commit, rule.mode === 'strict')));
    }
    const seenKeys = new Set<string>();
    for (const sig of checked) {
      const problem = problemOf(rule, sig, keyring);
      if (!problem) continue;
      // Argo CD reports an unallowed key once, whatever number of commits it signed.
      if (sig.keyId && sig.result === 'G') {
        if (seenKeys.has(sig.keyId)) continue;
        seenKeys.add(sig.keyId);
      }
      problems.push(problem);
      if (problems.length >= MAX_PROBLEMS) break;
    }
    const notes = keys.note ? [keys.note] : [];
    if (problems.length > 0) return { ...base, status: 'fail', reasons: [...problems, ...notes] };
    const signers = [...new Set(checked.map((c) => `${c.keyId ?? '?'} (${c.who})`))];
    const what = checked.length === 1 ? `${checked[0]!.object} ${short(checked[0]!.revision)}` : `${checked.length} signatures (${checked.filter((c) => c.object === 'tag').length} tag, ${checked.filter((c) => c.object === 'commit').length} commits)`;
    return { ...base, status: 'pass', reasons: [`${what}: good signature by an allowed key`, ...notes], signers };
  } catch (err) {
    return { ...base, status: 'error', reasons: [`cannot read the signatures of ${rev.repo} at ${rev.revision}: ${(err as Error).message}`] };
  } finally {
    await keyring?.cleanup();
  }
}

function short(revision: string): string {
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 12) : revision;
}

/** Why one signature does not satisfy the rule (Argo CD gpgProblemMessage; Flux: any key of the Secret). */
function problemOf(rule: CommitRule, sig: RevisionSignature, keyring: Keyring): string | undefined {
  const at = `${sig.object} ${short(sig.revision)} by '${sig.who}'`;
  if (sig.unread === 'ssh') {
    return `${at}: signed with an SSH key, which ${rule.engine === 'argocd' ? 'Argo CD does not verify (GnuPG only)' : 'no allowed signer here can check (give the key in the Secret as *.sshpub, or --allowed-signers)'}`;
  }
  if (sig.unread === 'x509') return `${at}: signed with an X.509 certificate (gitsign or S/MIME), which this tool does not verify yet${rule.engine === 'flux' ? ' (nor does Flux)' : rule.engine === 'argocd' ? ' (nor does Argo CD)' : ''}`;
  if (sig.result !== 'G') return `${at}: ${RESULT_WORDS[sig.result]}${sig.keyId ? ` (key_id=${sig.keyId})` : ''}`;
  if (rule.engine !== 'argocd') return undefined;
  const allowed = (rule.keyIds ?? []).map(argoKeyId);
  if (sig.keyId && allowed.includes(sig.keyId)) return undefined;
  const primary = sig.primary ?? (sig.keyId ? keyring.primaries.get(sig.keyId.toUpperCase()) : undefined);
  if (primary && allowed.includes(argoKeyId(primary))) return undefined;
  const lower = allowed.some((k) => k !== k.toUpperCase() && k.toUpperCase() === sig.keyId);
  return `${at}: signed with a key the project does not allow (key_id=${sig.keyId ?? '?'}; allowed: ${allowed.join(', ') || 'none'})${lower ? '; Argo CD compares key IDs as written: write them in upper case' : ''}`;
}

async function keysFor(rule: CommitRule, secrets: readonly SecretObject[], flags: CommitKeyFlags): Promise<{ pgp: PublicKeyFile[]; ssh: { allowedSigners?: string; authorizedKeys?: PublicKeyFile[] }; note?: string }> {
  const fromFlags = async () => ({ pgp: flags.gpgKeys ? await readGpgKeys(flags.gpgKeys) : [], ssh: flags.allowedSigners ? { allowedSigners: path.resolve(flags.allowedSigners) } : {} });
  if (rule.engine === 'argocd') {
    // Argo CD's keyring (argocd-gpg-keys-cm) is not in an AppProject: it comes from --gpg-keys.
    return { pgp: flags.gpgKeys ? await readGpgKeys(flags.gpgKeys) : [], ssh: {}, ...(!flags.gpgKeys && { note: 'no --gpg-keys given: Argo CD\'s keyring (the argocd-gpg-keys-cm ConfigMap) is empty here, so no signature can be checked' }) };
  }
  if (rule.engine === 'flags') return fromFlags();
  const ref = rule.secret!;
  const secret = findSecret(secrets, ref);
  if (!secret) {
    if (flags.gpgKeys || flags.allowedSigners) return { ...(await fromFlags()), note: `the Secret ${ref.namespace}/${ref.name} is not in the repository or the policy files: the keys of --gpg-keys/--allowed-signers stand for it` };
    throw new Error(`the Secret ${ref.namespace}/${ref.name} named by spec.verify.secretRef is not in the repository or the policy files: give its public keys with --gpg-keys DIR (OpenPGP) or --allowed-signers FILE (SSH)`);
  }
  const pgp: PublicKeyFile[] = [];
  const authorizedKeys: PublicKeyFile[] = [];
  for (const [k, v] of secret.data) (k.endsWith('.sshpub') ? authorizedKeys : pgp).push({ name: `Secret ${ref.namespace}/${ref.name} ${k} (${secret.file})`, data: v });
  return { pgp, ssh: { authorizedKeys } };
}



function hint(verdicts: readonly PolicyVerdict[]): string {
  return verdicts.some((v) => v.reasons.some((r) => /not signed/.test(r)))
    ? 'sign the commit (git commit -S, or git commit --amend -S) with a key the policy allows, or for Argo CD strict mode add a signed seal commit (git commit -S --trailer "Argocd-gpg-seal: <why>")'
    : 'sign with a key the policy allows, or add the signer\'s key ID to the policy (and its public key to --gpg-keys / the Secret)';
}

