// Which scalars to rewrite, in which files, for the images that passed. Decisions only:
// files are read through the injected `read`, nothing is written.

import path from 'node:path';
import type { ImageResult, Result } from '../engine/result.js';
import { parseReference, repositoryName } from '../images/reference.js';
import { extractImages } from '../manifests/extract.js';
import { parseManifests } from '../manifests/parse.js';
import type { ImageUse } from '../manifests/types.js';
import { appVersion, type HelmChart } from './helm-charts.js';
import { findValuesImages, type HelmValuesImage } from './helm-values.js';
import { isPinned, pinnedReference, pinnedTag } from './pinned-reference.js';
import { hasFluxMarker } from './splice.js';
import type { PinChange, PinSkip, PinTarget, ScalarEdit } from './types.js';
import { type KustomizeImageEntry, lineAt, readHelmImage, readKustomization } from './yaml-sites.js';

/**
 * The annotation by which an object says it is a signed manifest (k8s-manifest-sigstore, any
 * annotation domain): a message with its signature, or a manifest bundle image.
 */
export function manifestSignature(annotations: Readonly<Record<string, string>>): string | undefined {
  for (const key of Object.keys(annotations)) {
    const m = /^(.+)\/(message|resourceBundleRef)$/.exec(key);
    if (!m) continue;
    if (m[2] === 'resourceBundleRef') return key;
    if (annotations[`${m[1]}/signature`] !== undefined) return `${m[1]}/signature`;
  }
  return undefined;
}

/** An image use with the absolute files it can be traced to. */
export interface TracedUse {
  use: ImageUse;
  /** Absolute file the use came from (the origin file for kustomize output), when there is one. */
  file?: string;
  /** Absolute kustomization directory that rendered it. */
  kustomizeDir?: string;
  /** The Helm chart that rendered it (its values are the source). */
  helm?: HelmChart;
}

/** `pin.helm` in the config: an image map in a values file, by dotted path; without `image`, found by the image it yields. */
export interface HelmMapping {
  /** Absolute values file. */
  values: string;
  image?: string;
}

export interface PlanInput {
  result: Result;
  uses: TracedUse[];
  helm?: HelmMapping[];
  /** Reads a file as text (undefined when it does not exist). */
  read: (file: string) => Promise<string | undefined>;
  /** Absolute file → the name shown to the user. */
  show: (file: string) => string;
  /** Edit objects that carry a manifest signature too (`--allow-breaking-signatures`): the change says it breaks it. */
  allowBreakingSignatures?: boolean;
}

export interface Plan {
  /** Absolute file → its text and the edits planned in it. */
  files: Map<string, { text: string; edits: ScalarEdit[] }>;
  skipped: PinSkip[];
}

const NO_SOURCE = 'no source file to edit';
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export async function planPins(input: PlanInput): Promise<Plan> {
  const planner = new Planner(input);
  for (const image of input.result.results) await planner.image(image);
  for (const mapping of input.helm ?? []) await planner.helm(mapping);
  // A rendered use the Helm mapping did pin is not "skipped".
  const pinned = new Set([...planner.files.values()].flatMap((f) => f.edits.map((e) => e.change.image)));
  const skipped = planner.skipped.filter((s) => !(s.reason.startsWith(NO_SOURCE) && pinned.has(s.image)));
  return { files: planner.files, skipped };
}

class Planner {
  readonly files = new Map<string, { text: string; edits: ScalarEdit[] }>();
  readonly skipped: PinSkip[] = [];
  private readonly texts = new Map<string, string | undefined>();
  private readonly kustomizations = new Map<string, Promise<Array<KustomizeImageEntry & { file: string }>>>();
  private readonly valuesImages = new Map<HelmChart, HelmValuesImage[]>();
  private claimedImages?: Promise<string[]>;
  /** The signature annotation of the use being pinned, when --allow-breaking-signatures lets it be edited. */
  private breaking: string | undefined;

  constructor(private readonly input: PlanInput) {}

