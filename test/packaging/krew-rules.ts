// krew's manifest validation, as kubernetes-sigs/krew applies it: the structural
// checks of internal/index/validation/validate.go plus those of
// cmd/validate-krew-manifest (every platform matches a supported os/arch and no
// os/arch is matched by two platforms). Test helper, not a test.

export interface KrewPlatform {
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  uri?: string;
  sha256?: string;
  bin?: string;
  files?: { from?: string; to?: string }[];
}

export interface KrewPlugin {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: { version?: string; shortDescription?: string; description?: string; homepage?: string; platforms?: KrewPlatform[] };
}

/** os/arch pairs krew's validator accepts (cmd/validate-krew-manifest). */
export const SUPPORTED_PLATFORMS = [
  'darwin/386', 'darwin/amd64', 'darwin/arm64',
  'linux/386', 'linux/amd64', 'linux/arm', 'linux/arm64', 'linux/ppc64le',
  'windows/386', 'windows/amd64', 'windows/arm64',
];

const WINDOWS_FORBIDDEN = ['CON', 'PRN', 'AUX', 'NUL', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`])];
// krew parses with semver after requiring the leading "v".
const SEMVER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** Every rule the manifest breaks (empty when krew would accept it). `name` is the file's base name. */
export function validateKrewManifest(p: KrewPlugin, name: string): string[] {
  const errors: string[] = [];
  if (p.apiVersion !== 'krew.googlecontainertools.github.com/v1alpha2') errors.push(`apiVersion ${p.apiVersion} not supported`);
  if (p.kind !== 'Plugin') errors.push(`kind ${p.kind} is not Plugin`);
  if (!/^[\w-]+$/.test(name) || WINDOWS_FORBIDDEN.some((f) => f.toLowerCase() === name.toLowerCase())) errors.push(`plugin name ${name} not allowed`);
  if (p.metadata?.name !== name) errors.push(`plugin should be named ${name}, not ${p.metadata?.name}`);
  const spec = p.spec ?? {};
  if (!spec.shortDescription) errors.push('should have a short description');
  else if (/[\r\n]/.test(spec.shortDescription)) errors.push('short description has line breaks');
  if (!spec.version) errors.push('should have a version');
  else if (!SEMVER.test(spec.version)) errors.push(`version ${spec.version} is not vX.Y.Z semver`);
  const platforms = spec.platforms ?? [];
  if (platforms.length === 0) errors.push('should have a platform');
  platforms.forEach((pl, i) => errors.push(...validatePlatform(pl).map((e) => `platforms[${i}]: ${e}`)));
  // validate-krew-manifest: each platform installs somewhere, no os/arch twice.
  platforms.forEach((pl, i) => {
    if (!SUPPORTED_PLATFORMS.some((osArch) => selects(pl, osArch))) errors.push(`platforms[${i}] matches no supported os/arch`);
  });
  for (const osArch of SUPPORTED_PLATFORMS) {
    const matching = platforms.flatMap((pl, i) => (selects(pl, osArch) ? [i] : []));
    if (matching.length > 1) errors.push(`${osArch} is matched by overlapping platforms ${matching.join(', ')}`);
  }
  return errors;
}

function validatePlatform(p: KrewPlatform): string[] {
  const errors: string[] = [];
  if (!p.uri) errors.push('uri has to be set');
  else if (!/\.(zip|tar\.gz)$/.test(new URL(p.uri).pathname)) errors.push(`uri ${p.uri} is not a .zip or .tar.gz`);
  if (!p.sha256) errors.push('sha256 has to be set');
  else if (!/^[a-f0-9]{64}$/.test(p.sha256)) errors.push(`sha256 ${p.sha256} must match ^[a-f0-9]{64}$`);
  if (!p.bin) errors.push('bin has to be set');
  if (p.files !== undefined) {
    if (p.files.length === 0) errors.push('files has to be unspecified or non-empty');
    for (const f of p.files) if (!f.from || !f.to) errors.push('files entries need from and to');
  }
  const sel = p.selector;
  if (!sel) errors.push('nil selector is not supported');
  else {
    if (!sel.matchLabels && !sel.matchExpressions?.length) errors.push('empty selector is not supported');
    const keys = [...Object.keys(sel.matchLabels ?? {}), ...(sel.matchExpressions ?? []).map((e) => e.key)];
    for (const k of keys) if (k !== 'os' && k !== 'arch') errors.push(`selector key ${k} not supported`);
    if (sel.matchLabels && Object.keys(sel.matchLabels).length === 0) errors.push('matchLabels specified but empty');
    if (sel.matchExpressions && sel.matchExpressions.length === 0) errors.push('matchExpressions specified but empty');
  }
  return errors;
}

/** Label-selector semantics over the labels {os, arch}. */
export function selects(p: KrewPlatform, osArch: string): boolean {
  const [os, arch] = osArch.split('/') as [string, string];
  const labels: Record<string, string> = { os, arch };
  const sel = p.selector;
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const value = labels[e.key];
    const ok =
      e.operator === 'In' ? has && (e.values ?? []).includes(value!) :
      e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(value!) :
      e.operator === 'Exists' ? has :
      e.operator === 'DoesNotExist' ? !has : false;
    if (!ok) return false;
  }
  return true;
}
