/**
 * Throwaway local accounts for tests that run as root (multi-user endpoints):
 * made with useradd, removed with userdel (home included) when the test ends,
 * pass or fail. Without root such tests skip, loudly (or fail, under
 * FUNCX_TEST_REQUIRE_ALL=1: see realPart.ts).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import { lookupAccount, type LocalAccount } from '../../endpoint/multiUser/accounts.js';

const run = promisify(execFile);

export const IS_ROOT = process.getuid?.() === 0;

/** Why tests that make local accounts cannot run here (undefined as root); for realPart.ts. */
export const ROOT_MISSING = IS_ROOT ? undefined : 'not root: these tests create local accounts and start processes as them; run as root (CI does)';

/** A fresh account (a system one, uid below 1000, with `system`); deleted at teardown. */
export async function throwawayAccount(t: ExecutionContext, options: { system?: boolean } = {}): Promise<LocalAccount> {
  const name = `fx${options.system ? 's' : 'u'}${randomBytes(4).toString('hex')}`;
  await run('useradd', [...(options.system ? ['--system'] : []), '--create-home', '--shell', '/bin/sh', name]);
  t.teardown(async () => {
    // --force: even if a process of it lingers (a failed test), the account goes.
    await run('userdel', ['--force', '--remove', name]).catch((error: Error) => t.log(`userdel ${name}: ${error.message}`));
  });
  const account = await lookupAccount(name);
  if (!account) throw new Error(`useradd made no ${name}`);
  return account;
}
