// Combines leaf results up a Requirement tree. Pure: the engine checks the key
// leaves against the registry first, then asks this what the rule says.

import type { AttestationRequirement, NotationRequirement, Requirement, SignerRequirement } from './model.js';

/** The leaves the engine checks against evidence from the registry. */
export type Leaf = SignerRequirement | AttestationRequirement | NotationRequirement;

export type OutcomeStatus = 'pass' | 'fail' | 'error';

export interface Outcome {
  status: OutcomeStatus;
  /** Each reason starts with the requirement path it comes from. */
  reasons: string[];
  /**
   * Undecided because a requirement cannot be evaluated by this tool ("unsupported: …"): it
   * blocks whatever the failure policy says, since the cluster would evaluate it.
   */
  unsupported?: true;
  /** Problems a passing outcome only logged (Notation `log` actions): the image is `warn`, never a clean pass. */
  warnings?: string[];
}

/** A key leaf's own result; its reasons are prefixed with the leaf path by evaluate(). */
export interface LeafOutcome extends Outcome {
  /** Verified attestation payloads (in-toto statements, referrer contents): what extractPayload may read. */
  statements?: unknown[];
  /** Who signed, for passes (key fingerprint): reported, not combined. */
  signer?: string;
  /**
   * Every verified signature or attestation, as policy-controller lists them for a CIP-level policy
   * (`id`: sha256 of the signature bytes; attestations add `predicateType` and the layer `digest`).
   * Only filled when asked (LeafDeps.collect).
   */
  matches?: { id: string; predicateType?: string; digest?: string }[];
}

export function evaluate(req: Requirement, leaf: (r: Leaf) => LeafOutcome): Outcome {
  switch (req.kind) {
    case 'key':
    case 'certificate':
    case 'attestation':
    case 'notation': {
      const r = leaf(req);
      const warnings = r.status === 'pass' && r.warnings?.length ? { warnings: r.warnings.map((m) => at(req.path, m)) } : {};
      return { status: r.status, reasons: r.reasons.map((m) => at(req.path, m)), ...warnings, ...(r.status === 'error' && r.unsupported && { unsupported: true as const }) };
    }
    case 'static':
      return { status: req.action, reasons: [at(req.path, req.message ?? `static ${req.action}`)] };
    case 'unsupported':
      return { status: 'error', reasons: [at(req.path, `unsupported: ${req.field}`)], unsupported: true };
    case 'invalid':
      // Blocks like an unsupported requirement: nothing this rule trusts can verify.
      return { status: 'error', reasons: [at(req.path, invalidReason(req))], unsupported: true };
    case 'cel':
      // ImageValidatingPolicy validations are judged by the engine per workload (engine/ivpol-rule.ts).
      return { status: 'error', reasons: [at(req.path, 'CEL validations are judged per workload, not here')] };
    case 'all': {
      const outs = req.of.map((r) => evaluate(r, leaf));
      // Any failure decides; otherwise one undecidable child leaves the whole undecided.
      // (An unsupported sibling still says so: under Audit the failure alone would only warn.)
      if (outs.some((o) => o.status === 'fail')) return { status: 'fail', reasons: notPassing(outs), ...(outs.some((o) => o.unsupported) && { unsupported: true as const }) };
      if (outs.some((o) => o.status === 'error')) return undecided(outs, notPassing(outs));
      return withWarnings({ status: 'pass', reasons: outs.flatMap((o) => o.reasons) }, outs);
    }
    case 'any': {
      const outs = req.of.map((r) => evaluate(r, leaf));
      const passed = outs.filter((o) => o.status === 'pass');
      // A clean alternative wins over one that passed only with logged problems.
      const clean = passed.filter((o) => !o.warnings?.length);
      if (passed.length > 0) return clean.length > 0 ? { status: 'pass', reasons: clean.flatMap((o) => o.reasons) } : withWarnings({ status: 'pass', reasons: passed.flatMap((o) => o.reasons) }, passed);
      const reasons = outs.length > 0 ? outs.flatMap((o) => o.reasons) : [at(req.path, 'no alternatives')];
      return outs.some((o) => o.status === 'error') ? undecided(outs, reasons) : { status: 'fail', reasons };
    }
    case 'count': {
      const outs = req.of.map((r) => evaluate(r, leaf));
      const passes = outs.filter((o) => o.status === 'pass').length;
      const errors = outs.filter((o) => o.status === 'error').length;
      if (passes >= req.min) {
        const passed = outs.filter((o) => o.status === 'pass');
        return withWarnings({ status: 'pass', reasons: passed.flatMap((o) => o.reasons) }, passed);
      }
      const summary = at(req.path, `${passes} of ${outs.length} entries verified, ${req.min} required`);
      // Failed if even the undecided entries could not reach the count; undecided otherwise.
      // What is wrong with this image first; the count last.
      const reasons = [...notPassing(outs), summary];
      return passes + errors >= req.min ? undecided(outs, reasons) : { status: 'fail', reasons };
    }
  }
}

/** Every leaf of a tree that needs evidence: what the engine must check before evaluating. */
export function keyLeaves(req: Requirement): Leaf[] {
  if (req.kind === 'key' || req.kind === 'certificate' || req.kind === 'attestation' || req.kind === 'notation') return [req];
  if (req.kind === 'all' || req.kind === 'any' || req.kind === 'count') return req.of.flatMap(keyLeaves);
  return [];
}

function withWarnings(out: Outcome, from: Outcome[]): Outcome {
  const warnings = from.flatMap((o) => o.warnings ?? []);
  return warnings.length > 0 ? { ...out, warnings } : out;
}

function undecided(outs: Outcome[], reasons: string[]): Outcome {
  return { status: 'error', reasons, ...(outs.some((o) => o.status === 'error' && o.unsupported) && { unsupported: true as const }) };
}

function notPassing(outs: Outcome[]): string[] {
  return outs.filter((o) => o.status !== 'pass').flatMap((o) => o.reasons);
}

/** What an image covered by a rule with broken trust material is told: the problem and where to fix it. */
export function invalidReason(req: Extract<Requirement, { kind: 'invalid' }>): string {
  return `${req.problem} at ${req.file}:${req.line}`;
}

function at(path: string, message: string): string {
  return path ? `${path}: ${message}` : message;
}
