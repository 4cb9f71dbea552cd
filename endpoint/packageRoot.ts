/**
 * Where the endpoint's data files are (the Python worker, the Jinja renderer, the JSON Schemas it
 * validates its config and the lease request with): they are not compiled, so they are found from
 * wherever this module runs, in each of the three ways the endpoint runs:
 *   - in the repository (dist/endpoint/ or endpoint/dist/): endpoint/ and the repository's schemas/;
 *   - installed from npm (node_modules/funcx-endpoint/dist/): the package's folder, its schemas
 *     copied into dist/schemas/ by its build;
 *   - the single file (endpoint/singleFile/): the folder its assets were unpacked into, laid out
 *     as the repository (endpoint/..., schemas/...), set by usePackageRoot before anything loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'funcx-endpoint';

/** Set by the single-file endpoint to where it unpacked its data files (singleFile/assets.ts). */
let unpackedRoot: string | undefined;

export function usePackageRoot(dir: string): void {
  unpackedRoot = dir;
}

/** The funcx-endpoint package's folder (its package.json, workers/, templates/). */
export function endpointRoot(): string {
  if (unpackedRoot !== undefined) return path.join(unpackedRoot, 'endpoint');
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (isEndpointPackage(dir)) return dir;
    // From the repository's dist/endpoint/: the repository root holds endpoint/.
    if (isEndpointPackage(path.join(dir, 'endpoint'))) return path.join(dir, 'endpoint');
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`the ${PACKAGE_NAME} package.json was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The JSON Schemas: the repository's (or the single file's) schemas/ beside endpoint/, else the package's own copy. */
export function schemasDir(): string {
  const root = endpointRoot();
  const beside = path.join(root, '..', 'schemas');
  return existsSync(path.join(beside, 'endpoint-config.json')) ? beside : path.join(root, 'dist', 'schemas');
}

/**
 * What a container mounts (read-only) to run the endpoint's programs with its own node: the
 * folder holding the endpoint's package and the packages it imports (the repository, or the
 * node_modules the package was installed into, or the single file's unpacked assets).
 */
export function mountRoot(): string {
  return path.dirname(endpointRoot());
}

function isEndpointPackage(dir: string): boolean {
  const file = path.join(dir, 'package.json');
  if (!existsSync(file)) return false;
  return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === PACKAGE_NAME;
}
