/**
 * On MariaDB, the service's database folder (every ledger table in its own .ibd file,
 * innodb_file_per_table) on a small tmpfs (a symbolic link from the datadir; the redo log and
 * system tablespace stay on the ordinary disk, as on a server whose data disk filled up). A filler
 * file from outside MariaDB fills the tmpfs: a submit is answered 507 StorageFull with Retry-After,
 * reads answer 200, /readyz is not ready and says why, the endpoint keeps running. The filler is
 * deleted: /readyz is ready again, every accepted task finishes on the
 * real endpoint agent, the refused batch goes through when sent again, and nothing is stored twice.
 */
import test from 'ava';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireRealPart } from '../helpers/realPart.js';
import { findBinary, startMariaDb } from '../helpers/mariadb.js';
import { startLiveService, type ApiResponse } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { fillDisk, mountTmpfs, tmpfsUnavailable } from '../helpers/tmpfs.js';
import { openDatabase } from '../../src/db/connect.js';

const TITLE = 'MariaDB data on a full disk: 507 StorageFull with Retry-After, reads answer, /readyz says why; once freed every accepted task finishes, nothing stored twice';
const missing = tmpfsUnavailable() ?? (findBinary('mariadbd') || findBinary('mysqld') ? undefined : 'mariadbd is not installed (apt-get install -y mariadb-server)');

if (requireRealPart(TITLE, missing, { requiredBy: 'FUNCX_TEST_REQUIRE_MARIADB' })) {
  test(TITLE, async (t) => {
    t.timeout(400_000);
    const server = await startMariaDb();
    t.teardown(() => server.stop());
    const admin = openDatabase(server.url, { poolMax: 2 });
    t.teardown(() => admin.destroy());
    const disk = await mountTmpfs(t, 16);
    // The database `funcx` is a folder of the datadir: made a link to a folder on the tmpfs, its tables live there.
    const [[{ datadir }]] = await admin.raw('SELECT @@datadir AS datadir') as [[{ datadir: string }]];
    mkdirSync(path.join(disk, 'funcx'));
    symlinkSync(path.join(disk, 'funcx'), path.join(datadir, 'funcx'));
    const live = await startLiveService(t, 'sqlite', { databaseUrl: `${server.url}funcx`, databaseStatementTimeout: '20s' });

    const gate = path.join(os.tmpdir(), `funcx-mariadb-disk-gate-${process.pid}-${Date.now()}`);
    t.teardown(() => rmSync(gate, { force: true }));
    const functionId = await registerPython(live, `import os, time\ndef gated(x, pad=''):\n    for _ in range(3000):\n        if os.path.exists(${JSON.stringify(gate)}):\n            return x * 2\n        time.sleep(0.1)\n    raise RuntimeError('gate never opened')\n`, 'gated');
    const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 2 } });
    const accepted = await submit(live, endpoint.endpointId, functionId, [[1], [2], [3], [4]]);
    await waitFor(async () => (await live.call('POST', '/v2/batch_status', { body: { task_ids: accepted } })).body.results[accepted[0]].status === 'running', 'a task to run', 120_000);

    const filler = fillDisk(disk);
    // Batches of small tasks (rows stored in the page: a large value stored off-page makes MariaDB
    // 10.11 abort when rolling back for lack of space; deployment.md) until the tables' free pages
    // are used up and the next batch needs the files to grow, which the full tmpfs refuses.
    const batch = (key: number) => Array.from({ length: 50 }, (_, i) => JSON.stringify({ args: [key * 100 + i], kwargs: { pad: 'x'.repeat(1000) } }));
    let refused: ApiResponse<{ code: string }> | undefined;
    let refusedBatch: string[] = [];
    for (let key = 1; key <= 400 && refused === undefined; key++) {
      const answer = await live.call('POST', `/v3/endpoints/${endpoint.endpointId}/submit`, { body: { serializer: 'json', tasks: { [functionId]: batch(key) } } });
      if (answer.status === 200) accepted.push(...(answer.body.tasks[functionId] as string[]));
      else [refused, refusedBatch] = [answer, batch(key)];
    }
    t.truthy(refused, 'no submit was refused on the full disk');
    t.is(refused!.status, 507, JSON.stringify(refused!.body));
    t.is(refused!.body.code, 'StorageFull');
    t.is(refused!.headers.get('retry-after'), '10');
    for (let i = 0; i < 10; i++) {
      const status = await live.call('POST', '/v2/batch_status', { body: { task_ids: accepted } });
      t.is(status.status, 200, JSON.stringify(status.body));
      t.deepEqual(Object.keys(status.body.results).sort(), [...accepted].sort());
    }
    t.is((await live.call('GET', `/v2/tasks/${accepted[0]}`)).status, 200);
    const ready = await live.call('GET', '/readyz');
    t.is(ready.status, 507, JSON.stringify(ready.body));
    t.is(ready.body.code, 'StorageFull');
    t.regex(JSON.stringify(ready.body), /room|full/i);

    // The tasks finish now; their results may be refused while the disk stays full (the agent keeps them).
    writeFileSync(gate, 'open');
    const [[{ n: storedWhileFull }]] = await admin.raw('SELECT COUNT(*) AS n FROM funcx.tasks') as [[{ n: number }]];
    t.is(Number(storedWhileFull), accepted.length, 'the refused submit stored nothing');
    t.is(endpoint.child.exitCode, null, 'the endpoint is still running');

    rmSync(filler);
    await waitFor(async () => (await live.call('GET', '/readyz')).status === 200, '/readyz to be ready again', 120_000);
    const resent = await submit(live, endpoint.endpointId, functionId, [], { payloads: refusedBatch });
    const all = [...accepted, ...resent];
    const done = await waitForTasks(live, all, 240_000).catch(async (error: Error) => {
      throw new Error(`${error.message}\nendpoint output:\n${endpoint.output().slice(-20_000)}`);
    });
    for (const id of all) t.is(done[id].status, 'success', JSON.stringify(done[id]).slice(0, 500));
    const [[{ n: stored, distinct }]] = await admin.raw('SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS `distinct` FROM funcx.tasks') as [[{ n: number; distinct: number }]];
    t.is(Number(stored), all.length, 'every accepted task stored once, nothing of the refused submit');
    t.is(Number(distinct), all.length);
    t.log(`${accepted.length} tasks accepted, then one batch refused; the endpoint was ${endpoint.output().includes('the service has no room to store') ? '' : 'not '}refused too`);
  });
}
