// Test helper: start the real registry for one test file, stopped on teardown.
import type { Test } from 'tap';
import { RegistryUnavailableError, startRegistry, type StartRegistryOptions, type TestRegistry } from '../../src/testkit/registry-server.js';

/**
 * Whether a test may skip because the registry binary cannot be had here (a developer who is not
 * root). Never in CI: there the project's own scripts install it, so its absence is a failure.
 */
export function registryMissingMaySkip(err: unknown): err is RegistryUnavailableError {
  return err instanceof RegistryUnavailableError && !process.env.CI;
}

/** The registry, or undefined (test skipped) when the binary cannot be had here. */
export async function realRegistry(t: Test, opts?: StartRegistryOptions): Promise<TestRegistry | undefined> {
  try {
    const reg = await startRegistry(opts);
    t.teardown(() => reg.stop());
    return reg;
  } catch (err) {
    if (registryMissingMaySkip(err)) {
      t.skip(`real registry unavailable: ${err.message}`, () => {});
      return undefined;
    }
    throw err;
  }
}

/** Access-log lines arrive slightly after responses; wait until the count settles. */
export async function settledCount(reg: TestRegistry, expected: number): Promise<number> {
  const deadline = Date.now() + 3000;
  while (reg.requestCount() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 50));
  return reg.requestCount();
}