  async image(result: ImageResult): Promise<void> {
    if (result.status !== 'pass' || !result.digest) {
      // A chart's rendered file is temporary: name the chart instead.
      const chart = this.input.uses.find((u) => u.use.image === result.image)?.helm;
      const at = chart && { file: this.input.show(chart.dir) };
      if (result.status === 'pass') this.skip(result, 'passed without a resolved digest', at);
      else this.skip(result, reasonOf(result), at);
      return;
    }
    if (isPinned(result.image)) return;
    for (const traced of this.input.uses.filter((u) => u.use.image === result.image)) await this.use(result, traced);
  }

  private async use(result: ImageResult, traced: TracedUse): Promise<void> {
    const { use } = traced;
    const digest = result.digest!;
    const at = { file: traced.file ? this.input.show(traced.file) : use.file, line: use.line };
    // A signed manifest no longer matches its signature once its image changes (here, or through kustomize or Helm values).
    const signature = manifestSignature(use.workload.annotations);
    if (signature && !this.input.allowBreakingSignatures) {
      return this.skip(result, `${useName(use)} carries a manifest signature (${signature}): pinning would break it; pin, then sign the manifest again, or pass --allow-breaking-signatures`, at);
    }
    this.breaking = signature;
    try {
      await this.pinUse(result, traced, digest, at);
    } finally {
      this.breaking = undefined;
    }
  }

  private async pinUse(result: ImageResult, traced: TracedUse, digest: string, at: { file: string; line: number }): Promise<void> {
    const { use } = traced;
    if (traced.file && use.range) {
      return this.edit(traced.file, use.range[0], use.range[1], use.image, pinnedReference(use.image, digest), result, 'manifest', useName(use));
    }
    if (traced.helm) return this.viaHelmValues(result, traced.helm);
    if (traced.kustomizeDir) {
      if (await this.viaKustomization(result, traced)) return;
      if (traced.file && (await this.viaOrigin(result, traced))) return;
      return this.skip(result, 'rendered by kustomize, and no kustomization images: entry or source line sets this tag', at);
    }
    if (traced.file) {
      return this.skip(result, 'written through a YAML alias or merge key: pin the anchor by hand', at);
    }
    this.skip(result, `${NO_SOURCE} (rendered output); map Helm values with pin.helm in the config`, at);
  }

  /** `newTag: 1.25` → `newTag: 1.25@sha256:…` in the first entry (overlay before base) that yields this image. */
  private async viaKustomization(result: ImageResult, traced: TracedUse): Promise<boolean> {
    const ref = parseReference(result.image);
    const entries = await this.kustomizeEntries(traced.kustomizeDir!);
    for (const entry of entries) {
      if (!entry.newTag || entry.digest || entry.newTag.value !== ref.tag) continue;
      let out: string;
      try {
        out = repositoryName(parseReference(entry.newName ?? entry.name));
      } catch {
        continue;
      }
      if (out !== repositoryName(ref)) continue;
      const tag = entry.newTag;
      await this.edit(entry.file, tag.start, tag.end, tag.value, pinnedTag(tag.value, result.digest!), result, 'kustomization', useName(traced.use));
      return true;
    }
    return false;
  }

  /** The image written in the origin file with the same tag (kustomize may rename it, the digest still holds). */
  private async viaOrigin(result: ImageResult, traced: TracedUse): Promise<boolean> {
    const text = await this.text(traced.file!);
    if (text === undefined) return false;
    let sourceUses: ImageUse[];
    try {
      sourceUses = parseManifests(text, traced.file!).flatMap((o) => extractImages(o));
    } catch {
      return false;
    }
    const found = sourceUses.find((u) => u.path === traced.use.path && u.line === traced.use.line && u.range);
    if (!found?.range || isPinned(found.image)) return false;
    try {
      if (parseReference(found.image).tag !== parseReference(result.image).tag) return false;
    } catch {
      return false;
    }
    await this.edit(traced.file!, found.range[0], found.range[1], found.image, pinnedReference(found.image, result.digest!), result, 'manifest', useName(traced.use));
    return true;
  }

