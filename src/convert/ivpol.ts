// `convert --to ivpol`: Kyverno ClusterPolicy/Policy `verifyImages` rules → one
// ImageValidatingPolicy (policies.kyverno.io/v1) per policy (a Policy → a
// NamespacedImageValidatingPolicy). Attestor sets with `count` become CEL over
// verifyImageSignatures counts, attestations with conditions CEL over extractPayload().predicate,
// match/exclude matchConstraints plus a matchCondition. What cannot be expressed is a
// `# convert:` comment at that spot and a note (the command exits 1). Pure: documents in, text out.

import { Document, isMap, isSeq, type Node } from 'yaml';
import type { PolicyDocument } from '../policy/document.js';
import { Field } from '../policy/field.js';
import { autogenControllers, resourceFilter } from '../policy/kyverno/match.js';
import type { LabelSelector, ResourceClause, ResourceFilter } from '../policy/model.js';
import { expandPredicateType } from '../policy/predicate-types.js';
import { celCondition, celOperand } from './conditions.js';
import { kindResourceRule } from './kinds.js';

export interface ConvertNote {
  /** Where in the source policy. */
  file: string;
  line: number;
  message: string;
}

export interface Converted {
  /** The ImageValidatingPolicy as YAML, `# convert:` comments included. */
  yaml: string;
  notes: ConvertNote[];
}

type Path = (string | number)[];

const ALL_IMAGES = '(images.containers + images.initContainers + images.ephemeralContainers)';

/** One Kyverno policy document → its ImageValidatingPolicy, or null when it has no verifyImages rule. */
export function convertPolicy(doc: PolicyDocument): Converted | null {
  const root = Field.root(doc);
  const rules = root.at('spec').at('rules').list().filter((r) => r.at('verifyImages').list().length > 0);
  if (rules.length === 0) return null;
  const converted = new Converter(doc, root).run(rules);
  // Manifest signatures have no ImageValidatingPolicy form: said, so the rule is not lost in the migration.
  for (const r of root.at('spec').at('rules').list().filter((x) => x.at('validate').has('manifests'))) {
    converted.notes.push({ file: doc.file, line: r.line, message: `${r.rel()}: validate.manifests (signed manifests) has no ImageValidatingPolicy form: keep this rule in a ClusterPolicy` });
  }
  return converted;
}

class Converter {
  private readonly notes: ConvertNote[] = [];
  /** Comments to place: output path → text. */
  private readonly comments: { path: Path; text: string }[] = [];
  private readonly attestors: Record<string, unknown>[] = [];
  private readonly attestations: Record<string, unknown>[] = [];
  private readonly validations: Record<string, unknown>[] = [];
  private readonly matchReferences: Record<string, unknown>[] = [];
  /** `images[]` extractors translated from Kyverno imageExtractors. */
  private readonly images: { name: string; expression: string }[] = [];
  private configs: { mutateDigest: boolean; verifyDigest: boolean; required: boolean }[] = [];
  private actions = new Set<string>();

  constructor(
    private readonly doc: PolicyDocument,
    private readonly root: Field,
  ) {}

  /** Something the ImageValidatingPolicy cannot say: a comment at `out` and a note at the source. */
  private cannot(source: Field, out: Path, message: string): void {
    this.notes.push({ file: this.doc.file, line: source.line, message: `${source.rel() || 'document'}: ${message}` });
    this.comments.push({ path: out, text: ` convert: ${source.rel()}: ${message}` });
  }

