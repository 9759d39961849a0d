// The `yaml` package, loaded on first use: the fast read path needs it only for documents js-yaml
// cannot read alike and for positions asked on demand, so the parallel reader's workers (and
// runs whose policies need no `yaml`) start without it.

import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

export function yamlLib(): typeof Yaml {
  // A literal require() lets esbuild put it in the single binary; under native ESM, createRequire.
  return (lib ??= (typeof require === 'function' ? require('yaml') : createRequire(import.meta.url)('yaml')) as typeof Yaml);
}
