#!/usr/bin/env node
// After `tsc`: stores `--help` as yargs renders it in dist/cli/help.json, so the launcher can print
// it for a lone --help without loading yargs (start-up as fast as node itself).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli');
const { renderHelp } = await import(path.join(dist, 'render-help.js'));
writeFileSync(path.join(dist, 'help.json'), `${JSON.stringify(await renderHelp())}\n`);