  run(rules: Field[]): Converted {
    const spec = this.root.at('spec');
    const controllers = autogenControllers(this.root);
    const filters: ResourceFilter[] = [];
    for (const rule of rules) {
      filters.push(resourceFilter(rule, controllers));
      for (const [k, why] of [
        ['preconditions', 'preconditions are JMESPath over the admission request; write them as matchConditions (CEL)'],
        ['context', 'context entries (ConfigMaps, API calls) become variables with resource.Get/http in CEL'],
      ] as const) {
        if (rule.has(k)) this.cannot(rule.at(k), ['spec', 'validations'], why);
      }
      this.extractors(rule);
      for (const iv of rule.at('verifyImages').list()) this.entry(rule, iv, spec);
    }

    const failureAction = (spec.at('validationFailureAction').string() ?? 'Audit').toLowerCase();
    const actions = this.actions.size > 0 ? [...this.actions] : [failureAction === 'enforce' ? 'Deny' : 'Audit'];
    if (actions.length > 1) this.cannot(spec, ['spec', 'validationActions'], 'the entries mix Enforce and Audit: one ImageValidatingPolicy has one set of actions (Deny used)');
    if (spec.at('validationFailureActionOverrides').list().length > 0) {
      this.cannot(spec.at('validationFailureActionOverrides'), ['spec', 'validationActions'], 'per-namespace failure actions have no ImageValidatingPolicy equivalent (one policy per namespace set)');
    }
    const failurePolicy = spec.at('failurePolicy').string() ?? spec.at('webhookConfiguration').at('failurePolicy').string();
    const config = this.configs[0] ?? { mutateDigest: true, verifyDigest: true, required: true };
    if (this.configs.some((c) => JSON.stringify(c) !== JSON.stringify(config))) {
      this.cannot(spec.at('rules'), ['spec', 'validationConfigurations'], 'entries differ in mutateDigest/verifyDigest/required: the first entry’s settings are used');
    }

    const namespaced = this.root.at('kind').string() === 'Policy';
    const meta = this.root.at('metadata');
    const match = this.matchConstraints(filters);
    const out: Record<string, unknown> = {
      apiVersion: 'policies.kyverno.io/v1',
      kind: namespaced ? 'NamespacedImageValidatingPolicy' : 'ImageValidatingPolicy',
      metadata: {
        name: meta.at('name').string() ?? 'converted',
        ...(namespaced && { namespace: meta.at('namespace').string() ?? 'default' }),
        annotations: { 'verify-images.io/converted-from': `${this.root.at('kind').string()} ${meta.at('name').string() ?? ''}`.trim() },
      },
      spec: {
        validationActions: actions.length > 1 ? ['Deny'] : actions,
        ...(failurePolicy && { failurePolicy }),
        ...match,
        ...(this.images.length > 0 && { images: this.images }),
        matchImageReferences: this.matchReferences,
        validationConfigurations: config,
        attestors: this.attestors,
        ...(this.attestations.length > 0 && { attestations: this.attestations }),
        validations: this.validations.length > 0 ? this.validations : [{ expression: 'true', message: 'no attestor: only the digest settings apply' }],
      },
    };
    return { yaml: this.render(out), notes: this.notes };
  }

