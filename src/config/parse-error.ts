// Where a credentials file fails to parse, without a byte of its content: parser messages
// quote the text around the error (`"password": S3cretPass…`), and these files hold secrets.

import { yamlLib } from '../manifests/yaml-lib.js';

/** The 1-based line of the first syntax error in `text` (JSON when `json`, else YAML), if one is found. */
export function errorLine(text: string, json: boolean): number | undefined {
  const lineCounter = new (yamlLib().LineCounter)();
  const doc = yamlLib().parseDocument(text, { lineCounter, prettyErrors: false, ...(json && { schema: 'json' as const }) });
  const error = doc.errors[0];
  return error ? lineCounter.linePos(error.pos[0]).line : undefined;
}

/** "cannot parse <what> <file>: line N" and nothing quoted from it. */
export function parseFailure(what: string, file: string, text: string, json: boolean): string {
  const line = errorLine(text, json);
  return `cannot parse ${what} ${file}${line === undefined ? '' : `: line ${line}`} (not valid ${json ? 'JSON' : 'YAML'}; its content is not shown, it may hold secrets)`;
}
