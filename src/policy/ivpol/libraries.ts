// The CEL libraries an ImageValidatingPolicy may call, re-implemented on @bufbuild/cel:
// Kyverno's image, imagedata and imageverify libraries (the verification functions ask the
// engine through the evaluation's context), json, yaml, time, hash and math, the Kubernetes
// lists, regex and quantity extensions, and the cluster lookups, which fail with a reason.

import { celNow } from './clock.js';
import { createHash } from 'node:crypto';
import { type CelFunc, celFunc, celMethod, CelScalar, listType, mapType } from '@bufbuild/cel';
import { parseDocument, stringify } from 'yaml';
import { activeContext, fromCel, toCel } from './cel.js';

const { STRING, INT, BOOL, DYN, DOUBLE } = CelScalar;
const LIST_DYN = listType(DYN);
const MAP = mapType(STRING, DYN);
const IMAGE_MARK = '__verifyImagesImage';

/** Names of the attestors in a list: `attestors.x` evaluates to its name. */
function names(list: unknown): string[] {
  return [...(list as Iterable<unknown>)].map((v) => (typeof v === 'string' ? v : String((fromCel(v) as { name?: unknown })?.name ?? '')));
}

export function libraries(): CelFunc[] {
  return [...imageLib(), ...imageVerifyLib(), ...jsonYamlLib(), ...hashMathTimeLib(), ...listsRegexLib(), ...quantityLib(), ...clusterLib()];
}

// --- kyverno image (go-containerregistry name.ParseReference) ---------------------------------

export interface GgcrReference {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
}

