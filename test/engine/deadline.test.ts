// A verify is bounded in time: a registry that never answers costs --timeout, not minutes; a
// registry that fails now and then changes no verdict; one that always fails ends in `error`.
// Real registry (Debian's docker-registry) behind a proxy that misbehaves on purpose.
import t from 'tap';
import { createRegistryClient } from '../../src/registry/client.js';
import { startProgressLog } from '../../src/report/progress.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { startRegistryProxy } from '../../src/testkit/registry-proxy.js';
import { runCli, tempRepo } from '../helpers/cli.js';
import { deployment, kyverno, runScenario } from '../helpers/engine.js';

let registry: TestRegistry;
const key = generateKeyPair('ecdsa-p256');
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

/** `n` signed images in their own repositories; references through `host` (a proxy). */
async function signedImages(prefix: string, n: number) {
  const repos: string[] = [];
  for (let i = 0; i < n; i++) {
    const repo = `${prefix}/img${i}`;
    const digest = await pushImage(registry.host, repo, '1.0', { seed: `${prefix}${i}` });
    await signImage({ registry: registry.host, repo, digest, key });
    repos.push(repo);
  }
  return repos;
}

const manifests = (host: string, repos: string[]) => Object.fromEntries(repos.map((r, i) => [`d${i}.yaml`, deployment(`d${i}`, `${host}/${r}:1.0`)]));

t.test('a registry that accepts connections and never answers: every image `error` at --timeout, the report in full, exit 3', async (t) => {
  const hang = await startRegistryProxy('nowhere', { hang: true });
  t.teardown(() => hang.stop());
  const files: Record<string, string> = { 'p/policy.yaml': kyverno({ refs: [`${hang.host}/*`], keys: [key] }) };
  for (let i = 0; i < 40; i++) files[`apps/d${i}.yaml`] = deployment(`d${i}`, `${hang.host}/apps/img${i}:1.0`);
  const dir = await tempRepo(t, files, { prefix: 'vi-hang-' });
  const started = Date.now();
  const r = await runCli(dir, ['apps', '-p', 'p', '--timeout', '2s', '-o', 'json']);
  const elapsed = Date.now() - started;
  t.equal(r.code, 3);
  const out = JSON.parse(r.stdout);
  t.equal(out.summary.images, 40, 'the report holds every image');
  t.equal(out.summary.error, 40);
  for (const image of out.results) {
    t.equal(image.status, 'error');
    t.match(image.policies[0].reasons.join('\n'), /timed out after 2s \(--timeout\)|run's deadline \(--timeout\)/);
  }
  t.ok(elapsed < 20_000, `bounded by the deadline (${elapsed} ms for 40 images)`);
  t.ok(hang.requests() > 0, 'the requests did reach the hanging registry');
});

t.test('--request-timeout bounds one exchange; the retries share the run deadline', async (t) => {
  const hang = await startRegistryProxy('nowhere', { hang: true });
  t.teardown(() => hang.stop());
  const dir = await tempRepo(t, { 'p/policy.yaml': kyverno({ refs: [`${hang.host}/*`], keys: [key] }), 'apps/d.yaml': deployment('d', `${hang.host}/a/b:1`) });
  const r = await runCli(dir, ['apps', '-p', 'p', '--timeout', '4s', '--request-timeout', '300ms', '-o', 'json']);
  t.equal(r.code, 3);
  t.ok(hang.requests() >= 2, `timed-out exchanges are retried (${hang.requests()} requests)`);
  t.ok(hang.requests() <= 12, 'and not more than the attempts allowed');
  const bad = await runCli(dir, ['apps', '-p', 'p', '--timeout', 'soon']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--timeout soon: not a duration/);
});

t.test('503 to every third request changes no verdict', async (t) => {
  const repos = await signedImages('flaky', 12);
  const flaky = await startRegistryProxy(registry.host, { failEvery: 3 });
  t.teardown(() => flaky.stop());
  for (let run = 0; run < 3; run++) {
    const r = await runScenario(t, { manifests: manifests(flaky.host, repos), policies: { 'p.yaml': kyverno({ refs: [`${flaky.host}/*`], keys: [key] }) } });
    t.same(r.result.results.map((x) => x.status), repos.map(() => 'pass'), `run ${run + 1}: every image passes`);
    t.equal(r.code, 0);
  }
  t.ok(flaky.requests() > 60, `many requests, a third of them refused (${flaky.requests()})`);
});

t.test('a registry that always answers 503 ends in `error` (exit 3), saying so', async (t) => {
  const [repo] = await signedImages('down', 1);
  const down = await startRegistryProxy(registry.host, { failEvery: 1 });
  t.teardown(() => down.stop());
  const r = await runScenario(t, {
    manifests: manifests(down.host, [repo!]),
    policies: { 'p.yaml': kyverno({ refs: [`${down.host}/*`], keys: [key] }) },
    options: { registry: createRegistryClient({ retryBaseDelayMs: 5 }) },
  });
  t.equal(r.code, 3);
  const v = r.result.results[0]!;
  t.equal(v.status, 'error');
  t.match(v.policies[0]!.reasons.join('\n'), /unexpected status 503 after 12 attempts \(the registry is failing/);
});

t.test('-v off a terminal: a progress line every few seconds once a run is slow', async (t) => {
  const hang = await startRegistryProxy('nowhere', { hang: true });
  t.teardown(() => hang.stop());
  const dir = await tempRepo(t, { 'p/policy.yaml': kyverno({ refs: [`${hang.host}/*`], keys: [key] }), 'apps/d.yaml': deployment('d', `${hang.host}/a/b:1`) });
  const r = await runCli(dir, ['apps', '-p', 'p', '--timeout', '7s', '-v']);
  t.equal(r.code, 3);
  // The line's seconds are the clock's, read on a loaded machine: any whole number, within the 7 s run.
  t.match(r.stderr, /^verify-images: verifying images: 0\/1 done, 1 in flight [1-7]s$/m);
});

t.test('progress lines: none before the delay, then one per interval, none after stop', async (t) => {
  const lines: string[] = [];
  let now = 0;
  const timers = {
    fns: [] as { at: number; every?: number; fn: () => void }[],
    setTimeout(fn: () => void, ms: number) {
      const h = { at: now + ms, fn };
      this.fns.push(h);
      return h;
    },
    clearTimeout(h: unknown) {
      this.fns = this.fns.filter((x) => x !== h);
    },
    setInterval(fn: () => void, ms: number) {
      const h = { at: now + ms, every: ms, fn };
      this.fns.push(h);
      return h;
    },
    clearInterval(h: unknown) {
      this.fns = this.fns.filter((x) => x !== h);
    },
    now: () => now,
  };
  const tick = (to: number) => {
    while (true) {
      const due = timers.fns.filter((h) => h.at <= to).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      now = due.at;
      if (due.every) due.at += due.every;
      else timers.fns = timers.fns.filter((x) => x !== due);
      due.fn();
    }
    now = to;
  };
  let done = 0;
  const p = startProgressLog((s) => lines.push(s), { label: () => `verifying images: ${done}/4 done`, timers });
  tick(4999);
  t.same(lines, [], 'quiet for a fast run');
  tick(5000);
  done = 2;
  tick(10_000);
  t.same(lines, ['verify-images: verifying images: 0/4 done 5s\n', 'verify-images: verifying images: 2/4 done 10s\n']);
  p.stop();
  tick(60_000);
  t.equal(lines.length, 2);
});
