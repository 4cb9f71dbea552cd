/**
 * Installing the service runs no package's install-time script but the allow-listed ones.
 * npm's `allowScripts` (package.json) governs only this project's own `npm install`; whoever
 * installs the package elsewhere runs every install script of its production tree. So the
 * tree itself must hold none but these (docs/deployment.md "What installing runs"):
 *   better-sqlite3: builds (or downloads the prebuilt) SQLite binding, the embedded database.
 * A package with a binding.gyp and no install script counts too: npm runs `node-gyp rebuild` for it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';

const ALLOWED = new Set(['better-sqlite3']);
const INSTALL_HOOKS = ['preinstall', 'install', 'postinstall'] as const;
const root = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

test('no package of the production dependency tree has an install script, but the allow-listed better-sqlite3', async (t) => {
  const { stdout } = await promisify(execFile)('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  const dirs = [...new Set(stdout.split('\n').map((line) => line.trim()).filter((line) => line && line !== root))];
  t.true(dirs.length > 20, `the production tree was listed (${dirs.length} packages)`);
  const offenders: string[] = [];
  for (const dir of dirs) {
    const manifestFile = path.join(dir, 'package.json');
    if (!existsSync(manifestFile)) continue; // an optional dependency not installed on this platform
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { name: string; scripts?: Record<string, string>; gypfile?: boolean };
    const hooks = INSTALL_HOOKS.filter((hook) => manifest.scripts?.[hook]);
    if (hooks.length === 0 && (manifest.gypfile || existsSync(path.join(dir, 'binding.gyp')))) hooks.push('install');
    if (hooks.length > 0 && !ALLOWED.has(manifest.name)) offenders.push(`${manifest.name} (${hooks.join(', ')}) in ${path.relative(root, dir)}`);
  }
  t.deepEqual(offenders, []);
  t.true(dirs.some((dir) => path.basename(dir) === 'better-sqlite3'), 'the walk reaches better-sqlite3, the one allowed');
});
