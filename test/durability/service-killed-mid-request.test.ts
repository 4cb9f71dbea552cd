/**
 * A service killed (SIGKILL) while submits are in flight loses no accepted
 * task, and clients that retry with the same Idempotency-Key get each batch
 * exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testOnEachEmptyDatabase } from '../helpers/databases.js';
import { freePort } from '../helpers/mariadb.js';
import { existsSync, readFileSync } from 'node:fs';

const SERVICE_CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));
const BATCHES = 40;
const BATCH_SIZE = 25;

testOnEachEmptyDatabase('kill -9 of the service mid-submit loses no accepted task and retries create each batch once', async (t, database) => {
  const port = await freePort();
  const home = path.join(database.dir, 'home');
  const url = `http://127.0.0.1:${port}`;
  const children: ChildProcess[] = [];
  t.teardown(() => children.forEach((c) => c.kill('SIGKILL')));
  const start = async () => {
    const child = spawn(process.execPath, [SERVICE_CLI, 'serve'], {
      env: { ...process.env, FUNCX_PORT: String(port), FUNCX_HOME: home, FUNCX_DATABASE_URL: database.url, FUNCX_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    children.push(child);
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
      // The contract under test too: the service answers nothing before quickstart.json is written,
      // so the first /healthz answer finds it there (a tool needs no second wait).
      if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) {
        if (!existsSync(path.join(home, 'quickstart.json'))) throw new Error('/healthz answered before quickstart.json was written');
        return child;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('service did not become healthy');
  };

  const first = await start();
  const token = (JSON.parse(readFileSync(path.join(home, 'quickstart.json'), 'utf8')) as { token: string }).token;
  const call = (method: string, urlPath: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url + urlPath, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const fn = (await (await call('POST', '/v3/functions', { runtime: 'python', source: 'def f(x):\n    return x\n', entry_point: 'f' })).json()) as { function_uuid: string };
  const ep = (await (await call('POST', '/v3/endpoints', { name: 'crash' })).json()) as { endpoint_id: string };
  const submitBatch = (key: number) =>
    call('POST', `/v3/endpoints/${ep.endpoint_id}/submit`, { tasks: { [fn.function_uuid]: Array.from({ length: BATCH_SIZE }, (_, i) => JSON.stringify({ args: [key, i], kwargs: {} })) } }, { 'idempotency-key': `batch-${key}` })
      .then(async (r) => (r.ok ? ((await r.json()) as { tasks: Record<string, string[]> }).tasks[fn.function_uuid] : undefined), () => undefined);

  // Fire every batch, kill the service once some have been accepted and others are still in flight.
  const inFlight = Array.from({ length: BATCHES }, (_, key) => submitBatch(key));
  t.truthy(await Promise.race(inFlight), 'the first answer was an acceptance');
  first.kill('SIGKILL');
  const answers = await Promise.all(inFlight);
  const accepted = new Map(answers.flatMap((ids, key) => (ids ? [[key, ids] as const] : [])));
  t.true(accepted.size >= 1);
  t.log(`${accepted.size} of ${BATCHES} batches were accepted before the kill`);

  await start();
  const ledger = database.open();
  // Every accepted batch is in the ledger, whole.
  for (const ids of accepted.values()) t.is(Number((await ledger('tasks').whereIn('id', ids).count({ n: '*' }))[0].n), BATCH_SIZE);
  // Retry everything with the same keys: accepted ones replay, lost ones are created now, none twice.
  const retried = await Promise.all(Array.from({ length: BATCHES }, (_, key) => submitBatch(key)));
  for (const [key, ids] of accepted) t.deepEqual(retried[key], ids);
  t.is(Number((await ledger('tasks').count({ n: '*' }))[0].n), BATCHES * BATCH_SIZE);
  const perBatch = await ledger('tasks').select('payload');
  const keys = new Map<number, number>();
  for (const { payload } of perBatch) {
    const key = (JSON.parse(payload) as { args: number[] }).args[0];
    keys.set(key, (keys.get(key) ?? 0) + 1);
  }
  t.deepEqual([...keys.values()], Array(BATCHES).fill(BATCH_SIZE));
});
