// OCI artifacts the GitOps tools fetch before anything is rendered, found in the manifests:
// Argo CD Applications whose source is a Helm chart in an OCI registry (`repoURL: oci://…` or a
// registry host, with `chart:`) or an OCI artifact (`repoURL: oci://…` without chart), Flux
// OCIRepository, HelmChart / HelmRelease charts from an OCI HelmRepository, and Istio WasmPlugin
// modules (`spec.url: oci://…`, judged like images). Each becomes an image use marked as a
// source subject, with the object's Flux `spec.verify` when it has one. Pure: the objects are
// handed in after the manifests were read (a HelmChart names its HelmRepository by name).

import { ManifestError, type ImageUse, type ManifestObject, type SourceContext } from './types.js';
import { asRecord, objectKey, workloadFor } from './extract.js';

export interface ReadObject {
  obj: ManifestObject;
  /** The file it is shown at. */
  file: string;
  source: SourceContext;
}

/** Flux `spec.verify` of the object a source use came from. */
export interface FluxVerify {
  use: ImageUse;
  /** `spec.verify` (or `spec.chart.spec.verify` for a HelmRelease). */
  path: string;
  line: number;
  provider: string;
  secretRef?: { namespace: string; name: string };
  identities: { issuer?: string; subject?: string }[];
}

const OCI = 'oci://';
const EXACT_VERSION = /^v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.+-]*)?$/;

/** Whether the pipeline must hand this object to ociSources() (it or one it refers to is a source). */
export function isSourceObject(object: Record<string, unknown>): boolean {
  const group = String(object.apiVersion ?? '').split('/')[0];
  return (
    (group === 'argoproj.io' && object.kind === 'Application') ||
    (group === 'source.toolkit.fluxcd.io' && ['OCIRepository', 'HelmRepository', 'HelmChart'].includes(String(object.kind))) ||
    (group === 'helm.toolkit.fluxcd.io' && object.kind === 'HelmRelease') ||
    (group === 'extensions.istio.io' && object.kind === 'WasmPlugin')
  );
}

