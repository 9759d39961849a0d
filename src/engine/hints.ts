// What a deployer can do about a blocked image, derived from its verdicts (pure). Each hint is
// one line; an image gets at most one per kind of problem.

import { PLACEHOLDER_MARK } from '../policy/model.js';
import type { ImageResult } from './result.js';

export function hintsFor(image: Readonly<ImageResult>, policyFiles: readonly string[]): string[] {
  const hints = new Set<string>();
  const target = image.digest ? `${repositoryOf(image.normalized)}@${image.digest}` : image.normalized;
  if (image.status === 'unmatched') {
    const where = policyFiles.length > 0 ? ` (${policyFiles.slice(0, 3).join(', ')}${policyFiles.length > 3 ? ', …' : ''})` : '';
    hints.add(`no policy covers this image: add its repository to a policy's images${where}, or skip it there on purpose`);
  }
  for (const p of image.policies) {
    if (p.status !== 'fail' && p.status !== 'error' && p.status !== 'warn') continue;
    const text = p.reasons.join('\n');
    const trusted = `with the key or identity ${p.file}:${p.line} trusts`;
    if (/no signatures? found|no cosign signature/.test(text)) hints.add(`sign it ${trusted}: cosign sign --key <key> ${target}`);
    else if (/signature is for another image/.test(text)) hints.add(`the signature belongs to another build: sign this digest ${trusted}: cosign sign --key <key> ${target}`);
    if (/no signature is associated with/.test(text)) hints.add(`sign it with Notation ${trusted}: notation sign --key <key> ${target}`);
    if (/no attestation|no matching attestations|no .*attestation.* found/i.test(text)) hints.add(`attest it ${trusted}: cosign attest --key <key> --type <predicate type> --predicate <file> ${target}`);
    if (/access denied \(40[13]\)/.test(text)) hints.add(`give this run pull access to ${registryOf(image.normalized)}: docker login, or a pull secret (a Kyverno policy's imageRegistryCredentials.secrets or credentials.secrets are read only with --cluster)`);
    if (/timed out after .*--timeout/.test(text)) hints.add('the registry was too slow for the deadline: check it, or raise --timeout');
    if (/offline: no cached/.test(text)) hints.add('run once with the network (without --offline) to record a verdict for it');
    if (/no namePattern of spec\.verification\.images matches/.test(text)) hints.add(`cover it in ${p.file}: a namePattern for ${repositoryOf(image.normalized)} with the keys that sign it (TAP denies images no pattern matches)`);
    if (/namespaceSelector: whether (Enforce|Audit) applies/.test(text)) {
      // Not a missing feature: only the cluster knows the namespace's labels. A passing image passes in either mode.
      hints.add(`whether ${p.policy} enforces in this namespace depends on the namespace's labels, which only the cluster knows: make the image pass the policy (sign it as it asks), and it passes in either mode`);
    } else if (text.includes(PLACEHOLDER_MARK)) {
      hints.add(`fix the key, certificate or trusted root at the file:line named above (a template placeholder left in?): no image this rule covers can pass until it parses`);
    } else if (/unsupported: /.test(text)) hints.add('this policy uses a feature the tool cannot evaluate yet (see the README support tables); the image is blocked rather than passed');
  }
  return [...hints];
}

function repositoryOf(normalized: string): string {
  const at = normalized.indexOf('@');
  const name = at >= 0 ? normalized.slice(0, at) : normalized;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

function registryOf(normalized: string): string {
  return normalized.split('/')[0] ?? normalized;
}
