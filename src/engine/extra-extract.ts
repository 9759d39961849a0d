// Images that policies and the config extract besides the built-in ones: ImageValidatingPolicy
// `images[]` (CEL over an object), Kyverno `imageExtractors` (paths; judged by their rule only),
// and the config's `extractors:` for in-house custom resources (every policy judges those, and a
// rule on Pods covers them). Each becomes a use with the line where the value is written.

import { matchBindings } from '../policy/ivpol/load.js';
import { workloadFor, valuePosition } from '../manifests/extract.js';
import { extractByPaths, type PathExtractor } from '../manifests/path-extract.js';
import { ManifestError, type ImageUse, type ManifestObject } from '../manifests/types.js';
import { ruleKey, type CelRequirement, type Policy } from '../policy/model.js';
import { appliesTo, kindMatches } from '../policy/resources.js';

/** The config's `extractors:`: kind selector → paths (Kyverno's imageExtractors shape). */
export type ConfigExtractors = Record<string, PathExtractor[]>;

/** All the extractors in force, or undefined when there are none. */
export function extraExtractor(policies: readonly Policy[], config: ConfigExtractors = {}): Extractor | undefined {
  const kyverno = policies.flatMap((p) =>
    p.rules.flatMap((r) => (r.imageExtractors ?? []).map((x) => ({ ...x, onlyFor: ruleKey(p, r), owner: `the imageExtractors of policy ${p.name} (${r.file}, ${r.path}) for ${x.kind}` }))),
  );
  const fromConfig = Object.entries(config);
  const cel = celExtractor(policies);
  if (kyverno.length === 0 && fromConfig.length === 0 && !cel) return undefined;
  return (obj, known) => {
    const out: ImageUse[] = [];
    const fresh = (u: ImageUse) => ![...known, ...out].some((k) => k.image === u.image && k.path === u.path && k.onlyFor === u.onlyFor);
    const workload = workloadFor(obj.object);
    for (const x of kyverno) {
      if (!kindMatches(x.kind, workload)) continue;
      for (const u of extractEach(obj, x.extractors, workload, x.owner)) {
        if (fresh({ ...u, onlyFor: x.onlyFor })) out.push({ ...u, onlyFor: x.onlyFor });
      }
    }
    for (const [kind, extractors] of fromConfig) {
      if (!kindMatches(kind, workload)) continue;
      const w = { ...workload, createsPods: true };
      Object.defineProperty(w, 'object', { value: obj.object, enumerable: false });
      for (const u of extractEach(obj, extractors, w, `the config's extractors for ${kind}`)) if (fresh(u)) out.push(u);
    }
    if (cel) for (const u of cel(obj, [...known, ...out])) out.push(u);
    return out;
  };
}

export type Extractor = (obj: ManifestObject, known: readonly ImageUse[]) => ImageUse[];

/**
 * Each extractor's images in an object it applies to. One that finds none there is a manifest error
 * naming it: a path to the image strings themselves (Kyverno's `path` names the object holding
 * `value`), a misspelt segment, would otherwise leave the object's images unchecked.
 */
function extractEach(obj: ManifestObject, extractors: readonly PathExtractor[], workload: ImageUse['workload'], from: string): ImageUse[] {
  const out: ImageUse[] = [];
  for (const x of extractors) {
    const found = extractByPaths(obj, [x], workload);
    if (found.length === 0) {
      const name = `${workload.kind}${workload.name ? ` ${workload.name}` : ''}`;
      const shape = /\/(image|[\w-]*Image|ref)$/.test(x.path) && x.value === undefined ? ` (its path names the object holding the image, whose field \`value\` defaults to \`image\`: try ${x.path.replace(/\/[^/]+$/, '')})` : '';
      throw new ManifestError(`${from}: extractor "${x.name}" (path ${x.path}${x.value ? `, value ${x.value}` : ''}) applies to ${name} but finds no image in it${shape}; its images would go unchecked`, { file: obj.file, line: obj.line, column: obj.column });
    }
    out.push(...found);
  }
  return out;
}

/** An extractor for the policies' CEL `images[]`, or undefined when none has any. */
export function celExtractor(policies: readonly Policy[]): Extractor | undefined {
  const rules = policies.flatMap((p) => p.rules.filter((r) => r.requirement.kind === 'cel' && (r.requirement as CelRequirement).program.extractors.length > 0));
  if (rules.length === 0) return undefined;
  return (obj, known) => {
    const workload = workloadFor(obj.object);
    const out: ImageUse[] = [];
    for (const rule of rules) {
      if (!appliesTo(rule.resources, workload)) continue;
      const bindings = matchBindings(workload);
      for (const e of (rule.requirement as CelRequirement).program.extractors) {
        let images: unknown;
        try {
          images = e.expression.eval(bindings);
        } catch {
          continue; // an extractor that does not apply to this object (a missing field) extracts nothing
        }
        if (!Array.isArray(images)) continue;
        for (const image of images) {
          if (typeof image !== 'string' || known.some((u) => u.image === image) || out.some((u) => u.image === image && u.category === e.name)) continue;
          out.push({ ...valuePosition(obj, image), image, workload, container: e.name, field: 'extracted', category: e.name, path: `images.${e.name}` });
        }
      }
    }
    return out;
  };
}
