/**
 * The previous release, built from this repository's own git history, for the tests that check
 * the parts still work a release apart (test/versions/): a site's endpoints and its users' SDKs
 * lag the service, and a fleet's replicas are upgraded one at a time.
 *
 * Built once into node_modules/.cache (reused while the commit is the same): `git archive` of the
 * release's commit, `npm ci` from npm's cache where it can (--prefer-offline), better-sqlite3's
 * native build copied from this tree when the versions match (so no compiler run), then that
 * release's own `npm run build`. Built in a scratch folder and renamed into place, so a build
 * killed half-way is never mistaken for a finished one.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The release before this one: its version and the commit it was cut from (docs/install.md, "Versions apart"). */
export const PREVIOUS_RELEASE = { version: '0.1.0', commit: 'd61f2dc64b23b10eeaa4a72c636da08b380f9219' } as const;

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface PreviousRelease {
  dir: string;
  version: string;
  /** `funcx-service` of that release. */
  serviceCli: string;
  /** A module of that release's compiled tree (its SDK, its test helpers, ...), to import(). */
  module(relative: string): string;
}

/** Why the previous release cannot be built here (a sentence), or undefined when it can. */
export function previousReleaseMissing(): string | undefined {
  try {
    execFileSync('git', ['-C', REPO, 'cat-file', '-e', `${PREVIOUS_RELEASE.commit}^{commit}`], { stdio: 'ignore' });
  } catch {
    return `the previous release's commit ${PREVIOUS_RELEASE.commit.slice(0, 10)} is not in this clone's git history (a shallow clone?)`;
  }
  return undefined;
}

function run(command: string, args: string[], cwd: string): void {
  try {
    execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`building the previous release: ${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

function installedVersion(root: string, name: string): string | undefined {
  const file = path.join(root, 'node_modules', name, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : undefined;
}

/** The previous release, built (once) and ready to run. */
export function buildPreviousRelease(): PreviousRelease {
  const cache = path.join(REPO, 'node_modules', '.cache', 'funcx-previous-release');
  const dir = path.join(cache, PREVIOUS_RELEASE.commit);
  if (!existsSync(path.join(dir, 'dist', 'src', 'cli', 'funcx-service.js'))) {
    mkdirSync(cache, { recursive: true });
    const scratch = mkdtempSync(path.join(cache, 'building-'));
    try {
      run('sh', ['-c', `git -C "$0" archive ${PREVIOUS_RELEASE.commit} | tar -x -C "$1"`, REPO, scratch], scratch);
      run('npm', ['ci', '--prefer-offline', '--ignore-scripts'], scratch);
      const sqlite = 'better-sqlite3';
      if (installedVersion(scratch, sqlite) === installedVersion(REPO, sqlite)) {
        cpSync(path.join(REPO, 'node_modules', sqlite, 'build'), path.join(scratch, 'node_modules', sqlite, 'build'), { recursive: true });
      } else {
        run('npm', ['rebuild', sqlite], scratch);
      }
      run('npm', ['run', 'build'], scratch);
      rmSync(dir, { recursive: true, force: true });
      renameSync(scratch, dir);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const version = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    dir,
    version,
    serviceCli: path.join(dir, 'dist', 'src', 'cli', 'funcx-service.js'),
    module: (relative) => path.join(dir, 'dist', relative),
  };
}