/** ggcr's answers: Docker Hub is `index.docker.io`, `library/` added, `repo:tag@digest` keeps no tag. */
export function ggcrReference(text: string): GgcrReference | undefined {
  const at = text.indexOf('@');
  const digest = at >= 0 ? text.slice(at + 1) : '';
  const name = at >= 0 ? text.slice(0, at) : text;
  if (digest && !/^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  const repoPart = hasTag ? name.slice(0, colon) : name;
  const tag = digest ? '' : hasTag ? name.slice(colon + 1) : 'latest';
  if (tag && !/^[\w][\w.-]{0,127}$/.test(tag)) return undefined;
  const slash = repoPart.indexOf('/');
  const first = slash >= 0 ? repoPart.slice(0, slash) : '';
  const isDomain = slash >= 0 && (/[.:]/.test(first) || first === 'localhost');
  let registry = isDomain ? first : 'index.docker.io';
  if (registry === 'docker.io') registry = 'index.docker.io';
  let repository = isDomain ? repoPart.slice(slash + 1) : repoPart;
  if (registry === 'index.docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) return undefined;
  return { registry, repository, tag, digest };
}

function imageLib(): CelFunc[] {
  const parseRef = (s: string) => {
    const r = ggcrReference(s);
    if (!r) throw new Error(`invalid image reference ${JSON.stringify(s)}`);
    return new Map<string, unknown>([[IMAGE_MARK, true], ['registry', r.registry], ['repository', r.repository], ['tag', r.tag], ['digest', r.digest]]);
  };
  const field = (m: unknown, k: string) => {
    const v = (m as ReadonlyMap<string, unknown>).get(k);
    if (v === undefined || !(m as ReadonlyMap<string, unknown>).has(IMAGE_MARK)) throw new Error(`${k}() is a method of an image (parseImageReference)`);
    return v as string;
  };
  return [
    celFunc('parseImageReference', [STRING], MAP, (s) => parseRef(s) as never),
    celFunc('image', [STRING], MAP, (s) => parseRef(s) as never),
    celFunc('isImage', [STRING], BOOL, (s) => ggcrReference(s) !== undefined),
    celMethod('registry', MAP, [], STRING, function () {
      return field(this, 'registry');
    }),
    celMethod('repository', MAP, [], STRING, function () {
      return field(this, 'repository');
    }),
    celMethod('tag', MAP, [], STRING, function () {
      return field(this, 'tag');
    }),
    celMethod('digest', MAP, [], STRING, function () {
      return field(this, 'digest');
    }),
    celMethod('identifier', MAP, [], STRING, function () {
      return field(this, 'digest') || field(this, 'tag');
    }),
    celMethod('containsDigest', MAP, [], BOOL, function () {
      return field(this, 'digest') !== '';
    }),
  ];
}

// --- kyverno imageverify / imagedata -------------------------------------------------------

function imageVerifyLib(): CelFunc[] {
  return [
    celFunc('verifyImageSignatures', [STRING, LIST_DYN], INT, (image, attestors) => BigInt(activeContext().verifySignatures(image, names(attestors)))),
    celFunc('verifyAttestationSignatures', [STRING, STRING, LIST_DYN], INT, (image, attestation, attestors) =>
      BigInt(activeContext().verifyAttestations(image, attestation, names(attestors))),
    ),
    celFunc('extractPayload', [STRING, STRING], DYN, (image, attestation) => toCel(activeContext().extractPayload(image, attestation)) as never),
    celFunc('getImageData', [STRING], DYN, (image) => toCel(activeContext().imageData(image)) as never),
    // The `image` context variable (imagedata library): image.getMetadata(ref).
    celMethod('getMetadata', STRING, [STRING], DYN, (ref) => toCel(activeContext().imageData(ref)) as never),
    celMethod('GetMetadata', STRING, [STRING], DYN, (ref) => toCel(activeContext().imageData(ref)) as never),
  ];
}

// --- json, yaml, hash, math, time ----------------------------------------------------------

function jsonYamlLib(): CelFunc[] {
  return [
    celFunc('json.unmarshal', [STRING], DYN, (s) => toCel(JSON.parse(s)) as never),
    celFunc('json.marshal', [DYN], STRING, (v) => JSON.stringify(fromCel(v))),
    celFunc('yaml.parse', [STRING], DYN, (s) => {
      const doc = parseDocument(s, { prettyErrors: false });
      if (doc.errors[0]) throw new Error(`yaml.parse: ${doc.errors[0].code}`);
      return toCel(doc.toJS()) as never;
    }),
    celFunc('yaml.marshal', [DYN], STRING, (v) => stringify(fromCel(v))),
  ];
}

function hashMathTimeLib(): CelFunc[] {
  const hash = (alg: string) => (s: string) => createHash(alg).update(s).digest('hex');
  return [
    celFunc('hash.sha1', [STRING], STRING, hash('sha1')),
    celFunc('hash.sha256', [STRING], STRING, hash('sha256')),
    celFunc('hash.md5', [STRING], STRING, hash('md5')),
    celFunc('math.round', [DOUBLE, INT], DOUBLE, (v, digits) => {
      const f = 10 ** Number(digits);
      return Math.round(v * f) / f;
    }),
    celFunc('time.now', [], STRING, () => celNow().toISOString()),
  ];
}

// --- Kubernetes extensions: lists, regex -------------------------------------------------

function listsRegexLib(): CelFunc[] {
  const arr = (l: unknown) => [...(l as Iterable<unknown>)];
  const cmp = (a: unknown, b: unknown) => (a! < b! ? -1 : a! > b! ? 1 : 0);
  return [
    celMethod('isSorted', LIST_DYN, [], BOOL, function () {
      const a = arr(this);
      return a.every((v, i) => i === 0 || cmp(a[i - 1], v) <= 0);
    }),
    celMethod('sum', LIST_DYN, [], DYN, function () {
      const a = arr(this);
      return (a.length === 0 ? 0n : a.reduce((x, y) => (x as bigint) + (y as bigint))) as never;
    }),
    celMethod('min', LIST_DYN, [], DYN, function () {
      const a = arr(this);
      if (a.length === 0) throw new Error('min of an empty list');
      return a.reduce((x, y) => (cmp(y, x) < 0 ? y : x)) as never;
    }),
    celMethod('max', LIST_DYN, [], DYN, function () {
      const a = arr(this);
      if (a.length === 0) throw new Error('max of an empty list');
      return a.reduce((x, y) => (cmp(y, x) > 0 ? y : x)) as never;
    }),
    celMethod('indexOf', LIST_DYN, [DYN], INT, function (v) {
      return BigInt(arr(this).findIndex((x) => x === v));
    }),
    celMethod('lastIndexOf', LIST_DYN, [DYN], INT, function (v) {
      const a = arr(this);
      for (let i = a.length - 1; i >= 0; i--) if (a[i] === v) return BigInt(i);
      return -1n;
    }),
    celMethod('find', STRING, [STRING], STRING, function (re) {
      return new RegExp(re).exec(this)?.[0] ?? '';
    }),
    celMethod('findAll', STRING, [STRING], listType(STRING), function (re) {
      return [...this.matchAll(new RegExp(re, 'g'))].map((m) => m[0]);
    }),
  ];
}

// --- Kubernetes quantity (resource.Quantity) ------------------------------------------------

const SUFFIX: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?)$/;
const QUANTITY_MARK = '__verifyImagesQuantity';

function quantityValue(s: string): number | undefined {
  const m = QUANTITY.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] ? 10 ** Number(m[2].slice(1)) : SUFFIX[m[3] ?? '']!);
}

