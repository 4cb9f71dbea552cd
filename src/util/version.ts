/** This package's version (package.json), for `--version` and GET /v2/version. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './paths.js';

export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
