// An ImageValidatingPolicy on one image: its validations (CEL) evaluated for each workload that
// uses the image, with `images.*` holding that image only, so the verdict is this image's.
// CEL is synchronous and verification is not: each evaluation is repeated until every
// verification it asked for has been answered (the answers are kept for the run), then the
// last evaluation decides. Then Kyverno's `required` and digest checks.

import { cacheKey, noCache } from '../cache/verdict-cache.js';
import { parseReference, registryHost, type ImageRef } from '../images/reference.js';
import type { ImageUse } from '../manifests/types.js';
import { invalidReason, type LeafOutcome } from '../policy/evaluate.js';
import { CelRuntimeError, type EvalContext } from '../policy/ivpol/cel.js';
import { matchBindings } from '../policy/ivpol/load.js';
import { attestationLeaf, type IvpolProgram } from '../policy/ivpol/program.js';
import type { AttestationRequirement, CelRequirement, NotationRequirement, Requirement, RuleSelection } from '../policy/model.js';
import { appliesTo } from '../policy/resources.js';
import type { Repository } from '../registry/types.js';
import { checkLeaf, type JudgeDeps } from './judge.js';
import type { PolicyVerdict } from './result.js';

/** Rounds of "evaluate, then answer what it asked": enough for verifications that depend on others. */
const MAX_ROUNDS = 6;

type Answer = LeafOutcome & { digest?: string };

/** The verification answers of one run, shared by every image and workload that asks the same. */
const runs = new WeakMap<JudgeDeps, Map<string, Promise<Answer>>>();

export async function judgeCelRule(s: RuleSelection, ref: ImageRef, uses: ImageUse[], deps: JudgeDeps): Promise<PolicyVerdict> {
  const { policy, rule } = s;
  const req = rule.requirement as CelRequirement;
  const p = req.program;
  const base = { policy: policy.name, file: rule.file, line: rule.line, rule: rule.path, mode: rule.mode, onError: rule.onError } as const;
  const done = (status: 'pass' | 'fail' | 'error', reasons: string[], signers: string[] = [], unsupported = false): PolicyVerdict => ({
    ...base,
    status: status === 'fail' && rule.mode === 'audit' ? 'warn' : status,
    // Undecided because an attestor cannot be evaluated here: blocks under Audit and failurePolicy Ignore too.
    ...(status === 'error' && unsupported && { onError: 'block' as const, unsupported: true as const }),
    reasons,
    ...(signers.length > 0 && { signers: [...new Set(signers)] }),
  });

  // verifyDigest, before any registry call; with mutateDigest the cluster pins the tag itself and
  // validates the pinned object: the validations see `tag@digest`, and the reason says it needs pinning.
  const notes: string[] = [];
  let image = ref.raw;
  if (!ref.digest) {
    if (p.config.verifyDigest && !p.config.mutateDigest) return done('fail', [`image ${ref.raw} does not have a digest (validationConfigurations.verifyDigest)`]);
    if (p.config.mutateDigest) {
      try {
        const digest = (await deps.evidence.resolve({ registry: registryHost(ref), repository: ref.repository }, ref.tag ?? 'latest')).digest;
        image = `${ref.raw}@${digest}`;
        notes.push(`needs pin: the cluster's mutateDigest pins ${ref.raw} to ${digest} at admission; \`kubectl verify-images pin\` writes it into Git`);
      } catch (err) {
        return done('error', [`cannot resolve ${ref.raw} to a digest (mutateDigest): ${(err as Error).message}`]);
      }
    }
  }

  const answers = runs.get(deps) ?? new Map<string, Promise<Answer>>();
  runs.set(deps, answers);
  const asked = new Set<string>();
  const evaluation = new Evaluation(p, answers, deps, asked);

  // Image volumes are not among the images Kyverno extracts for these policies.
  const applicable = uses.filter((u) => u.field !== 'volumes' && appliesTo(rule.resources, u.workload) && rule.cel?.applies?.(u.workload) !== false);
  if (applicable.length === 0) return { ...base, status: 'skip', reasons: ['not among the images this policy extracts (image volumes are not)'] };
  let worst: 'pass' | 'fail' | 'error' = 'pass';
  const reasons: string[] = [];
  for (const use of applicable) {
    const condition = rule.cel?.applies?.(use.workload);
    if (typeof condition === 'string') {
      worst = worst === 'fail' ? 'fail' : 'error';
      reasons.push(condition);
      continue;
    }
    const outcome = await evaluation.run(use, image);
    const where = applicable.length > 1 ? `${use.workload.kind}/${use.workload.name ?? ''}: ` : '';
    if (outcome.status !== 'pass') reasons.push(...outcome.reasons.map((r) => where + r));
    if (outcome.status === 'fail' || (outcome.status === 'error' && worst === 'pass')) worst = outcome.status;
  }

  if (worst === 'pass' && p.config.required) {
    const touched = evaluation.touched.get(image);
    if (touched === undefined) return done('fail', [`image ${ref.raw} is not verified: no policy performed a signature or attestation check on it (validationConfigurations.required)`, ...notes]);
    if (!touched) return done('fail', [`image ${ref.raw} is not verified: it failed signature or attestation verification (validationConfigurations.required)`, ...notes]);
  }
  if (worst === 'pass') return done('pass', [`validations passed (${p.validations.length})`, ...new Set(evaluation.passed), ...notes], evaluation.signers);
  return done(worst, [...reasons, ...notes], [], evaluation.unsupported);
}

