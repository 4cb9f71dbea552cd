/**
 * The endpoint and the service come and go independently: tasks queued for an
 * offline endpoint wait for it; an endpoint outlives a service restart; a
 * graceful stop finishes running work and hands back the rest.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';
import { freePort } from '../helpers/mariadb.js';
import { testOnEachEmptyDatabase } from '../helpers/databases.js';
import { serviceTest, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';

const DOUBLE = 'def double(x):\n    return 2 * x\n';

serviceTest('tasks for an offline endpoint wait, then run when it starts', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  endpoint.signal('SIGTERM');
  t.is(await endpoint.exited, 0);
  const fn = await registerPython(live, DOUBLE, 'double');
  const ids = await submit(live, endpoint.endpointId, fn, [[1], [2], [3]]);
  const queued = await live.call('GET', `/v2/tasks/${ids[0]}`);
  t.is(queued.body.status, 'waiting-for-ep');
  const status = await live.call('GET', `/v2/endpoints/${endpoint.endpointId}/status`);
  t.is(status.body.pending_tasks, 3);

  await startEndpointProcess(t, live, { home: path.dirname(endpoint.paths.dir) });
  const done = await waitForTasks(live, ids);
  t.deepEqual(ids.map((id) => JSON.parse(done[id].result)), [2, 4, 6]);
});

serviceTest('SIGTERM: the running task finishes and reports; queued ones are handed back unspent', async (t, live) => {
  const marker = path.join(live.database.dir, 'go');
  const started = path.join(live.database.dir, 'started');
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 1, prefetch: 2 } });
  const fn = await registerPython(live, `def gated(marker, started, x):
    import os, time
    open(started, "a").close()
    while not os.path.exists(marker):
        time.sleep(0.02)
    return x
`, 'gated');
  const ids = await submit(live, endpoint.endpointId, fn, [[marker, started, 1], [marker, started, 2], [marker, started, 3]]);
  await waitFor(() => existsSync(started), 'the first task to start');
  await waitFor(async () => (await live.db('tasks').whereIn('id', ids).where('state', 'running')).length === 3, 'all three leased (one running, two prefetched)');
  endpoint.signal('SIGTERM');
  await waitFor(() => endpoint.output().includes('handed back'), 'the queued tasks to be handed back');
  writeFileSync(marker, '');
  t.is(await endpoint.exited, 0);

  const rows = await live.db('tasks').whereIn('id', ids).orderBy('seq');
  t.deepEqual(rows.map((r) => [r.state, r.attempts]), [['success', 1], ['waiting-for-ep', 0], ['waiting-for-ep', 0]]);
});

testOnEachEmptyDatabase('the endpoint rides out a service restart and loses nothing', async (t, database) => {
  const port = await freePort();
  const config = loadConfig({}, {
    port, home: path.join(database.dir, 'home'), databaseUrl: database.url, logLevel: 'silent', pollFallbackInterval: '200ms',
  });
  let service = await startService(config, { logger: createLogger('silent') });
  t.teardown(() => service.close());
  const adminToken = (JSON.parse(readFileSync(service.quickstart!.file, 'utf8')) as { token: string }).token;
  const live = {
    url: service.url, adminToken, database, db: service.deps.db,
    call: async (method: string, urlPath: string, options: { body?: unknown } = {}) => {
      const response = await fetch(service.url + urlPath, {
        method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      return { status: response.status, body: await response.json() as any, headers: response.headers }; // eslint-disable-line @typescript-eslint/no-explicit-any
    },
  } as unknown as LiveService;

  const endpoint = await startEndpointProcess(t, live);
  const fn = await registerPython(live, DOUBLE, 'double');
  const before = await submit(live, endpoint.endpointId, fn, [[1]]);
  await waitForTasks(live, before);

  await service.close();
  await waitFor(() => /service unreachable/.test(endpoint.output()), 'the endpoint to notice the service is gone');
  service = await startService(config, { logger: createLogger('silent') });
  (live as { db: unknown }).db = service.deps.db;

  const after = await submit(live, endpoint.endpointId, fn, [[20], [21]]);
  const done = await waitForTasks(live, after);
  t.deepEqual(after.map((id) => JSON.parse(done[id].result)), [40, 42]);
  t.is(endpoint.child.exitCode, null); // it kept running through the outage
});

serviceTest('a result over the service\'s body limit is reported as TaskResultTooLarge, not retried forever', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const big = await registerPython(live, 'def big(n):\n    return "x" * n\n', 'big');
  const ids = await submit(live, endpoint.endpointId, big, [[10], [200_000], [20]]);
  const done = await waitForTasks(live, ids);
  t.deepEqual(ids.map((id) => done[id].status), ['success', 'failed', 'success']);
  t.is(done[ids[1]].exception.type, 'TaskResultTooLarge');
  t.is(JSON.parse(done[ids[2]].result), 'x'.repeat(20));
}, { maxBodyBytes: 64 * 1024, maxPayloadBytes: 32 * 1024, maxResultBytes: 32 * 1024 });

serviceTest('a second SIGTERM stops at once, killing the running task and handing it back for another attempt', async (t, live) => {
  const marker = path.join(live.database.dir, 'never');
  const started = path.join(live.database.dir, 'started');
  const endpoint = await startEndpointProcess(t, live, { config: { grace_period: '10m' } });
  const fn = await registerPython(live, `def stuck(marker, started, x):
    import os, time
    open(started, "a").close()
    while not os.path.exists(marker):
        time.sleep(0.02)
    return x
`, 'stuck');
  const [taskId] = await submit(live, endpoint.endpointId, fn, [[marker, started, 1]]);
  await waitFor(() => existsSync(started), 'the task to start');
  endpoint.signal('SIGTERM');
  await waitFor(() => endpoint.output().includes('running tasks may finish'), 'the graceful stop to begin');
  endpoint.signal('SIGTERM');
  t.is(await endpoint.exited, 0); // well within the 10 minute grace period: nothing waited for it
  const row = await live.db('tasks').where({ id: taskId }).first();
  // Handed back as it stopped (best effort; otherwise its lease would expire): queued again, the attempt not counted.
  t.deepEqual([row.state, row.attempts], ['waiting-for-ep', 0]);
});
