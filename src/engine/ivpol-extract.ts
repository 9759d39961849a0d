// ImageValidatingPolicy `images[]` extractors: CEL over an object giving image strings, for the
// kinds the policy matches (custom resources too). Their images become uses like any other,
// with the extractor's name as category and the line where the value is written.

import { matchBindings } from '../policy/ivpol/load.js';
import { workloadFor, valuePosition } from '../manifests/extract.js';
import type { ImageUse, ManifestObject } from '../manifests/types.js';
import type { CelRequirement, Policy } from '../policy/model.js';
import { appliesTo } from '../policy/resources.js';

export type Extractor = (obj: ManifestObject, known: readonly ImageUse[]) => ImageUse[];

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