/** One image's evaluations under one policy: the functions' answers, what was touched and who signed. */
class Evaluation {
  /** Image → whether a verification of it succeeded (absent: never asked). */
  readonly touched = new Map<string, boolean>();
  readonly signers: string[] = [];
  readonly passed: string[] = [];
  /** A validation read the answer of a requirement this tool cannot evaluate. */
  unsupported = false;
  private readonly payloads = new Map<string, unknown>();

  constructor(
    private readonly p: IvpolProgram,
    private readonly answers: Map<string, Promise<Answer>>,
    private readonly deps: JudgeDeps,
    private readonly asked: Set<string>,
  ) {}

  async run(use: ImageUse, image: string): Promise<{ status: 'pass' | 'fail' | 'error'; reasons: string[] }> {
    const bindings = this.bindings(use, image);
    if (typeof bindings === 'string') return { status: 'error', reasons: [bindings] };
    let last: { status: 'pass' | 'fail' | 'error'; reasons: string[] } = { status: 'error', reasons: ['not evaluated'] };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const pending = new Map<string, () => Promise<Answer>>();
      const settled = new Map<string, Answer>();
      for (const [k, v] of this.answers) {
        const value = await peek(v);
        if (value) settled.set(k, value);
      }
      const errors: string[] = [];
      const ctx = this.context(bindings, settled, pending, errors);
      last = this.validate(bindings, ctx);
      if (pending.size === 0) {
        if (last.status === 'fail' && errors.length > 0) return { status: 'error', reasons: [...last.reasons, ...new Set(errors)] };
        return last;
      }
      for (const [k, make] of pending) {
        if (!this.answers.has(k)) this.answers.set(k, make().catch((err: Error): Answer => ({ status: 'error', reasons: [err.message] })));
      }
      await Promise.all([...pending.keys()].map((k) => this.answers.get(k)));
    }
    return { status: 'error', reasons: ['the validations kept asking for new verifications; gave up', ...last.reasons] };
  }

  private bindings(use: ImageUse, image: string): Record<string, unknown> | string {
    const b = matchBindings(use.workload);
    // `images.<category>`: this image, in the categories where this workload uses it.
    const images: Record<string, string[]> = { containers: [], initContainers: [], ephemeralContainers: [] };
    const category = use.field === 'extracted' ? use.category! : use.field === 'volumes' ? undefined : use.field;
    for (const e of this.p.extractors) images[e.name] = [];
    if (category) images[category] = this.p.matchesImage(image) ? [image] : [];
    b['images'] = images;
    b['attestors'] = Object.fromEntries([...this.p.attestors.keys()].map((k) => [k, k]));
    b['attestations'] = Object.fromEntries([...this.p.attestations.keys()].map((k) => [k, k]));
    b['image'] = '';
    const variables: Record<string, unknown> = {};
    b['variables'] = variables;
    for (const v of this.p.variables) {
      try {
        variables[v.name] = v.expression.eval(b);
      } catch (err) {
        return `variables.${v.name}: ${(err as Error).message}`;
      }
    }
    return b;
  }

  private validate(b: Record<string, unknown>, ctx: EvalContext): { status: 'pass' | 'fail' | 'error'; reasons: string[] } {
    for (const v of this.p.validations) {
      let ok: unknown;
      try {
        ok = v.expression.eval(b, ctx);
      } catch (err) {
        return { status: 'error', reasons: [`validations[${v.index}]: ${err instanceof CelRuntimeError ? err.message : (err as Error).message}`] };
      }
      if (ok === true) continue;
      let message = v.message ?? `CEL expression validation failed at index ${v.index}`;
      if (v.messageExpression) {
        try {
          const m = v.messageExpression.eval(b, ctx);
          if (typeof m === 'string' && m !== '') message = m;
        } catch {
          // Kyverno falls back to message when messageExpression fails.
        }
      }
      return { status: 'fail', reasons: [`validations[${v.index}]: ${message}`] };
    }
    return { status: 'pass', reasons: [] };
  }

  /** The functions' answers: settled ones count, unknown ones are asked for (and count 0 this round). */
  private context(vars: Record<string, unknown>, settled: Map<string, Answer>, pending: Map<string, () => Promise<Answer>>, errors: string[]): EvalContext {
    const answer = (key: string, make: () => Promise<Answer>): Answer | undefined => {
      const a = settled.get(key);
      if (!a) pending.set(key, make);
      if (a?.unsupported) this.unsupported = true;
      return a;
    };
    const count = (image: string, keys: [string, () => Promise<Answer>, string][]): number => {
      let n = 0;
      for (const [key, make, label] of keys) {
        const a = answer(key, make);
        if (!a) continue;
        if (a.status === 'pass') {
          n++;
          this.touched.set(image, true);
          if (a.signer) this.signers.push(a.signer);
          this.passed.push(...a.reasons.map((r) => `${label}: ${r}`));
          if (a.statements?.length) this.payloads.set(key.split('\0').slice(0, 3).join('\0'), a.statements.at(-1));
        } else {
          if (!this.touched.has(image)) this.touched.set(image, false);
          errors.push(...(a.status === 'error' ? a.reasons.map((r) => `${label}: ${r}`) : []));
        }
      }
      return n;
    };
    const attestor = (name: string) => {
      const a = this.p.attestors.get(name);
      if (!a) throw new Error(`attestor "${name}" is not in the policy`);
      return a;
    };
    return {
      verifySignatures: (image, names) => {
        if (!this.p.matchesImage(image)) return 0;
        return count(
          image,
          names.map((name) => {
            const leaf = attestor(name).leaf(vars);
            const req: Requirement = 'unsupported' in leaf ? { kind: 'unsupported', path: `attestors.${name}`, field: leaf.unsupported } : leaf;
            return [`sig\0${image}\0${name}\0${leafId(req)}`, () => this.check(req, image), `attestors.${name}`];
          }),
        );
      },
      verifyAttestations: (image, attestation, names) => {
        const att = this.p.attestations.get(attestation);
        if (!att) throw new Error('attestation not found in policy');
        if (!this.p.matchesImage(image)) return 0;
        return count(
          image,
          names.map((name) => {
            const signer = attestor(name).leaf(vars);
            const req: Requirement =
              'unsupported' in signer
                ? { kind: 'unsupported', path: `attestors.${name}`, field: signer.unsupported }
                : signer.kind === 'invalid'
                  ? signer
                  : attestationLeaf(att, signer, `attestations.${attestation}`, 0);
            return [`att\0${image}\0${attestation}\0${name}\0${leafId(req)}`, () => this.check(req, image), `attestations.${attestation} by attestors.${name}`];
          }),
        );
      },
      extractPayload: (image, attestation) => {
        const att = this.p.attestations.get(attestation);
        if (!att) throw new Error('attestation not found in policy');
        const payload = this.payloads.get(`att\0${image}\0${attestation}`);
        if (payload === undefined) {
          throw new Error(`${att.kind} attestation payload cannot be fetched before verifying ${att.kind} attestation "${attestation}" (verifyAttestationSignatures first)`);
        }
        return payload;
      },
      imageData: (image) => {
        const a = answer(`data\0${image}`, () => this.imageData(image));
        if (!a) return {};
        if (a.status !== 'pass') throw new Error(a.reasons[0] ?? 'cannot read image data');
        return a.statements?.[0] ?? {};
      },
    };
  }

  /** One leaf against one image (resolved to its digest once per run). */
  private async check(req: Requirement, image: string): Promise<Answer> {
    if (req.kind === 'unsupported') return { status: 'error', reasons: [`unsupported: ${req.field}`], unsupported: true };
    if (req.kind === 'invalid') return { status: 'error', reasons: [invalidReason(req)], unsupported: true };
    const target = await this.target(image);
    if ('error' in target) return { status: 'error', reasons: [target.error] };
    const leaf = req as Exclude<Requirement, { kind: 'all' | 'any' | 'count' | 'static' | 'unsupported' | 'invalid' | 'cel' }>;
    // Payloads are read from a fresh verification (a cached pass carries no statement).
    const deps = leaf.kind === 'attestation' || (leaf.kind === 'notation' && leaf.referrer) ? { ...this.deps, cache: noCache } : this.deps;
    const outcome = await checkLeaf(leaf as AttestationRequirement | NotationRequirement, target.ref, target.repo, target.digest, undefined, deps);
    return { ...outcome, digest: target.digest };
  }

  private async target(image: string): Promise<{ ref: ImageRef; repo: Repository; digest: string } | { error: string }> {
    let ref: ImageRef;
    try {
      ref = parseReference(image);
    } catch (err) {
      return { error: (err as Error).message };
    }
    const repo = { registry: registryHost(ref), repository: ref.repository };
    if (ref.digest) return { ref, repo, digest: ref.digest };
    try {
      return { ref, repo, digest: (await this.deps.evidence.resolve(repo, ref.tag ?? 'latest')).digest };
    } catch (err) {
      return { error: `cannot resolve ${image} to a digest: ${(err as Error).message}` };
    }
  }

  /** getImageData: the resolved reference, manifest and config, as Kyverno's imagedata serialises them. */
  private async imageData(image: string): Promise<Answer> {
    const target = await this.target(image);
    if ('error' in target) return { status: 'error', reasons: [target.error] };
    const { ref, repo, digest } = target;
    try {
      const manifest = await this.deps.evidence.manifest(repo, digest);
      const configDigest = (manifest?.json['config'] as { digest?: string } | undefined)?.digest;
      const config = configDigest ? JSON.parse(Buffer.from(await this.deps.evidence.blob(repo, configDigest)).toString('utf8')) : {};
      const data = {
        image,
        resolvedImage: `${ref.registry}/${ref.repository}@${digest}`,
        registry: ref.registry === 'docker.io' ? 'index.docker.io' : ref.registry,
        repository: ref.repository,
        identifier: ref.digest ?? ref.tag ?? 'latest',
        tag: ref.digest ? '' : (ref.tag ?? 'latest'),
        digest,
        manifest: manifest?.json ?? {},
        config,
      };
      return { status: 'pass', reasons: [], statements: [data] };
    } catch (err) {
      return { status: 'error', reasons: [`cannot read image data of ${image}: ${(err as Error).message}`] };
    }
  }
}

/** A promise's value if it has settled, else undefined (without waiting). */
async function peek<T>(p: Promise<T>): Promise<T | undefined> {
  const marker = {};
  const v = await Promise.race([p, Promise.resolve(marker)]);
  return v === marker ? undefined : (v as T);
}

const ids = new WeakMap<object, string>();
function leafId(req: Requirement): string {
  let id = ids.get(req);
  if (!id) ids.set(req, (id = cacheKey('', req, '')));
  return id;
}