  /** The one values image map of the chart that yields this image (an explicit pin.helm `image:` wins). */
  private async viaHelmValues(result: ImageResult, chart: HelmChart): Promise<void> {
    if ((await this.claimed()).some((image) => sameImage(image, result.image))) return;
    let found = this.valuesImages.get(chart);
    if (!found) this.valuesImages.set(chart, (found = findValuesImages(chart.layers, chart)));
    const shown = this.input.show(chart.dir);
    const matches = found.filter((c) => sameImage(c.image, result.image));
    if (matches.length === 0) {
      return this.skip(result, `${NO_SOURCE}: rendered by helm from ${shown}, and no values image map (repository + tag) yields this image; name it with pin.helm in the config`, { file: shown });
    }
    await this.pinValues(result, matches, shown);
  }

  /** Edits the one matching values map; reports (and leaves) several or a blocked one. */
  private async pinValues(result: ImageResult, matches: HelmValuesImage[], shown: string): Promise<void> {
    if (matches.length > 1) {
      return this.skip(result, `ambiguous: Helm values ${matches.map((m) => m.path).join(' and ')} both yield this image; not edited (name one with pin.helm image: in the config)`, { file: shown });
    }
    const { target, path: at } = matches[0]!;
    if ('blocked' in target) return this.skip(result, target.blocked, { file: shown });
    const { site } = target;
    await this.edit(target.file, site.start, site.end, site.value, target.to(result.digest!), result, 'helm', at);
  }

  /** Images named by explicit pin.helm `image:` mappings: those are pinned there and nowhere else. */
  private claimed(): Promise<string[]> {
    this.claimedImages ??= (async () => {
      const out: string[] = [];
      for (const m of this.input.helm ?? []) {
        const text = m.image === undefined ? undefined : await this.text(m.values);
        const site = text === undefined ? undefined : readHelmImage(text, m.image!);
        if (site) out.push(site.image);
      }
      return out;
    })();
    return this.claimedImages;
  }

  /** `pin.helm` naming only `values:`: every passed image that one image map of the file yields. */
  private async helmValuesFile(values: string): Promise<void> {
    const shown = this.input.show(values);
    const text = await this.text(values);
    if (text === undefined) {
      this.skipped.push({ image: '(pin.helm)', status: 'error', reason: `pin.helm: cannot read values file ${shown}`, file: shown });
      return;
    }
    const found = findValuesImages([{ file: values, label: shown, text }], { appVersion: await appVersion(path.dirname(values)) });
    const claimed = await this.claimed();
    for (const result of this.input.result.results) {
      if (result.status !== 'pass' || !result.digest || isPinned(result.image)) continue;
      if (claimed.some((image) => sameImage(image, result.image))) continue;
      const matches = found.filter((c) => sameImage(c.image, result.image));
      if (matches.length > 0) await this.pinValues(result, matches, shown);
    }
  }

  async helm(mapping: HelmMapping): Promise<void> {
    if (mapping.image === undefined) return this.helmValuesFile(mapping.values);
    const shown = this.input.show(mapping.values);
    const text = await this.text(mapping.values);
    const site = text === undefined ? undefined : readHelmImage(text, mapping.image);
    if (!site) {
      this.skipped.push({ image: mapping.image, status: 'error', reason: `pin.helm: no image map with a repository at "${mapping.image}"`, file: shown });
      return;
    }
    const result = this.input.result.results.find((r) => sameImage(r.image, site.image));
    const at = { file: shown, line: site.line };
    if (!result) {
      this.skipped.push({ image: site.image, status: 'unmatched', reason: 'not among the verified images (render the chart into the inputs)', ...at });
      return;
    }
    if (result.status !== 'pass' || !result.digest) {
      if (result.status === 'pass') this.skip(result, 'passed without a resolved digest', at);
      return; // already listed with its reason by image()
    }
    if (site.digest) {
      if (site.digest.value !== '') return; // the chart's digest key is set: pinned already
      return this.edit(mapping.values, site.digest.start, site.digest.end, '', result.digest, result, 'helm', mapping.image);
    }
    if (!site.tag || isPinned(site.tag.value)) return;
    return this.edit(mapping.values, site.tag.start, site.tag.end, site.tag.value, pinnedTag(site.tag.value, result.digest), result, 'helm', mapping.image);
  }

