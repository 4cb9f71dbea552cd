/** The endpoint package's version (its package.json), for `--version`, the diagnose bundle and the version check at start. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { endpointRoot } from './packageRoot.js';

export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(endpointRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
