/**
 * The first program of a per-user endpoint, started by the multi-user
 * endpoint as root (under prlimit when limits are set) with a clean
 * environment. (Started by a multi-user endpoint not run by root, it runs as
 * that same account: nothing to drop, and any other account is refused.)
 * It reads its orders as JSON on stdin (not argv, which every
 * local user can read), becomes the account for good (initgroups, setgid,
 * setuid; then checks that root cannot be regained), sets the umask, and
 * only then, as the user, writes the per-user endpoint's config.yaml and
 * credential into the user's own FUNCX_HOME and runs `funcx-endpoint start`
 * in this process. Everything it and its workers do happens as the user.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { endpointPaths } from '../paths.js';
import { runProgramHere } from '../selfCommand.js';
import { writeIdentity } from '../identity.js';
import { LAUNCH_FAILED, type LaunchOrders } from './launchOrders.js';

function fail(message: string): never {
  process.stderr.write(`funcx per-user endpoint launcher: ${message}\n`);
  process.exit(LAUNCH_FAILED);
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

async function main(): Promise<void> {
  let orders: LaunchOrders;
  try {
    orders = JSON.parse(await readStdin()) as LaunchOrders;
  } catch (error) {
    fail(`unreadable orders: ${(error as Error).message}`);
  }
  if (!Number.isInteger(orders.uid) || orders.uid <= 0 || !Number.isInteger(orders.gid) || orders.gid <= 0) fail('refusing uid or gid 0');
  if (process.getuid!() === 0) dropRoot(orders);
  // Started by an unprivileged multi-user endpoint: nothing to drop, and only ever as itself.
  else if (process.getuid!() !== orders.uid || process.geteuid!() !== orders.uid) fail(`not root: can run only as uid ${process.getuid!()}, not ${orders.uid}`);
  process.umask(orders.umask);
  process.chdir(orders.home);

  const paths = endpointPaths(orders.endpointName, orders.funcxHome);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.config, `# Written by the multi-user endpoint for ${orders.user}; rewritten at every start.\n${YAML.stringify(orders.config)}`, { mode: 0o600 });
  writeIdentity(paths, orders.identity);

  await runProgramHere('cli', ['start', orders.endpointName, '--exit-with-parent']);
}

/** Becomes the account for good: groups, gid, uid, in that order; then checks that nothing of root is left. */
function dropRoot(orders: LaunchOrders): void {
  try {
    // Groups first (they need root), then the gid, then the uid: the order that leaves nothing of root behind.
    // process.initgroups exists on POSIX (Node >= 0.9.4); @types/node 20 does not declare it.
    (process as unknown as { initgroups(user: string, extraGroup: number): void }).initgroups(orders.user, orders.gid);
    process.setgid!(orders.gid);
    process.setuid!(orders.uid);
  } catch (error) {
    fail(`could not become ${orders.user}: ${(error as Error).message}`);
  }
  if (process.getuid!() !== orders.uid || process.geteuid!() !== orders.uid || process.getgid!() !== orders.gid || process.getegid!() !== orders.gid) {
    fail('the uid or gid did not change as asked');
  }
  if (process.getgroups!().includes(0)) fail('still in group 0');
  try {
    process.setuid!(0);
    fail('root could be regained after dropping it');
  } catch {
    // expected: no way back
  }
}

void main();
