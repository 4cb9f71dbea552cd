/**
 * A multi-user endpoint end to end, as root: a real service, a real
 * `funcx-endpoint start` of a multi-user endpoint, throwaway local accounts
 * (useradd, removed after), per-user endpoints started as those accounts and
 * real Python workers under them. Skips loudly when not root.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { waitFor } from '../helpers/endpointProcess.js';
import { ROOT_MISSING } from '../helpers/localAccounts.js';
import { testWithRealPart } from '../helpers/realPart.js';
import { USER_FUNCX_HOME } from '../../endpoint/multiUser/startUserEndpoint.js';
import { result, run, startSite, userEndpoints, userEndpointsOnceReported } from './site.js';

const rootTest = testWithRealPart('multi-user endpoints (test/multi-user/multi-user.e2e)', ROOT_MISSING, { register: test.serial });

rootTest('two users on one multi-user endpoint: each task runs as its user, files are theirs, neither reads the other\'s folder; processes reused per settings, separate otherwise, stopped when idle', async (t) => {
  const site = await startSite(t, { idle: '8s' });
  const { alice, bob } = site.accounts;
  const [a, b] = await Promise.all([run(site, 'alice', site.whoami, []), run(site, 'bob', site.whoami, [])]);
  const ra = await result(site, 'alice', a);
  const rb = await result(site, 'bob', b);
  t.is(ra.status, 'success', JSON.stringify(ra));
  t.is(rb.status, 'success', JSON.stringify(rb));
  const aliceSaw = JSON.parse(ra.result);
  const bobSaw = JSON.parse(rb.result);
  t.like(aliceSaw, { uid: alice.uid, euid: alice.uid, gid: alice.gid, user: alice.name, file_uid: alice.uid, home: alice.home, umask: 0o027, ppid_env_has_token: false });
  t.like(bobSaw, { uid: bob.uid, euid: bob.uid, user: bob.name, file_uid: bob.uid, home: bob.home });
  t.true(aliceSaw.cwd.startsWith(path.join(alice.home, USER_FUNCX_HOME)), aliceSaw.cwd);

  // Same values (right away, well within the idle time): the same per-user endpoint (and process); other values: another one.
  const before = await userEndpointsOnceReported(site, (list) => list.some((u) => u.endpoint_id === ra.endpoint_id), 'the multi-user endpoint to report alice\'s endpoint');
  const again = await result(site, 'alice', await run(site, 'alice', site.whoami, []));
  t.is(again.endpoint_id, ra.endpoint_id);
  const other = await result(site, 'alice', await run(site, 'alice', site.whoami, [], { workers: 2 }));
  t.not(other.endpoint_id, ra.endpoint_id);
  t.is(JSON.parse(other.result).uid, alice.uid);
  const after = await userEndpointsOnceReported(site, (list) => list.filter((u) => u.local_user === alice.name).length >= 2, 'the multi-user endpoint to report alice\'s second endpoint');
  const alicePid = (list: typeof before) => list.find((u) => u.endpoint_id === ra.endpoint_id)?.pid;
  t.truthy(alicePid(before));
  t.is(alicePid(after), alicePid(before), 'the same process served the same values');
  t.is(after.filter((u) => u.local_user === alice.name).length, 2);

  // Each tries the other's working folder.
  const peekA = JSON.parse((await result(site, 'alice', await run(site, 'alice', site.whoami, [bobSaw.cwd]))).result);
  const peekB = JSON.parse((await result(site, 'bob', await run(site, 'bob', site.whoami, [aliceSaw.cwd]))).result);
  t.is(peekA.peek, 'denied');
  t.is(peekB.peek, 'denied');

  // Shell tasks too: `id -un` is the user.
  const shell = await result(site, 'bob', await run(site, 'bob', site.shellId, []));
  t.is(JSON.parse(shell.result).stdout, `${bob.name}\n${bob.uid}\n`);

  // Visibility: alice sees her per-user endpoints on the multi-user endpoint's status; the admin sees all.
  const aliceStatus = await site.live.call('GET', `/v3/endpoints/${site.endpointId}/status`, { token: site.tokens.alice });
  t.deepEqual(aliceStatus.body.user_endpoints.map((u: { identity: string }) => u.identity), [`${alice.name}@example.org`, `${alice.name}@example.org`]);
  const adminStatus = await site.live.call('GET', `/v3/endpoints/${site.endpointId}/status`);
  t.is(adminStatus.body.user_endpoints.length, 3);
  const ownStatus = await site.live.call('GET', `/v3/endpoints/${ra.endpoint_id}/status`, { token: site.tokens.alice });
  t.is(ownStatus.status, 200);
  t.is((await site.live.call('GET', `/v3/endpoints/${ra.endpoint_id}/status`, { token: site.tokens.bob })).status, 404);
  // The administrator's log per user.
  t.true(existsSync(path.join(site.dir, 'user-logs', `${alice.name}.log`)));
  t.true(existsSync(path.join(site.dir, 'user-logs', `${bob.name}.log`)));

  // Idle (8 s without a task): every per-user endpoint stops by itself.
  await waitFor(async () => (await userEndpoints(site)).length === 0, 'idle per-user endpoints to stop', 60_000);
  for (const pid of after.map((u) => u.pid)) t.throws(() => process.kill(pid, 0), undefined, `pid ${pid} is gone`);
  // And a new task starts one again.
  t.is(JSON.parse((await result(site, 'bob', await run(site, 'bob', site.whoami, []))).result).uid, bob.uid);
});

rootTest('audit log on a multi-user endpoint: root\'s file, 0600; each per-user endpoint writes its task lines through the descriptor it was handed, stamped with its user\'s uid', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'funcx-mep-audit-')); // 0700, root's
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'audit.log');
  const site = await startSite(t, { auditLogPath: log });
  const { alice, bob } = site.accounts;
  const a = await run(site, 'alice', site.whoami, [log]);
  const b = await run(site, 'bob', site.whoami, []);
  const ra = await result(site, 'alice', a);
  t.is((await result(site, 'bob', b)).status, 'success');
  t.is(ra.status, 'success', JSON.stringify(ra));
  t.is(JSON.parse(ra.result).peek, 'denied', 'the user cannot open the log by its path');
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const of = (taskId: string) => lines.filter((line) => line.includes(` tid=${taskId} `));
  t.deepEqual(of(a).map((line) => line.split(' ').at(-1)), ['RECEIVED', 'EXEC_START', 'EXEC_END']);
  t.deepEqual(of(b).map((line) => line.split(' ').at(-1)), ['RECEIVED', 'EXEC_START', 'EXEC_END']);
  for (const line of of(a)) t.regex(line, new RegExp(`^\\S+ uid=${alice.uid} pid=\\d+ uep=${ra.endpoint_id} `));
  for (const line of of(b)) t.regex(line, new RegExp(` uid=${bob.uid} `));
  const stat = statSync(log);
  t.is(stat.uid, 0);
  t.is(stat.mode & 0o777, 0o600);
});

rootTest('refusals: unmapped identities, root, system accounts, a hanging mapping command, and values outside the schema fail the task and start nothing', async (t) => {
  const site = await startSite(t);
  const failure = async (who: string, config?: Record<string, unknown>) => {
    const done = await result(site, who, await run(site, who, site.whoami, [], config));
    t.is(done.status, 'failed', JSON.stringify(done));
    return done.exception as { type: string; message: string };
  };
  t.deepEqual(await failure('nobody'), { type: 'IdentityNotMapped', message: 'nobody@example.org matches no identity mapping rule of this endpoint' });
  t.deepEqual(await failure('root'), { type: 'IdentityNotMapped', message: 'the identity maps to "root", a root account, which is never a target' });
  t.like(await failure('system'), { type: 'IdentityNotMapped', message: `the identity maps to "${site.accounts.system.name}" (uid ${site.accounts.system.uid}), a system account below uid 1000, which is never a target` });
  t.deepEqual(await failure('hang'), { type: 'IdentityNotMapped', message: 'the mapping command timed out after 3000 ms' });
  t.deepEqual(await failure('alice', { workers: 99 }), { type: 'UserEndpointConfigInvalid', message: 'user_endpoint_config refused by the endpoint\'s schema: /workers must be <= 4' });
  t.deepEqual(await failure('alice', { max_workers: 64 }), { type: 'UserEndpointConfigInvalid', message: 'user_endpoint_config refused by the endpoint\'s schema: "max_workers" is not a setting users may choose' });
  t.deepEqual(await userEndpoints(site), [], 'nothing started');
  // The command maps carol to bob's account: the mapping command's answer is used.
  const carol = await result(site, 'carol', await run(site, 'carol', site.whoami, []));
  t.is(JSON.parse(carol.result).uid, site.accounts.bob.uid);
});

rootTest('a value crafted to inject settings (YAML, newline, shell metacharacters) changes nothing but its own field', async (t) => {
  const site = await startSite(t);
  const { alice } = site.accounts;
  const note = 'x\nmax_workers: 4\nprovider: {type: slurm}\n"; $(touch /tmp/fx-pwned) `id` && echo |';
  const done = await result(site, 'alice', await run(site, 'alice', site.whoami, [], { note, workers: 1 }));
  t.is(done.status, 'success', JSON.stringify(done));
  const endpoint = (await site.live.call('GET', `/v3/endpoints/${done.endpoint_id}`)).body;
  const written = YAML.parse(readFileSync(path.join(alice.home, USER_FUNCX_HOME, endpoint.name, 'config.yaml'), 'utf8'));
  t.is(written.display_name, `per-user for ${note}`);
  t.is(written.max_workers, 1);
  t.deepEqual(written.provider, { type: 'local' });
  t.is(written.service_url, site.live.url);
  t.false(existsSync('/tmp/fx-pwned'));
});

rootTest('kill -9 of a per-user endpoint loses no task: its lease runs out, it is started again, the task runs to the end as the user', async (t) => {
  const site = await startSite(t, { leaseTimeout: '3s' });
  const { alice } = site.accounts;
  const taskId = await run(site, 'alice', site.slow, [3]);
  await waitFor(async () => (await site.live.call('GET', `/v2/tasks/${taskId}`, { token: site.tokens.alice })).body.status === 'running', 'the task to run', 60_000);
  const [victim] = await userEndpointsOnceReported(site, (list) => list.length > 0, 'the multi-user endpoint to report alice\'s endpoint');
  t.truthy(victim);
  process.kill(-victim.pid, 'SIGKILL'); // the per-user endpoint and its workers
  const done = await result(site, 'alice', taskId);
  t.is(done.status, 'success', JSON.stringify(done));
  t.is(JSON.parse(done.result), alice.uid);
  t.true(done.attempts >= 2, `attempts: ${done.attempts}`);
  // Bounded: a report that kept naming the killed process would time out here.
  const restarted = await userEndpointsOnceReported(site, (list) => list.every((u) => u.pid !== victim.pid), 'the report to drop the killed process');
  t.true(restarted.every((u) => u.pid !== victim.pid));
});