function quantityLib(): CelFunc[] {
  const q = (v: unknown) => {
    const m = v as ReadonlyMap<string, unknown>;
    if (!m.has(QUANTITY_MARK)) throw new Error('not a quantity');
    return m.get('value') as number;
  };
  const make = (value: number) => new Map<string, unknown>([[QUANTITY_MARK, true], ['value', value]]);
  return [
    celFunc('isQuantity', [STRING], BOOL, (s) => quantityValue(s) !== undefined),
    celFunc('quantity', [STRING], MAP, (s) => {
      const v = quantityValue(s);
      if (v === undefined) throw new Error(`invalid quantity ${JSON.stringify(s)}`);
      return make(v) as never;
    }),
    celMethod('compareTo', MAP, [MAP], INT, function (o) {
      return BigInt(Math.sign(q(this) - q(o)));
    }),
    celMethod('isGreaterThan', MAP, [MAP], BOOL, function (o) {
      return q(this) > q(o);
    }),
    celMethod('isLessThan', MAP, [MAP], BOOL, function (o) {
      return q(this) < q(o);
    }),
    celMethod('add', MAP, [MAP], MAP, function (o) {
      return make(q(this) + q(o)) as never;
    }),
    celMethod('sub', MAP, [MAP], MAP, function (o) {
      return make(q(this) - q(o)) as never;
    }),
    celMethod('sign', MAP, [], INT, function () {
      return BigInt(Math.sign(q(this)));
    }),
    celMethod('isInteger', MAP, [], BOOL, function () {
      return Number.isInteger(q(this));
    }),
    celMethod('asInteger', MAP, [], INT, function () {
      return BigInt(Math.trunc(q(this)));
    }),
    celMethod('asApproximateFloat', MAP, [], DOUBLE, function () {
      return q(this);
    }),
  ];
}

// --- lookups that need the cluster -----------------------------------------------------------

function clusterLib(): CelFunc[] {
  const needs = (name: string) => () => {
    throw new Error(`${name} needs the cluster (a live lookup): this tool judges rendered manifests; keep the value in the policy or the manifest`);
  };
  const calls: [string, number][] = [
    ['resource.Get', 4],
    ['resource.List', 3],
    ['resource.Post', 4],
    ['globalContext.Get', 2],
    ['http.Get', 1],
    ['http.Post', 3],
    ['http.Client', 1],
  ];
  return calls.map(([name, n]) => celFunc(name, Array.from({ length: n }, () => DYN), DYN, needs(name) as never));
}
