import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Set by the single-file endpoint to where it unpacked its data files (endpoint/singleFile/assets.ts). */
let unpackedRoot: string | undefined;

export function usePackageRoot(dir: string): void {
  unpackedRoot = dir;
}

/** The package's root folder (where package.json and schemas/ are), from src/ or dist/src/ alike. */
export function packageRoot(): string {
  if (unpackedRoot !== undefined) return unpackedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}