/** `notes`: sources that are not verified, and why (a chart over HTTPS, a HelmRepository not among the inputs): said, never silent. */
export function ociSources(objects: readonly ReadObject[], defaultNamespace?: string): { uses: ImageUse[]; verifies: FluxVerify[]; notes: string[] } {
  const uses: ImageUse[] = [];
  const verifies: FluxVerify[] = [];
  const notes: string[] = [];
  const helmRepos = new Map<string, string | { https: string }>();
  for (const { obj } of objects) {
    const o = obj.object;
    if (o.kind !== 'HelmRepository') continue;
    const spec = rec(o.spec);
    if (typeof spec.url === 'string') helmRepos.set(`${ns(o, defaultNamespace)}/${name(o)}`, spec.type === 'oci' ? spec.url : { https: spec.url });
  }
  /** The OCI URL of the HelmRepository a chart names, or undefined after saying why its chart is not verified. */
  const helmRepository = (read: ReadObject, repoNamespace: string, repoName: string, chart: string): string | undefined => {
    const found = helmRepos.get(`${repoNamespace}/${repoName}`);
    const who = `${String(read.obj.object.kind)} ${ns(read.obj.object, defaultNamespace)}/${name(read.obj.object)} (${read.file}:${read.obj.line})`;
    if (found === undefined) notes.push(`${who}: chart ${chart} comes from HelmRepository ${repoNamespace}/${repoName}, which is not among the manifests verified: the chart's signature is not checked (verify that HelmRepository with it)`);
    else if (typeof found !== 'string') notes.push(`${who}: chart ${chart} comes from ${found.https}, a Helm repository over HTTPS: its signature is not checked (only OCI charts carry cosign or Notation signatures)`);
    return typeof found === 'string' ? found : undefined;
  };
  for (const read of objects) {
    const o = read.obj.object;
    const spec = rec(o.spec);
    const add = (reference: string, path: string, category: string, subject = true): ImageUse => {
      const workload = workloadFor(o);
      workload.createsPods = true; // a rule on Pods judges what they run, and where it comes from
      if (workload.namespace === undefined && defaultNamespace !== undefined) workload.namespace = defaultNamespace;
      const origin = read.source.origins?.get(objectKey(o));
      const use: ImageUse = {
        image: reference,
        workload,
        container: '',
        field: 'extracted',
        category,
        path,
        file: origin?.file ?? read.file,
        line: origin?.line ?? read.obj.line,
        column: 1,
        ...(subject && { subject: 'source' as const }),
      };
      uses.push(use);
      return use;
    };
    const verify = (use: ImageUse, v: unknown, path: string) => {
      const r = rec(v);
      if (Object.keys(r).length === 0) return;
      const secret = rec(r.secretRef).name;
      verifies.push({
        use,
        path,
        line: read.obj.line,
        provider: typeof r.provider === 'string' ? r.provider : 'cosign',
        ...(typeof secret === 'string' && { secretRef: { namespace: ns(o, defaultNamespace), name: secret } }),
        identities: (Array.isArray(r.matchOIDCIdentity) ? r.matchOIDCIdentity : []).map((i) => {
          const x = rec(i);
          return { ...(typeof x.issuer === 'string' && { issuer: x.issuer }), ...(typeof x.subject === 'string' && { subject: x.subject }) };
        }),
      });
    };
    const fail = (path: string, message: string): never => {
      throw new ManifestError(`${o.kind} ${name(o)}: ${path}: ${message}`, { file: read.file, line: read.obj.line, column: 1 });
    };
    switch (o.kind) {
      case 'Application': {
        const sources = Array.isArray(spec.sources) ? spec.sources.map((s, i) => [rec(s), `spec.sources[${i}]`] as const) : spec.source ? [[rec(spec.source), 'spec.source'] as const] : [];
        for (const [s, at] of sources) {
          const repoURL = typeof s.repoURL === 'string' ? s.repoURL : '';
          const chart = typeof s.chart === 'string' ? s.chart : undefined;
          const revision = typeof s.targetRevision === 'string' ? s.targetRevision : '';
          const bare = !/^[a-z][a-z0-9+.-]*:\/\//i.test(repoURL);
          if (chart !== undefined && (repoURL.startsWith(OCI) || (bare && repoURL !== ''))) {
            add(withVersion(`${strip(repoURL)}/${chart}`, revision, `${at}.targetRevision`, fail), `${at}.chart`, 'helm-chart');
          } else if (chart === undefined && repoURL.startsWith(OCI)) {
            add(withVersion(strip(repoURL), revision || 'latest', `${at}.targetRevision`, fail), `${at}.repoURL`, 'oci-source');
          } else if (chart !== undefined) {
            notes.push(`Application ${ns(o, defaultNamespace)}/${name(o)} (${read.file}:${read.obj.line}): chart ${chart} comes from ${repoURL}, a Helm repository over HTTPS: its signature is not checked (only OCI charts carry cosign or Notation signatures)`);
          }
        }
        break;
      }
      case 'OCIRepository': {
        if (typeof spec.url !== 'string' || !spec.url.startsWith(OCI)) break;
        const ref = rec(spec.ref);
        const base = strip(spec.url);
        const reference =
          typeof ref.digest === 'string' ? `${base}@${ref.digest}` : typeof ref.semver === 'string' ? withVersion(base, ref.semver, 'spec.ref.semver', fail) : `${base}:${typeof ref.tag === 'string' ? ref.tag : 'latest'}`;
        verify(add(reference, 'spec.url', 'oci-source'), spec.verify, 'spec.verify');
        break;
      }
      case 'HelmChart': {
        const sourceRef = rec(spec.sourceRef);
        if (sourceRef.kind !== 'HelmRepository' || typeof spec.chart !== 'string') break;
        const url = helmRepository(read, ns(o, defaultNamespace), String(sourceRef.name), spec.chart);
        if (!url) break;
        verify(add(withVersion(`${strip(url)}/${spec.chart}`, typeof spec.version === 'string' ? spec.version : '*', 'spec.version', fail), 'spec.chart', 'helm-chart'), spec.verify, 'spec.verify');
        break;
      }
      case 'HelmRelease': {
        const chart = rec(rec(spec.chart).spec);
        const sourceRef = rec(chart.sourceRef);
        if (sourceRef.kind !== 'HelmRepository' || typeof chart.chart !== 'string') break;
        const url = helmRepository(read, typeof sourceRef.namespace === 'string' ? sourceRef.namespace : ns(o, defaultNamespace), String(sourceRef.name), chart.chart);
        if (!url) break;
        const use = add(withVersion(`${strip(url)}/${chart.chart}`, typeof chart.version === 'string' ? chart.version : '*', 'spec.chart.spec.version', fail), 'spec.chart.spec.chart', 'helm-chart');
        verify(use, chart.verify, 'spec.chart.spec.verify');
        break;
      }
      case 'WasmPlugin': {
        if (typeof spec.url === 'string' && spec.url.startsWith(OCI)) add(spec.url.slice(OCI.length), 'spec.url', 'wasm', false);
        break;
      }
    }
  }
  return { uses, verifies, notes };
}

/** `host/path` + an exact version → `host/path:version` (a digest as `@`); a range cannot name one artifact: refused. */
function withVersion(base: string, version: string, path: string, fail: (path: string, message: string) => never): string {
  if (/^sha256:[0-9a-f]{64}$/.test(version)) return `${base}@${version}`;
  if (version === '' || version === 'latest') return `${base}:latest`;
  if (!EXACT_VERSION.test(version)) {
    return fail(path, `${JSON.stringify(version)} is a version range: the chart or artifact it resolves to changes with the registry, so this tool cannot say which one is deployed; pin an exact version (or a digest) to have it verified`);
  }
  // Helm and Flux tags carry `+` as `_` in OCI tags.
  return `${base}:${version.replaceAll('+', '_')}`;
}

function strip(url: string): string {
  return url.replace(/^oci:\/\//, '').replace(/\/+$/, '');
}

function rec(v: unknown): Record<string, unknown> {
  return asRecord(v) ?? {};
}

function name(o: Record<string, unknown>): string {
  const n = rec(o.metadata).name;
  return typeof n === 'string' ? n : '(unnamed)';
}

function ns(o: Record<string, unknown>, fallback = 'default'): string {
  const n = rec(o.metadata).namespace;
  return typeof n === 'string' ? n : fallback;
}
