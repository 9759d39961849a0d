// Reads the signatures of a checked-out revision with git, against a keyring (git/keyring.ts),
// the way Argo CD's repo-server does: one record per commit (with its seal-commit walk for
// `strict`), verify-tag for an annotated tag.

import { execFile } from 'node:child_process';
import type { Keyring } from './keyring.js';
import { parseRevList, parseVerifyTag, REV_LIST_FORMAT, signatureKind, type RevisionSignature } from '../verify/commit/parse.js';

export interface SignatureReader {
  /** The commit alone, or (`history`) it and every ancestor down to signed `Argocd-gpg-seal:` commits. */
  commits(commit: string, history: boolean): Promise<RevisionSignature[]>;
  /** The annotated tag object `name` (as fetched: FETCH_HEAD's object) and its signature. */
  tag(object: string, name: string): Promise<RevisionSignature>;
}

export function signatureReader(dir: string, keyring: Keyring, env: NodeJS.ProcessEnv = process.env): SignatureReader {
  const git = (args: string[]) =>
    new Promise<{ stdout: string; stderr: string; code: number }>((resolve, reject) => {
      const config = keyring.allowedSigners ? ['-c', `gpg.ssh.allowedSignersFile=${keyring.allowedSigners}`] : [];
      execFile('git', [...config, ...args], { cwd: dir, env: { ...env, GNUPGHOME: keyring.home, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        if (err && typeof (err as { code?: unknown }).code !== 'number') reject(err);
        else resolve({ stdout: String(stdout), stderr: String(stderr), code });
      });
    });
  const ok = async (args: string[]) => {
    const r = await git(args);
    if (r.code !== 0) throw new Error(`git ${args[0]}: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.code}`}`);
    return r.stdout;
  };
  return {
    async commits(commit, history) {
      let filter = [commit, '-1', '--'];
      if (history) {
        // Seal commits with a good signature stop the walk (util/git/client.go getSealRevListFilter).
        const seals = (await ok(['log', '--pretty=format:%G?,%H', '--grep=Argocd-gpg-seal:', '--regexp-ignore-case', commit]))
          .split('\n')
          .filter((l) => l.startsWith('G,'))
          .map((l) => l.slice(2));
        if (seals.length === 0) filter = [commit, '--'];
        else if (seals[0] === commit) filter = [commit, '-1', '--'];
        else filter = ['--boundary', commit, '--not', ...seals];
      }
      // `git log`, not rev-list as Argo CD runs it: rev-list does not read gpg.ssh.* (SSH signatures read as unsigned); same records otherwise.
      const found = parseRevList(await ok(['log', `--pretty=format:${REV_LIST_FORMAT}`, ...filter]));
      // git reads as unsigned what it has no verifier for (an SSH signature without allowed signers, gitsign's X.509): say which.
      for (const sig of found) {
        if (sig.result === 'G') continue;
        const kind = signatureKind(await ok(['cat-file', 'commit', sig.revision]));
        if (kind === 'x509' || (kind === 'ssh' && sig.result === 'N')) sig.unread = kind;
      }
      return found;
    },
    async tag(object, name) {
      const who = (await ok(['cat-file', '-p', object])).match(/^tagger (.*?) \d+ [+-]\d{4}$/m)?.[1] ?? '';
      const r = await git(['verify-tag', '--raw', object]);
      const sig = parseVerifyTag(name, `${r.stderr}\n${r.stdout}`, who);
      if (sig.result === 'N') {
        const kind = signatureKind(await ok(['cat-file', 'tag', object]));
        if (kind === 'ssh' || kind === 'x509') sig.unread = kind;
      }
      return sig;
    },
  };
}
