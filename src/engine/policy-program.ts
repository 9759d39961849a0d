// policy-controller's `policy{type: cue|rego}` run by the real evaluators, as its
// pkg/policy/eval.go does with their Go libraries: CUE unifies the program with the JSON and
// validates without asking for concreteness (`cue vet -c=false` over both as CUE: a bound on a
// field the JSON lacks passes there, as it does in cosign's and policy-controller's Validate()); Rego must be `package sigstore` and is queried
// `isCompliant = data.sigstore.isCompliant` (cosign's pkg/cosign/rego), in Rego v0 syntax as
// the OPA packages policy-controller links read it (`opa eval --v0-compatible`). A missing binary
// makes the check unsupported, never a pass.

import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PayloadPolicy } from '../policy/model.js';
import { inTempDir, runTool } from '../sources/run-tool.js';

export type PolicyCheck =
  | { ok: true }
  /** `error`: the program itself could not run (does not compile, evaluator crashed); `unsupported`: no evaluator here. */
  | { ok: false; reason: string; error?: true; unsupported?: true };

const REGO_QUERY = 'isCompliant = data.sigstore.isCompliant';
/** Evaluator output kept in a reason: the first lines say which clause failed. */
const MAX_OUTPUT_LINES = 6;

/** One evaluation per program and document in a run: statements repeat across images and rules. */
const memo = new Map<string, Promise<PolicyCheck>>();

/** Whether `json` satisfies the program; `name` is what upstream's messages call it (attestation name, `ClusterImagePolicy`). */
export function checkPayloadPolicy(policy: PayloadPolicy, json: string, name: string, env: NodeJS.ProcessEnv = process.env): Promise<PolicyCheck> {
  const key = createHash('sha256').update(JSON.stringify([policy.type, policy.source, name, json, env.PATH ?? ''])).digest('hex');
  let check = memo.get(key);
  if (!check) {
    check = policy.type === 'cue' ? cue(policy, json, name, env) : rego(policy, json, name, env);
    memo.set(key, check);
  }
  return check;
}

async function cue(policy: PayloadPolicy, json: string, name: string, env: NodeJS.ProcessEnv): Promise<PolicyCheck> {
  return inTempDir(async (dir) => {
    await writeFile(path.join(dir, 'policy.cue'), policy.source);
    // JSON is CUE; as a CUE file it is unified with the program instead of checked as (concrete) data.
    const pkg = /^\s*package\s+([\w$#]+)/m.exec(policy.source)?.[1];
    await writeFile(path.join(dir, 'input.cue'), `${pkg ? `package ${pkg}\n` : ''}${json}\n`);
    const r = await runTool('cue', ['vet', '-c=false', 'policy.cue', 'input.cue'], { cwd: dir, env });
    if (r.missing) return missing('CUE', 'cue');
    if (r.code === 0) return { ok: true };
    return { ok: false, reason: `failed evaluating cue policy for ${name} (${policy.at}): ${clip(r.stderr || r.stdout)}` };
  }, 'verify-images-policy-');
}

async function rego(policy: PayloadPolicy, json: string, name: string, env: NodeJS.ProcessEnv): Promise<PolicyCheck> {
  return inTempDir(async (dir) => {
    await writeFile(path.join(dir, 'sigstore.rego'), policy.source);
    const r = await runTool('opa', ['eval', '--v0-compatible', '--format', 'json', '--stdin-input', '--data', 'sigstore.rego', REGO_QUERY], { cwd: dir, env, input: json });
    if (r.missing) return missing('Rego', 'opa');
    return regoVerdict(r, `${name} (${policy.at})`);
  }, 'verify-images-policy-');
}

/**
 * What `opa eval --format json` said, as cosign's ValidateJSONWithModuleInput reads the binding:
 * `true` passes; a set of {result, warning, error} objects is decided by its first (a warning
 * fails too: policy-controller rejects on `err != nil || warn != nil`); anything else fails. Pure.
 */
export function regoVerdict(r: { code: number | null; stdout: string; stderr: string }, what: string): PolicyCheck {
  let out: { result?: { bindings?: { isCompliant?: unknown } }[]; errors?: { message?: string }[] } | undefined;
  try {
    out = JSON.parse(r.stdout) as typeof out;
  } catch {
    out = undefined;
  }
  if (r.code !== 0 || !out || out.errors) {
    const why = out?.errors?.map((e) => e.message).join('; ') || clip(r.stderr || r.stdout) || `opa exit ${r.code}`;
    return { ok: false, error: true, reason: `cannot evaluate rego policy for ${what}: ${why}` };
  }
  const failed = `failed evaluating rego policy for type ${what}`;
  const notCompliant = `${failed}: policy is not compliant for query '${REGO_QUERY}'`;
  for (const result of out.result ?? []) {
    const value = result.bindings?.isCompliant;
    if (value === true) return { ok: true };
    if (Array.isArray(value) && value.length > 0) {
      const first = (typeof value[0] === 'object' && value[0] !== null ? value[0] : {}) as { result?: unknown; warning?: unknown; error?: unknown };
      const warning = typeof first.warning === 'string' && first.warning !== '' ? first.warning : undefined;
      if (first.result === true) return warning ? { ok: false, reason: `${failed}: warning: ${warning}` } : { ok: true };
      return { ok: false, reason: `${notCompliant} with errors: ${typeof first.error === 'string' ? first.error : ''}` };
    }
  }
  return { ok: false, reason: notCompliant };
}

function missing(language: string, bin: string): PolicyCheck {
  return { ok: false, unsupported: true, reason: `unsupported: ${language} policy needs \`${bin}\` on PATH` };
}

function clip(text: string): string {
  return text.trim().split('\n').slice(0, MAX_OUTPUT_LINES).join(' ').replace(/\s+/g, ' ');
}
