/**
 * The single file's data files (the Python worker and its serializer, the Jinja renderer,
 * package.json, the JSON Schemas the agent reads) travel as SEA assets, listed by a manifest
 * that scripts/release.ts writes. Python runs them from a real folder, so they are unpacked
 * once per build into $FUNCX_HOME/.single-file/HASH/ (private to the user, on the same disk as
 * the endpoint's own files; never /tmp, which may be noexec or shared). The folder appears
 * whole or not at all: written under a temporary name, then renamed; a racing process that
 * loses the rename uses the winner's copy.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getAsset } from 'node:sea';
import { funcxHome } from '../paths.js';

/** The asset that lists the others (written by scripts/release.ts). */
export const MANIFEST_ASSET = 'manifest.json';

export interface AssetManifest {
  /** sha256 of every asset's name and content: a new build unpacks beside, never over, an old one. */
  hash: string;
  /** Asset names, which are also their paths under the unpacked root (e.g. endpoint/workers/python_worker.py). */
  files: string[];
}

export function unpackedAssetsDir(manifest: AssetManifest, home = funcxHome()): string {
  return path.join(home, '.single-file', manifest.hash.slice(0, 16));
}

/** Unpacks the assets (unless this build's already are) and returns the folder. */
export function unpackAssets(home = funcxHome()): string {
  const manifest = JSON.parse(getAsset(MANIFEST_ASSET, 'utf8')) as AssetManifest;
  const target = unpackedAssetsDir(manifest, home);
  if (existsSync(target)) return target;
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const staging = mkdtempSync(`${target}.tmp-`);
  try {
    for (const name of manifest.files) {
      const file = path.join(staging, name);
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
      writeFileSync(file, new Uint8Array(getAsset(name)), { mode: 0o644 });
    }
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(target)) throw error; // else: another process unpacked the same build first
  }
  return target;
}
