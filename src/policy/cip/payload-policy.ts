// policy-controller's `policy{type: cue|rego}` run by the real evaluators, as its
// pkg/policy/eval.go does with their Go libraries: CUE unifies the program with the JSON and
// validates without asking for concreteness (`cue vet -c=false` over both as CUE: a bound on a
// field the JSON lacks passes there, as it does in cosign's and policy-controller's Validate()); Rego must be `package sigstore` and is queried
// `isCompliant = data.sigstore.isCompliant` (cosign's pkg/cosign/rego), in Rego v0 syntax as
// the OPA packages policy-controller links read it (`opa eval --v0-compatible`). A missing binary
// makes the check unsupported, never a pass.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PayloadPolicy } from '../model.js';

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
  return inTemp(async (dir) => {
    await writeFile(path.join(dir, 'policy.cue'), policy.source);
    // JSON is CUE; as a CUE file it is unified with the program instead of checked as (concrete) data.
    const pkg = /^\s*package\s+([\w$#]+)/m.exec(policy.source)?.[1];
    await writeFile(path.join(dir, 'input.cue'), `${pkg ? `package ${pkg}\n` : ''}${json}\n`);
    const r = await run('cue', ['vet', '-c=false', 'policy.cue', 'input.cue'], { cwd: dir, env });
    if (r.missing) return missing('CUE', 'cue');
    if (r.code === 0) return { ok: true };
    return { ok: false, reason: `failed evaluating cue policy for ${name} (${policy.at}): ${clip(r.stderr || r.stdout)}` };
  });
}

async function rego(policy: PayloadPolicy, json: string, name: string, env: NodeJS.ProcessEnv): Promise<PolicyCheck> {
  return inTemp(async (dir) => {
    await writeFile(path.join(dir, 'sigstore.rego'), policy.source);
    const r = await run('opa', ['eval', '--v0-compatible', '--format', 'json', '--stdin-input', '--data', 'sigstore.rego', REGO_QUERY], { cwd: dir, env, input: json });
    if (r.missing) return missing('Rego', 'opa');
    let out: { result?: { bindings?: { isCompliant?: unknown } }[]; errors?: { message?: string }[] } | undefined;
    try {
      out = JSON.parse(r.stdout) as typeof out;
    } catch {
      out = undefined;
    }
    if (r.code !== 0 || !out || out.errors) {
      const why = out?.errors?.map((e) => e.message).join('; ') || clip(r.stderr || r.stdout) || `opa exit ${r.code}`;
      return { ok: false, error: true, reason: `cannot evaluate rego policy for ${name} (${policy.at}): ${why}` };
    }
    const notCompliant = `failed evaluating rego policy for type ${name} (${policy.at}): policy is not compliant for query '${REGO_QUERY}'`;
    for (const result of out.result ?? []) {
      const value = result.bindings?.isCompliant;
      if (value === true) return { ok: true };
      // A set of {result, warning, error} objects (cosign's CosignRuleResult): the first decides. A
      // warning fails too: policy-controller rejects on `err != nil || warn != nil` (validator.go).
      if (Array.isArray(value) && value.length > 0) {
        const first = (typeof value[0] === 'object' && value[0] !== null ? value[0] : {}) as { result?: unknown; warning?: unknown; error?: unknown };
        const warning = typeof first.warning === 'string' && first.warning !== '' ? first.warning : undefined;
        if (first.result === true) return warning ? { ok: false, reason: `${notCompliant.replace(/: policy is not compliant.*/, '')}: warning: ${warning}` } : { ok: true };
        return { ok: false, reason: `${notCompliant} with errors: ${typeof first.error === 'string' ? first.error : ''}` };
      }
    }
    return { ok: false, reason: notCompliant };
  });
}

function missing(language: string, bin: string): PolicyCheck {
  return { ok: false, unsupported: true, reason: `unsupported: ${language} policy needs \`${bin}\` on PATH` };
}

function clip(text: string): string {
  return text.trim().split('\n').slice(0, MAX_OUTPUT_LINES).join(' ').replace(/\s+/g, ' ');
}

async function inTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'verify-images-policy-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  missing?: true;
}

function run(bin: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => resolve({ code: null, stdout: '', stderr: e.message, ...(e.code === 'ENOENT' && { missing: true as const }) }));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.on('error', () => {}); // an evaluator that exits early closes its input
    child.stdin.end(opts.input ?? '');
  });
}