  private entry(rule: Field, iv: Field, spec: Field): void {
    const j = this.validations.length;
    const type = iv.at('type').string() ?? 'Cosign';
    const action = (iv.at('failureAction').string() ?? spec.at('validationFailureAction').string() ?? 'Audit').toLowerCase();
    this.actions.add(action === 'enforce' ? 'Deny' : 'Audit');
    this.configs.push({ mutateDigest: iv.at('mutateDigest').bool(true), verifyDigest: iv.at('verifyDigest').bool(true), required: iv.at('required').bool(true) });
    if (type === 'SigstoreBundle') this.cannot(iv.at('type'), ['spec', 'attestors'], 'type SigstoreBundle: ImageValidatingPolicy cosign attestors find bundles themselves; check the attestor');
    for (const k of ['validate', 'imageRegistryCredentials', 'cosignOCI11', 'useCache'] as const) {
      if (iv.has(k) && !(k === 'useCache' && iv.at(k).value === true)) {
        this.cannot(iv.at(k), ['spec', 'validations'], k === 'imageRegistryCredentials' ? 'credentials go to spec.credentials (Kyverno namespace secrets)' : `${k} has no ImageValidatingPolicy equivalent`);
      }
    }

    // Which images this entry judges, as CEL over an image string (Kyverno wildcards: * crosses /).
    const refs = iv.at('imageReferences').stringList();
    if (iv.has('image')) refs.push(iv.at('image').requiredString());
    const skips = iv.at('skipImageReferences').stringList();
    const matches = (v: string) => {
      const include = refs.map((r) => `${v}.matches(${JSON.stringify(wildcardRegex(r))})`).join(' || ');
      const exclude = skips.map((r) => `${v}.matches(${JSON.stringify(wildcardRegex(r))})`).join(' || ');
      return exclude ? `(${include}) && !(${exclude})` : refs.length > 1 ? `(${include})` : include;
    };
    if (skips.length === 0 && refs.every((r) => !/[[{\\]/.test(r))) for (const r of refs) this.matchReferences.push({ glob: r });
    else this.matchReferences.push({ expression: matches('ref') });
    const judged = `${this.allImages()}.filter(i, ${matches('i')})`;
    const repository = iv.at('repository').string();

    // Signatures: each attestor set is one validation; entries are counted.
    const sets = iv.at('attestors').list();
    const legacy = iv.has('key') ? { key: iv.at('key'), annotations: iv.at('annotations') } : undefined;
    sets.forEach((set, s) => {
      const count = this.setCount(set, `r${j}s${s}`, type, repository);
      this.validations.push({ expression: `${judged}.all(i, ${count})`, message: `${iv.rel()}.${set.rel(iv)}: no signature verified as required` });
    });
    if (legacy) {
      const name = `r${j}key`;
      this.attestors.push({ name, cosign: { key: { data: legacy.key.requiredString() }, ...(legacy.annotations.exists && { annotations: legacy.annotations.stringMap() }) } });
      this.validations.push({ expression: `${judged}.all(i, verifyImageSignatures(i, [attestors.${name}]) > 0)`, message: `${iv.rel()}.key: no signature verified` });
    }
    if (['roots', 'subject', 'issuer'].some((k) => iv.has(k)) && !iv.has('key')) {
      const name = `r${j}keyless`;
      const attestor = this.cosign(iv, iv, name, repository, ['spec', 'attestors']);
      if (attestor) {
        this.attestors.push(attestor);
        this.validations.push({ expression: `${judged}.all(i, verifyImageSignatures(i, [attestors.${name}]) > 0)`, message: `${iv.rel()}: no keyless signature verified` });
      }
    }

    // Attestations: signed by their attestor sets, then every condition over the predicate.
    iv.at('attestations').list().forEach((a, k) => {
      const attName = `r${j}att${k}`;
      const typeField = a.has('type') ? a.at('type') : a.at('predicateType');
      const predicateType = expandPredicateType(typeField.requiredString());
      this.attestations.push({ name: attName, ...(type === 'Notary' ? { referrer: { type: predicateType } } : { intoto: { type: predicateType } }) });
      const attSets = a.at('attestors').list();
      if (attSets.length === 0) {
        // Kyverno's default: keyless, public-good Fulcio, any identity.
        const name = `${attName}signer`;
        this.attestors.push({ name, cosign: { keyless: { identities: [{ issuerRegExp: '.*', subjectRegExp: '.*' }] } } });
        this.validations.push({ expression: `${judged}.all(i, verifyAttestationSignatures(i, attestations.${attName}, [attestors.${name}]) > 0)`, message: `${iv.rel()}.${a.rel(iv)}: no signed attestation of type ${predicateType}` });
      }
      if (type !== 'Notary' && attSets.some((set) => JSON.stringify(set.value ?? null).includes('"ignoreTlog":true'))) {
        this.cannot(a, ['spec', 'attestations'], 'rekor.ignoreTlog: an ImageValidatingPolicy refuses a legacy .att attestation whose log entry it does not verify (only cosign 3 bundles pass): attest with cosign 3 or keep the transparency log');
      }
      attSets.forEach((set, s) => {
        const count = this.setCount(set, `${attName}s${s}`, type, repository, attName);
        this.validations.push({ expression: `${judged}.all(i, ${count})`, message: `${iv.rel()}.${set.rel(iv)}: no attestation of type ${predicateType} signed as required` });
      });
      const conditions = a.at('conditions');
      if (conditions.exists) {
        const payload = type === 'Notary' ? `extractPayload(i, attestations.${attName})` : `extractPayload(i, attestations.${attName}).predicate`;
        const cel = this.conditions(conditions, payload, a.at('name').string());
        if (cel) this.validations.push({ expression: `${judged}.all(i, ${cel})`, message: `${iv.rel()}.${a.rel(iv)}: the attestation of type ${predicateType} does not meet the conditions` });
      }
    });
  }

  /** Every image the policy extracts: the default categories, and the custom ones (which may be absent for a kind). */
  private allImages(): string {
    if (this.images.length === 0) return ALL_IMAGES;
    const cats = ['containers', 'initContainers', 'ephemeralContainers', ...this.images.map((i) => i.name)];
    return `(${cats.map((c) => `(${JSON.stringify(c)} in images ? images.${c} : [])`).join(' + ')})`;
  }

  /**
   * Kyverno imageExtractors (`{Kind: [{path: /spec/steps/*, value: image, jmesPath}]}`) → CEL
   * extractors: one `*` becomes a map over the list; `trim_prefix(@, 'x')` a conditional substring.
   */
  private extractors(rule: Field): void {
    for (const [kind, list] of rule.at('imageExtractors').entries()) {
      list.list().forEach((x, n) => {
        const segments = (x.at('path').string() ?? '').split('/').filter(Boolean);
        const stars = segments.filter((s) => s === '*').length;
        const name = (x.at('name').string() ?? `${kind}${n}`).replace(/[^A-Za-z0-9_]/g, '_');
        const value = x.at('value').string() ?? 'image';
        const field = (segs: string[]) => segs.map((s) => (/^[A-Za-z_]\w*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join('');
        let expr: string | undefined;
        if (stars === 0) expr = `[object${field(segments)}${field([value])}]`;
        else if (stars === 1) {
          const at = segments.indexOf('*');
          expr = `object${field(segments.slice(0, at))}.map(x, x${field([...segments.slice(at + 1), value])})`;
        }
        const jmes = x.at('jmesPath').string();
        if (expr && jmes) {
          const trim = /^trim_prefix\(\s*@\s*,\s*'([^']*)'\s*\)$/.exec(jmes.trim());
          expr = trim ? `${expr}.map(i, i.startsWith(${JSON.stringify(trim[1])}) ? i.substring(${trim[1]!.length}) : i)` : undefined;
        }
        if (!expr) {
          this.cannot(x, ['spec', 'matchImageReferences'], `image extractor ${x.at('path').string()}${jmes ? ` with jmesPath ${jmes}` : ''}: only one * and trim_prefix translate to CEL`);
          return;
        }
        this.images.push({ name, expression: expr });
      });
    }
  }

  /** `count` over the set's entries (unset: all), each entry a verification counting 1; nested sets count 1 when satisfied. */
  private setCount(set: Field, prefix: string, type: string, repository: string | undefined, attestation?: string): string {
    const entries = set.at('entries').list();
    const terms: string[] = [];
    const single: string[] = [];
    entries.forEach((e, n) => {
      if (e.has('attestor')) {
        const inner = this.setCount(e.at('attestor'), `${prefix}e${n}`, type, e.at('repository').string() ?? repository, attestation);
        terms.push(`(${inner} ? 1 : 0)`);
        return;
      }
      for (const attestor of this.entryAttestors(e, `${prefix}e${n}`, type, e.at('repository').string() ?? repository)) {
        this.attestors.push(attestor);
        single.push(`attestors.${attestor['name'] as string}`);
      }
    });
    const verify = (list: string[]) =>
      attestation ? `verifyAttestationSignatures(i, attestations.${attestation}, [${list.join(', ')}])` : `verifyImageSignatures(i, [${list.join(', ')}])`;
    if (single.length > 0) terms.unshift(verify(single));
    // Nothing expressible in the set (notes say why): it must not pass by omission.
    if (terms.length === 0) return 'false';
    const total = single.length + (terms.length - (single.length > 0 ? 1 : 0));
    const needed = set.at('count').integer() ?? total;
    return `${terms.length === 1 ? terms[0] : `(${terms.join(' + ')})`} >= ${needed}`;
  }

  /** One Kyverno entry → attestors (several PEM keys are several attestors, as Kyverno counts them). */
  private entryAttestors(e: Field, name: string, type: string, repository: string | undefined): Record<string, unknown>[] {
    const outPath = ['spec', 'attestors'];
    const variable = ['keys.publicKeys', 'keys.kms', 'certificates.cert', 'certificates.certChain', 'keyless.subject', 'keyless.issuer', 'keyless.roots']
      .map((p) => p.split('.').reduce((f, k) => f.at(k), e))
      .find((f) => /\{\{.*\}\}/s.test(String(f.value ?? '')));
    if (variable) {
      this.cannot(variable, outPath, 'a {{ }} variable: write it as a CEL key.expression / certs.expression over variables');
      return [];
    }
    if (type === 'Notary') {
      const certs = e.at('certificates');
      if (!certs.exists) {
        this.cannot(e, outPath, 'a Notary entry needs certificates');
        return [];
      }
      const pem = [certs.at('cert').string(), certs.at('certChain').string()].filter(Boolean).join('\n');
      const tsa = certs.at('ctlog').at('tsaCertChain').string();
      return [{ name, notary: { certs: { value: pem }, ...(tsa && { tsaCerts: { value: tsa } }) } }];
    }
    if (e.has('keys')) {
      const keys = e.at('keys');
      if (keys.has('secret')) {
        this.cannot(keys.at('secret'), outPath, 'keys.secret: an ImageValidatingPolicy key is data, kms or a CEL expression (e.g. resource.Get of the Secret)');
        return [];
      }
      const pems = (keys.at('publicKeys').string() ?? '').match(/-----BEGIN [A-Z ]*PUBLIC KEY-----[\s\S]+?-----END [A-Z ]*PUBLIC KEY-----/g) ?? [];
      const kms = keys.at('kms').string();
      const k8s = /^k8s:\/\//.test((keys.at('publicKeys').string() ?? '').trim());
      if (k8s) {
        this.cannot(keys.at('publicKeys'), outPath, 'k8s:// keys: keep the PEM, or read the Secret with a key.expression');
        return [];
      }
      const base = this.transparency(keys, e, repository);
      const hash = keys.at('signatureAlgorithm').string() ?? e.at('signatureAlgorithm').string();
      if (kms) return [{ name, cosign: { key: { kms, ...(hash && { hashAlgorithm: hash }) }, ...base } }];
      return pems.map((pem, k) => ({ name: pems.length > 1 ? `${name}k${k}` : name, cosign: { key: { data: `${pem}\n`, ...(hash && { hashAlgorithm: hash }) }, ...base } }));
    }
    if (e.has('keyless')) {
      const a = this.cosign(e.at('keyless'), e, name, repository, outPath);
      return a ? [a] : [];
    }
    if (e.has('certificates')) {
      const c = e.at('certificates');
      const cert = c.at('cert').string();
      const chain = c.at('certChain').string();
      return [{ name, cosign: { certificate: { ...(cert && { cert: { value: cert } }), ...(chain && { certChain: { value: chain } }) }, ...this.transparency(c, e, repository) } }];
    }
    this.cannot(e, outPath, 'an entry without keys, keyless or certificates');
    return [];
  }

  private cosign(keyless: Field, entry: Field, name: string, repository: string | undefined, outPath: Path): Record<string, unknown> | undefined {
    const identity: Record<string, string> = {};
    const subject = keyless.at('subject').string();
    const issuer = keyless.at('issuer').string();
    // Kyverno matches subject/issuer with wildcards; IVPOL compares exactly: wildcards become anchored regexps.
    if (subject !== undefined) {
      if (/[*?]/.test(subject)) identity['subjectRegExp'] = wildcardRegex(subject);
      else identity['subject'] = subject;
    }
    if (issuer !== undefined) {
      if (/[*?]/.test(issuer)) identity['issuerRegExp'] = wildcardRegex(issuer);
      else identity['issuer'] = issuer;
    }
    for (const k of ['subjectRegExp', 'issuerRegExp']) {
      const v = keyless.at(k).string();
      if (v !== undefined) identity[k] = v;
    }
    const roots = keyless.at('roots').string();
    const extensions = keyless.at('additionalExtensions');
    if (Object.keys(identity).length === 0 && !roots) {
      this.cannot(keyless, outPath, 'keyless without subject or issuer: ImageValidatingPolicy requires identities (any identity written as subjectRegExp: ".*")');
      identity['subjectRegExp'] = '.*';
      identity['issuerRegExp'] = '.*';
    }
    return {
      name,
      cosign: {
        keyless: { identities: [identity], ...(roots && { roots }), ...(extensions.exists && { additionalExtensions: extensions.stringMap() }) },
        ...this.transparency(keyless, entry, repository),
      },
    };
  }

  /** rekor / ctlog / annotations / repository of an entry → the attestor's ctlog, annotations, source. */
  private transparency(f: Field, entry: Field, repository: string | undefined): Record<string, unknown> {
    const rekor = f.at('rekor');
    const ctlog = f.at('ctlog');
    const out: Record<string, unknown> = {};
    const c: Record<string, unknown> = {};
    if (rekor.has('url')) c['url'] = rekor.at('url').string();
    if (rekor.has('pubkey')) c['rekorPubKey'] = rekor.at('pubkey').string();
    if (rekor.at('ignoreTlog').bool(false)) c['insecureIgnoreTlog'] = true;
    if (ctlog.at('ignoreSCT').bool(false)) c['insecureIgnoreSCT'] = true;
    if (ctlog.has('pubkey')) c['ctLogPubKey'] = ctlog.at('pubkey').string();
    if (ctlog.has('tsaCertChain')) c['tsaCertChain'] = ctlog.at('tsaCertChain').string();
    if (Object.keys(c).length > 0) out['ctlog'] = c;
    const annotations = entry.at('annotations');
    if (annotations.exists) {
      out['annotations'] = annotations.stringMap();
      this.cannot(annotations, ['spec', 'attestors'], "Kyverno's ImageValidatingPolicy compares them with the signature layer's OCI annotations, not the signed payload where cosign sign -a writes them: the converted policy refuses every image (kept, check it)");
    }
    if (repository) out['source'] = { repository };
    return out;
  }

  /** Kyverno conditions ({any, all} blocks) → one CEL expression over `payload`; undefined (with a note) when not expressible. */
  private conditions(f: Field, payload: string, name: string | undefined): string | undefined {
    const blocks = Array.isArray(f.value) ? f.list() : [f];
    const parts: string[] = [];
    for (const b of blocks) {
      const one = (c: Field): string | undefined => {
        const key = celOperand(c.at('key').value, payload, name);
        const value = celOperand(c.at('value').value, payload, name);
        if (typeof key !== 'string' || typeof value !== 'string') {
          this.cannot(c, ['spec', 'validations'], `condition ${key === undefined || typeof key !== 'string' ? 'key' : 'value'} is not a plain JMESPath path or literal`);
          return undefined;
        }
        const expr = celCondition(c.at('operator').requiredString(), key, value, c.at('value').value);
        if (!expr) this.cannot(c, ['spec', 'validations'], `operator ${c.at('operator').string()} on these values has no CEL translation`);
        return expr;
      };
      const all = b.at('all').list().map(one);
      const any = b.at('any').list().map(one);
      if ([...all, ...any].includes(undefined)) return undefined;
      const terms = [...all, ...(any.length > 0 ? [`(${any.join(' || ')})`] : [])];
      parts.push(terms.length > 0 ? terms.join(' && ') : 'true');
    }
    return parts.length === 1 ? parts[0] : parts.map((p) => `(${p})`).join(' && ');
  }

  /** Kinds → resourceRules (controllers listed, autogen off); the rest of the filter → a matchCondition. */
  private matchConstraints(filters: ResourceFilter[]): Record<string, unknown> {
    const clauses = filters.flatMap((f) => f.match.flat());
    const kinds = [...new Set(clauses.flatMap((c) => c.kinds ?? ['*']))];
    const rules = kinds.map((k) => kindResourceRule(k));
    // One rule per API group and version, listing its resources.
    const grouped = new Map<string, { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }>();
    for (const { rule } of rules) {
      const key = `${rule.apiGroups.join(',')}/${rule.apiVersions.join(',')}`;
      const g = grouped.get(key);
      if (g) g.resources = [...new Set([...g.resources, ...rule.resources])];
      else grouped.set(key, { ...rule, resources: [...rule.resources] });
    }
    const resourceRules = [...grouped.values()];
    for (const r of rules) if (r.note) this.cannot(this.root.at('spec').at('rules'), ['spec', 'matchConstraints'], r.note);
    const nsSelectors = clauses.flatMap((c) => (c.namespaceSelector ? [c.namespaceSelector] : []));
    if (nsSelectors.length > 1) this.cannot(this.root.at('spec').at('rules'), ['spec', 'matchConstraints'], 'several namespaceSelectors: only the first is kept');
    const condition = filterCondition(filters);
    return {
      matchConstraints: {
        resourceRules,
        ...(nsSelectors.length > 0 && { namespaceSelector: nsSelectors[0] }),
      },
      autogen: { podControllers: { controllers: [] } },
      ...(condition && { matchConditions: [{ name: 'kyverno-match', expression: condition }] }),
    };
  }

  private render(value: Record<string, unknown>): string {
    const doc = new Document(value);
    for (const { path, text } of this.comments) {
      const node = nodeAt(doc, path);
      if (node) node.commentBefore = node.commentBefore ? `${node.commentBefore}\n${text}` : text;
    }
    return doc.toString({ lineWidth: 0 });
  }
}

function nodeAt(doc: Document, path: Path): Node | undefined {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (isMap(node)) node = node.get(seg, true);
    else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return undefined;
  }
  return node as Node | undefined;
}

/** Kyverno wildcard (go-wildcard: `*` any run including `/`, `?` one character) → an anchored RE2 regexp. */
export function wildcardRegex(pattern: string): string {
  return `^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`;
}

/** The whole resource filter as CEL over `object` (kinds included), or undefined when it is only kinds. */
function filterCondition(filters: ResourceFilter[]): string | undefined {
  const onlyKinds = filters.every((f) => f.exclude.length === 0 && f.match.every((all) => all.every((c) => Object.keys(c).every((k) => k === 'kinds'))));
  if (onlyKinds) return undefined;
  const ns = "(has(object.metadata.namespace) ? object.metadata.namespace : 'default')";
  const clause = (c: ResourceClause): string => {
    const terms: string[] = [];
    if (c.kinds) terms.push(`(${c.kinds.map((k) => `object.kind.matches(${JSON.stringify(wildcardRegex(k.split('/').pop()!))})`).join(' || ')})`);
    if (c.namespaces) terms.push(`(${c.namespaces.map((n) => `${ns}.matches(${JSON.stringify(wildcardRegex(n))})`).join(' || ')})`);
    if (c.names) terms.push(`(${c.names.map((n) => `object.metadata.name.matches(${JSON.stringify(wildcardRegex(n))})`).join(' || ')})`);
    if (c.selector) terms.push(selectorCel(c.selector, 'labels'));
    if (c.annotations) terms.push(selectorCel({ matchLabels: c.annotations }, 'annotations'));
    return terms.length > 0 ? terms.join(' && ') : 'true';
  };
  const any = (alts: ResourceClause[][]) => alts.map((all) => `(${all.map(clause).join(' && ')})`).join(' || ');
  return filters
    .map((f) => `(${any(f.match)})${f.exclude.length > 0 ? ` && !(${any(f.exclude)})` : ''}`)
    .map((x) => (filters.length > 1 ? `(${x})` : x))
    .join(' || ');
}

function selectorCel(s: LabelSelector, field: 'labels' | 'annotations'): string {
  const m = `object.metadata.${field}`;
  const has = (k: string) => `has(${m}) && ${JSON.stringify(k)} in ${m}`;
  const terms = Object.entries(s.matchLabels ?? {}).map(([k, v]) =>
    /[*?]/.test(v) ? `(${has(k)} && ${m}[${JSON.stringify(k)}].matches(${JSON.stringify(wildcardRegex(v))}))` : `(${has(k)} && ${m}[${JSON.stringify(k)}] == ${JSON.stringify(v)})`,
  );
  for (const e of s.matchExpressions ?? []) {
    const values = JSON.stringify(e.values ?? []);
    if (e.operator === 'In') terms.push(`(${has(e.key)} && ${m}[${JSON.stringify(e.key)}] in ${values})`);
    if (e.operator === 'NotIn') terms.push(`!(${has(e.key)} && ${m}[${JSON.stringify(e.key)}] in ${values})`);
    if (e.operator === 'Exists') terms.push(`(${has(e.key)})`);
    if (e.operator === 'DoesNotExist') terms.push(`!(${has(e.key)})`);
  }
  return terms.length > 0 ? `(${terms.join(' && ')})` : 'true';
}


