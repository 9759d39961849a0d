// cosign legacy `.sig` verification with public keys: every layer is checked on
// its own and one verified layer is enough (cosign verifySignatures semantics).

import { createHash, type KeyObject } from 'node:crypto';
import type { KeyRequirement } from '../policy/model.js';
import { checkCosignLayer, SIGNATURE_ANNOTATION, type LayerContext, type LayerOutcome } from './cosign-layer.js';
import { describeKey, loadPublicKey } from './keys.js';
import { formatAnnotations } from './sig-payload.js';
import { tlogKeysFromPem } from './trusted-root.js';
import type { LeafResult, SignatureLayer, TlogKey, TrustMaterial } from './types.js';

/** At most this many lines explain a failure, however many layers there were. */
const MAX_REASON_LINES = 5;

export interface CosignSignatureInput {
  /** The image digest the workload will pull. */
  digest: string;
  layers: readonly SignatureLayer[];
  requirement: KeyRequirement;
  trust: TrustMaterial;
  now?: Date;
  /** Check every layer and report each verified one (`matches`), as a CIP-level policy reads them. */
  collect?: boolean;
}

export function verifyCosignSignatures(input: CosignSignatureInput): LeafResult & { matches?: { id: string }[] } {
  const { requirement: req } = input;
  const keys = loadKeys(req.keys);
  if (typeof keys === 'string') return { ok: false, code: 'KEY_INVALID', reasons: [keys] };
  let rekorKeys: TlogKey[];
  try {
    rekorKeys = tlogKeysFromPem(req.rekorPublicKeys ?? []);
  } catch (err) {
    return { ok: false, code: 'KEY_INVALID', reasons: [`the policy's Rekor public key does not parse: ${(err as Error).message}`] };
  }
  if (input.layers.length === 0) {
    return { ok: false, code: 'NO_SIGNATURES', reasons: ['no cosign signature found for the image'] };
  }

  const ctx: LayerContext = {
    digest: input.digest,
    keys,
    hash: req.hashAlgorithm,
    annotations: req.annotations,
    ...(req.annotationsOn && { annotationsOn: req.annotationsOn }),
    tlog: req.tlog,
    trust: input.trust,
    rekorKeys,
    now: input.now ?? new Date(),
  };
  const outcomes: LayerOutcome[] = [];
  const verified: { i: number; outcome: Extract<LayerOutcome, { ok: true }> }[] = [];
  for (const [i, layer] of input.layers.entries()) {
    const outcome = checkCosignLayer(layer, ctx);
    if (outcome.ok) {
      if (!input.collect) return { ok: true, reasons: [successReason(i, input.layers.length, outcome, req.keys.length)], signer: describeKey(outcome.key) };
      verified.push({ i, outcome });
      continue;
    }
    outcomes.push(outcome);
  }
  if (verified.length > 0) {
    // policy-controller tries the keys in order and keeps every signature the first working key verifies.
    const first = Math.min(...verified.map((v) => v.outcome.keyIndex));
    const kept = verified.filter((v) => v.outcome.keyIndex === first);
    const { i, outcome } = kept[0]!;
    const matches = kept.map((v) => ({ id: signatureId(input.layers[v.i]!.annotations[SIGNATURE_ANNOTATION]) }));
    return { ok: true, reasons: [successReason(i, input.layers.length, outcome, req.keys.length)], signer: describeKey(outcome.key), matches };
  }
  return failure(outcomes as Extract<LayerOutcome, { ok: false }>[], req);
}

/** policy-controller's signatureID: sha256 over the signature bytes (and the certificate PEM, for keyless). */
export function signatureId(annotation: string | undefined, certificatePem?: string): string {
  const h = createHash('sha256').update(Buffer.from((annotation ?? '').replace(/\s+/g, ''), 'base64'));
  if (certificatePem) h.update(certificatePem);
  return h.digest('hex');
}

function successReason(i: number, layers: number, o: Extract<LayerOutcome, { ok: true }>, keyCount: number): string {
  const who = keyCount > 1 ? `key ${o.keyIndex + 1} of ${keyCount}` : 'the policy key';
  const where = layers > 1 ? `signature layer ${i + 1}: ` : '';
  const logged =
    o.integratedTime !== undefined
      ? `; logged in Rekor at ${new Date(o.integratedTime * 1000).toISOString()}${o.logIndex !== undefined ? ` (index ${o.logIndex})` : ''}`
      : '';
  return `${where}signed by ${who} (${describeKey(o.key)})${logged}`;
}

type Failed = Extract<LayerOutcome, { ok: false }>;

/** Explains why no layer verified, most telling failure first, in at most MAX_REASON_LINES lines. */
function failure(outcomes: Failed[], req: KeyRequirement): LeafResult {
  const signatures = outcomes.map((o, i) => ({ ...o, layer: i + 1 })).filter((o) => o.progress > 0);
  if (signatures.length === 0) {
    const n = outcomes.length;
    return { ok: false, code: 'NO_SIGNATURES', reasons: [`no cosign signature on the image (${n} other attachment${n > 1 ? 's' : ''} ignored)`] };
  }
  const best = signatures.reduce((a, b) => (b.progress > a.progress ? b : a));
  const everyLayer = (code: Failed['code']) => signatures.every((o) => o.code === code);
  if (everyLayer('ANNOTATIONS_MISSING')) {
    if (req.annotationsOn === 'layer') return { ok: false, code: best.code, reasons: [best.message] };
    return { ok: false, code: best.code, reasons: [`no signature carries the required annotations ${formatAnnotations(Object.entries(req.annotations))}`] };
  }
  if (everyLayer('TLOG_MISSING')) return { ok: false, code: best.code, reasons: [best.message] };

  // Same explanation for several layers: one line naming them all.
  const groups = new Map<string, { progress: number; layers: number[] }>();
  for (const o of signatures) {
    const g = groups.get(o.message) ?? { progress: o.progress, layers: [] };
    g.layers.push(o.layer);
    groups.set(o.message, g);
  }
  const single = outcomes.length === 1;
  const lines = [...groups]
    .sort((a, b) => b[1].progress - a[1].progress)
    .map(([message, g]) => (single ? message : `${layerNames(g.layers)}: ${message}`));
  const reasons =
    lines.length > MAX_REASON_LINES
      ? [...lines.slice(0, MAX_REASON_LINES - 1), `…and ${lines.length - MAX_REASON_LINES + 1} more kinds of failure`]
      : lines;
  return { ok: false, code: best.code, reasons };
}

function layerNames(layers: number[]): string {
  if (layers.length === 1) return `signature layer ${layers[0]}`;
  const shown = layers.slice(0, 5).join(', ');
  return `signature layers ${shown}${layers.length > 5 ? ` and ${layers.length - 5} more` : ''}`;
}

const keyMemo = new Map<string, KeyObject>();

/** The policy's keys as KeyObjects, or why one does not load (policies are validated earlier; this is a guard). */
function loadKeys(pems: readonly string[]): { index: number; key: KeyObject }[] | string {
  if (pems.length === 0) return 'the policy names no public key';
  const out: { index: number; key: KeyObject }[] = [];
  for (const [index, pem] of pems.entries()) {
    let key = keyMemo.get(pem);
    if (!key) {
      try {
        key = loadPublicKey(pem);
      } catch (err) {
        return `public key ${index + 1} in the policy does not parse: ${(err as Error).message}`;
      }
      keyMemo.set(pem, key);
    }
    out.push({ index, key });
  }
  return out;
}