  private async edit(file: string, start: number, end: number, from: string, to: string, result: ImageResult, target: PinTarget, use: string): Promise<void> {
    const text = await this.text(file);
    if (text === undefined) return this.skip(result, 'source file not readable', { file: this.input.show(file), line: 0 });
    const line = lineAt(text, start);
    if (hasFluxMarker(text, start)) {
      return this.skip(result, 'managed by Flux image automation ($imagepolicy marker): left to Flux', { file: this.input.show(file), line });
    }
    let entry = this.files.get(file);
    if (!entry) this.files.set(file, (entry = { text, edits: [] }));
    const existing = entry.edits.find((e) => e.start === start);
    if (existing) {
      // One scalar used by several workloads: one edit, every use named.
      if (!existing.change.use.split(', ').includes(use)) existing.change.use += `, ${use}`;
      return;
    }
    const change: PinChange = {
      image: result.image,
      digest: result.digest!,
      file: this.input.show(file),
      line,
      target,
      use,
      from,
      to,
      verification: verificationOf(result),
      ...(this.breaking && { breaksSignature: this.breaking }),
    };
    entry.edits.push({ start, end, from, to, change });
  }

  private skip(result: ImageResult, reason: string, at?: { file: string; line?: number }): void {
    const where = at ?? (result.uses[0] && { file: result.uses[0].file, line: result.uses[0].line });
    const dup = this.skipped.some((s) => s.image === result.image && s.reason === reason && s.file === where?.file && s.line === where?.line);
    if (!dup) this.skipped.push({ image: result.image, status: result.status, reason, ...(where && { file: where.file }), ...(where?.line !== undefined && { line: where.line }) });
  }

  private async text(file: string): Promise<string | undefined> {
    if (!this.texts.has(file)) this.texts.set(file, await this.input.read(file));
    return this.texts.get(file);
  }

  /** Entries of the kustomization in `dir` and every local base/component below it, overlay first. */
  private kustomizeEntries(dir: string): Promise<Array<KustomizeImageEntry & { file: string }>> {
    let found = this.kustomizations.get(dir);
    if (!found) this.kustomizations.set(dir, (found = this.walkKustomizations(dir)));
    return found;
  }

  private async walkKustomizations(root: string): Promise<Array<KustomizeImageEntry & { file: string }>> {
    const out: Array<KustomizeImageEntry & { file: string }> = [];
    const seen = new Set<string>();
    const queue = [root];
    while (queue.length > 0) {
      const dir = queue.shift()!;
      if (seen.has(dir)) continue;
      seen.add(dir);
      for (const name of KUSTOMIZATION_FILES) {
        const file = path.join(dir, name);
        const text = await this.text(file);
        if (text === undefined) continue;
        const k = readKustomization(text);
        out.push(...k.images.map((e) => ({ ...e, file })));
        for (const base of k.bases) if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(base)) queue.push(path.resolve(dir, base));
        break;
      }
    }
    return out;
  }
}

function sameImage(a: string, b: string): boolean {
  try {
    const x = parseReference(a);
    const y = parseReference(b);
    return repositoryName(x) === repositoryName(y) && (x.tag ?? 'latest') === (y.tag ?? 'latest');
  } catch {
    return false;
  }
}

function useName(use: ImageUse): string {
  const w = use.workload;
  const name = `${w.namespace ? `${w.namespace}/` : ''}${w.name ?? ''}`;
  return `${w.kind} ${name}${use.container ? ` (${use.container})` : ''}`;
}

function verificationOf(result: ImageResult): PinChange['verification'] {
  const passed = result.policies.filter((p) => p.status === 'pass');
  return {
    policies: [...new Set(passed.map((p) => p.policy))],
    signers: [...new Set(passed.flatMap((p) => p.signers ?? []))],
  };
}

function reasonOf(result: ImageResult): string {
  const reasons = [...(result.reasons ?? []), ...result.policies.filter((p) => p.status === result.status).flatMap((p) => p.reasons)];
  return `${result.status}: ${reasons[0] ?? 'not verified'}`;
}
