// The static registry of policy formats (one folder each, same `load` shape) and
// the entry point that turns policy files into Policies.

import * as cip from './cip/load.js';
import { isTrustRoot, trustRootName } from './cip/trust-root.js';
import { parsePolicyDocuments, type LoadContext, type PolicyDocument } from './document.js';
import * as kyverno from './kyverno/load.js';
import type { Policy } from './model.js';
import * as notation from './notation/load.js';

/** A format loader: the Policy a document holds, or null when the document is not its format. */
export interface PolicyLoader {
  load(doc: PolicyDocument, ctx: LoadContext): Policy | null;
}

/** Static on purpose: a bundled single binary can follow it; a test compares it with the folders. */
export const loaders: Readonly<Record<string, PolicyLoader>> = { kyverno, cip, notation };

/**
 * Every policy in the given files, in order. Documents of other kinds are ignored; a
 * malformed policy throws PolicyError (exit 2) naming the file and line.
 */
export function loadPolicies(texts: readonly { file: string; text: string }[]): Policy[] {
  const docs = texts.flatMap(({ file, text }) => parsePolicyDocuments(text, file));
  // TrustRoots are found anywhere in the policy set before any policy refers to them.
  const trustRoots = new Map<string, PolicyDocument>();
  for (const doc of docs.filter(isTrustRoot)) {
    const name = trustRootName(doc);
    if (name) trustRoots.set(name, doc);
  }
  const ctx: LoadContext = { trustRoots };
  const policies: Policy[] = [];
  for (const doc of docs) {
    for (const loader of Object.values(loaders)) {
      const policy = loader.load(doc, ctx);
      if (policy) {
        policies.push(policy);
        break;
      }
    }
  }
  return policies;
}
