// The CEL engine (@bufbuild/cel and its protobuf runtime) costs ~0.2 s to load: it is loaded only
// when a policy set holds an ImageValidatingPolicy (prepareLoaders()), never at start-up.

type CelModule = typeof import('./cel.js');

let runtime: CelModule | undefined;

/** Loads the CEL engine once; the loaders' synchronous parts can then use celRuntime(). */
export async function loadCel(): Promise<CelModule> {
  return (runtime ??= await import('./cel.js'));
}

export function celRuntime(): CelModule {
  if (!runtime) throw new Error('internal: the CEL engine is not loaded (await loadCel() before loading ImageValidatingPolicies)');
  return runtime;
}
