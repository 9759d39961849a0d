// A compiled ImageValidatingPolicy: what the engine evaluates per workload and image.

import type { AttestationRequirement, CertificateRequirement, InvalidRequirement, KeyRequirement, NotationRequirement, Requirement } from '../model.js';
import type { CompiledExpr } from './cel.js';

/** A signer an attestor stands for; `expression` keys are built per evaluation from CEL. */
export type AttestorLeaf = KeyRequirement | CertificateRequirement | NotationRequirement;

export interface Attestor {
  name: string;
  kind: 'cosign' | 'notary';
  path: string;
  line: number;
  /** Trust material written in the attestor that does not parse: what leaf() gives, said once at load. */
  invalid?: InvalidRequirement;
  /** The leaf, given the evaluation's variables (a `key.expression` / `trustedRoot.expression` is evaluated there). */
  leaf(vars: Record<string, unknown>): AttestorLeaf | InvalidRequirement | { unsupported: string };
}

export interface Attestation {
  name: string;
  kind: 'intoto' | 'referrer';
  type: string;
}

export interface Validation {
  index: number;
  line: number;
  expression: CompiledExpr;
  message?: string;
  messageExpression?: CompiledExpr;
}

export interface IvpolProgram {
  policy: string;
  variables: { name: string; expression: CompiledExpr; line: number }[];
  attestors: ReadonlyMap<string, Attestor>;
  attestations: ReadonlyMap<string, Attestation>;
  validations: Validation[];
  /** matchImageReferences: whether verifyImageSignatures judges this image at all (0 otherwise). */
  matchesImage(image: string): boolean;
  config: { mutateDigest: boolean; verifyDigest: boolean; required: boolean };
  /** `images[]` extractors (CEL over object → list of strings), by category name. */
  extractors: { name: string; expression: CompiledExpr; line: number }[];
}

/** The leaf checked for an attestation by one attestor (intoto: cosign; referrer: notary). */
export function attestationLeaf(att: Attestation, signer: AttestorLeaf, path: string, line: number): Requirement {
  if (att.kind === 'intoto') {
    if (signer.kind === 'notation') return { kind: 'unsupported', path, field: 'notary verifier only supports oci 1.1 referrers as attestations' };
    const req: AttestationRequirement = { kind: 'attestation', path, line, predicateType: att.type, signers: signer, statements: 'all', conditions: [] };
    if (signer.signatureRepository) req.signatureRepository = signer.signatureRepository;
    if (signer.tlog === 'ignore') req.refuseUnloggedLayers = true;
    return req;
  }
  if (signer.kind !== 'notation') return { kind: 'unsupported', path, field: 'cosign verifier only supports intoto attestations' };
  return { ...signer, path, referrer: { artifactType: att.type, conditions: [] } };
}
