/**
 * The local account a mapped identity runs as, from the system's user
 * database (getent, so NSS sources such as LDAP count), and the rule that
 * root and system accounts (uid below the floor) are never a target, whatever
 * the mapping said. Node has no getpwnam; getent is in every libc.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LocalAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  /** The passwd comment field (full name, ...); templates see it as _GC.mapped_identity.local.gecos. */
  gecos?: string;
}

export type AccountResult = { ok: true; account: LocalAccount } | { ok: false; reason: string };

export async function lookupAccount(name: string): Promise<LocalAccount | undefined> {
  let stdout: string;
  try {
    ({ stdout } = await run('getent', ['passwd', name], { timeout: 10_000 }));
  } catch {
    return undefined; // exit code 2: no such account
  }
  const [login, , uid, gid, gecos, home, shell] = stdout.trim().split('\n')[0].split(':');
  if (login !== name || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) return undefined;
  return { name: login, uid: Number(uid), gid: Number(gid), home, shell: shell || '/bin/sh', gecos: gecos ?? '' };
}

/** The account for a mapped name, or why it may not be used. */
export async function targetAccount(name: string, uidFloor: number): Promise<AccountResult> {
  const account = await lookupAccount(name);
  if (!account) return { ok: false, reason: `the identity maps to "${name}", which is no local account` };
  if (account.uid === 0 || account.gid === 0) return { ok: false, reason: `the identity maps to "${name}", a root account, which is never a target` };
  if (account.uid < uidFloor) return { ok: false, reason: `the identity maps to "${name}" (uid ${account.uid}), a system account below uid ${uidFloor}, which is never a target` };
  if (!account.home.startsWith('/')) return { ok: false, reason: `the account "${name}" has no home directory` };
  return { ok: true, account };
}

/** The account's group ids (primary first), as initgroups will give them; `id -G` reads NSS as getgrouplist does. */
export async function groupIdsOf(account: LocalAccount): Promise<number[]> {
  try {
    const { stdout } = await run('id', ['-G', account.name], { timeout: 10_000 });
    const ids = stdout.trim().split(/\s+/).filter((id) => /^\d+$/.test(id)).map(Number);
    return [account.gid, ...ids.filter((id) => id !== account.gid)];
  } catch {
    return [account.gid];
  }
}
