/**
 * A result finished while the service is down waits in the endpoint's spool,
 * survives the endpoint being killed, and is posted when both are back. And the
 * quick start (`funcx-service serve --local-endpoint default`) runs the tutorial,
 * then stops cleanly on one SIGINT.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';
import { freePort } from '../helpers/mariadb.js';
import { createTestDatabase } from '../helpers/databases.js';
import type { LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { isAlive } from '../../endpoint/pidfile.js';

const SERVICE_CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));

test('a result finished during an outage survives in the spool across an endpoint kill, and is stored once', async (t) => {
  const database = await createTestDatabase('sqlite');
  t.teardown(() => database.cleanup());
  const port = await freePort();
  const config = loadConfig({}, { port, home: path.join(database.dir, 'home'), databaseUrl: database.url, logLevel: 'silent', pollFallbackInterval: '200ms' });
  let service = await startService(config, { logger: createLogger('silent') });
  t.teardown(() => service.close());
  const adminToken = (JSON.parse(readFileSync(service.quickstart!.file, 'utf8')) as { token: string }).token;
  const live = {
    url: service.url, adminToken, database,
    get db() {
      return service.deps.db;
    },
    call: async (method: string, urlPath: string, options: { body?: unknown } = {}) => {
      const response = await fetch(service.url + urlPath, {
        method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      return { status: response.status, body: (await response.json()) as any, headers: response.headers }; // eslint-disable-line @typescript-eslint/no-explicit-any
    },
  } as unknown as LiveService;

  const marker = path.join(database.dir, 'go');
  const started = path.join(database.dir, 'started');
  const endpoint = await startEndpointProcess(t, live);
  const fn = await registerPython(live, `def gated(marker, started):
    import os, time
    open(started, "a").close()
    while not os.path.exists(marker):
        time.sleep(0.02)
    return "from the spool"
`, 'gated');
  const [taskId] = await submit(live, endpoint.endpointId, fn, [[marker, started]]);
  await waitFor(() => existsSync(started), 'the task to start');

  await service.close(); // the service goes away while the task runs
  writeFileSync(marker, '');
  await waitFor(() => readdirSync(endpoint.paths.spool).some((f) => f.startsWith(taskId)), 'the result to reach the spool');
  endpoint.signalGroup('SIGKILL');
  await endpoint.exited;

  service = await startService(config, { logger: createLogger('silent') });
  const restarted = await startEndpointProcess(t, live, { home: path.dirname(endpoint.paths.dir) });
  const done = await waitForTasks(live, [taskId]);
  t.is(JSON.parse(done[taskId].result), 'from the spool');
  t.is(done[taskId].attempts, 1); // the first attempt's result, not a rerun
  // Nor was its lease returned by the restarted agent's reconcile (that would not count an attempt
  // either, but would leave LeaseReturned here): a result in the spool keeps its lease held.
  t.is(done[taskId].details, undefined);
  await waitFor(() => readdirSync(restarted.paths.spool).length === 0, 'the spool to empty once acknowledged');
});

test('the quick start runs the service and a local endpoint, and one SIGINT stops both', async (t) => {
  const database = await createTestDatabase('sqlite');
  t.teardown(() => database.cleanup());
  const home = path.join(database.dir, 'home');
  const port = await freePort();
  const child = spawn(process.execPath, [SERVICE_CLI, 'serve', '--local-endpoint', 'default'], {
    env: { ...process.env, FUNCX_HOME: home, FUNCX_PORT: String(port), FUNCX_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already stopped
    }
  });
  const quickstartFile = path.join(home, 'quickstart.json');
  await waitFor(() => existsSync(quickstartFile) && 'endpoint_id' in JSON.parse(readFileSync(quickstartFile, 'utf8')), 'quickstart.json to name the local endpoint', 60_000);
  const quickstart = JSON.parse(readFileSync(quickstartFile, 'utf8')) as { service_url: string; token: string; endpoint_id: string };
  const call = async (method: string, urlPath: string, body?: unknown) =>
    (await fetch(quickstart.service_url + urlPath, { method, headers: { authorization: `Bearer ${quickstart.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const fn = (await call('POST', '/v3/functions', { runtime: 'python', source: 'def hello_world():\n    return "Hello World!"\n', entry_point: 'hello_world' })).function_uuid;
  const [taskId] = (await call('POST', `/v3/endpoints/${quickstart.endpoint_id}/submit`, { tasks: { [fn]: ['{"args": [], "kwargs": {}}'] } })).tasks[fn];
  const waited = await call('POST', '/v3/tasks/wait', { task_ids: [taskId], timeout_s: 30 });
  t.is(JSON.parse(waited.done[taskId].result), 'Hello World!');
  const status = await call('GET', `/v2/endpoints/${quickstart.endpoint_id}/status`);
  t.is(status.status, 'online');

  const endpointPid = Number(readFileSync(path.join(home, 'default', 'endpoint.pid'), 'utf8'));
  process.kill(-child.pid!, 'SIGINT'); // Ctrl-C reaches the service's foreground group; it stops the endpoint first
  t.is(await exited, 0);
  t.false(isAlive(endpointPid), 'the service exits only after its endpoint has');
});
