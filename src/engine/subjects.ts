// The subjects besides images that the manifests hold, gathered while they are read: objects a
// signed-manifest rule judges (kept whole, only those), OCI sources found across objects (a
// HelmChart names its HelmRepository), and with a fetched revision the AppProjects,
// GitRepositories and Secrets that ask for (and key) signed commits. Pure: judging is elsewhere.

import { ociSources, isSourceObject, type ReadObject } from '../manifests/oci-sources.js';
import { secretOf, type SecretObject } from '../manifests/secrets.js';
import { ManifestError, type ImageUse, type ManifestObject } from '../manifests/types.js';
import type { SourceText } from '../sources/files.js';
import { parseReference } from '../images/reference.js';
import type { Policy } from '../policy/model.js';
import { load as loadAppProject } from '../policy/argocd/load.js';
import { load as loadGitRepository } from '../policy/flux/load.js';
import { fluxVerifyPolicy } from '../policy/flux/verify.js';
import { hasManifestRules, judgedObject, objectSubject, type ObjectSubject } from './manifest-judge.js';

// A text can hold such an object only if it writes the kind (YAML or JSON): else the fast parallel reader is kept.
const kindsIn = (kinds: string) => new RegExp(`["']?kind["']?\\s*:\\s*["']?(${kinds})\\b`);
const SOURCE_KINDS = kindsIn('Application|OCIRepository|HelmRepository|HelmChart|HelmRelease|WasmPlugin|Secret');
const REVISION_KINDS = kindsIn('AppProject|GitRepository|Secret|Application|OCIRepository|HelmRepository|HelmChart|HelmRelease|WasmPlugin');

export interface Subjects {
  /** Objects the signed-manifest rules judge. */
  objects: ObjectSubject[];
  /** OCI sources as image uses (`subject: 'source'`), each reference checked. */
  sourceUses: ImageUse[];
  /** Flux `spec.verify` of those sources, as rules for their objects. */
  fluxPolicies: Policy[];
  /** The policies' commit rules with those of AppProjects/GitRepositories among the inputs (one each). */
  commitPolicies: Policy[];
  secrets: SecretObject[];
  /** What is not verified, and why: said on stderr. */
  notes: string[];
}

export interface SubjectCollector {
  onObject(obj: ManifestObject, file: string, source: SourceText): void;
  /** Texts that can hold an object onObject wants (absent: every text). */
  onObjectIn?: RegExp;
  finish(): Subjects;
}

export function subjectCollector(policies: readonly Policy[], policySecrets: readonly SecretObject[], opts: { revision: boolean; defaultNamespace?: string }): SubjectCollector {
  const manifestRules = hasManifestRules(policies);
  const objects: ObjectSubject[] = [];
  const reads: ReadObject[] = [];
  const commitPolicies: Policy[] = [];
  const secrets: SecretObject[] = [...policySecrets];
  return {
    onObject(obj, file, source) {
      const kind = obj.object.kind;
      if (isSourceObject(obj.object)) reads.push({ obj, file, source });
      if (kind === 'Secret') {
        const secret = secretOf(obj.object, file, opts.defaultNamespace);
        if (secret) secrets.push(secret);
      } else if (opts.revision && (kind === 'AppProject' || kind === 'GitRepository')) {
        // Positions at the object: these are manifests, not policy files read field by field.
        const doc = { file, line: obj.line, value: obj.object, lineOf: () => obj.line };
        const policy = kind === 'AppProject' ? loadAppProject(doc) : loadGitRepository(doc);
        if (policy?.commitRules?.length) commitPolicies.push(policy);
      }
      if (!manifestRules) return;
      const subject = objectSubject(obj, file, source, opts.defaultNamespace);
      if (judgedObject(policies, subject.workload)) objects.push(subject);
    },
    ...(!manifestRules && { onObjectIn: opts.revision ? REVISION_KINDS : SOURCE_KINDS }),
    finish() {
      const oci = ociSources(reads, opts.defaultNamespace);
      for (const use of oci.uses) {
        try {
          parseReference(use.image);
        } catch (err) {
          throw new ManifestError(`${use.workload.kind} ${use.workload.name ?? ''}: ${use.path}: ${(err as Error).message}`, { file: use.file, line: use.line, column: use.column });
        }
      }
      // An AppProject both among the policy files and the inputs is one policy.
      const all = [...policies, ...commitPolicies].filter((p) => (p.commitRules?.length ?? 0) > 0);
      return {
        objects,
        sourceUses: oci.uses,
        fluxPolicies: oci.verifies.map((v) => fluxVerifyPolicy(v, secrets)),
        commitPolicies: [...new Map(all.map((p) => [`${p.file}:${p.line}:${p.name}`, p])).values()],
        secrets,
        notes: oci.notes,
      };
    },
  };
}
