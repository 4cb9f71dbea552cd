/**
 * user_runtime: what the submitting client runs on, accepted by every submit
 * form (native per-endpoint and batch, globus-compute-sdk 2.x's and 4.x's
 * shapes), sent by both SDKs with every submit, stored with each task and
 * handed to the endpoint in the lease as `user_runtime`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest, type LiveService } from '../helpers/service.js';
import { packageRoot } from '../../src/util/paths.js';
import { Client, Executor } from '../../sdk/index.js';
import { lease, submitTo } from './support.js';

// The 4.x shape, as create_user_runtime() builds it (compute_sdk/globus_compute_sdk/sdk/batch.py), by hand.
const UPSTREAM_4X_RUNTIME = {
  globus_compute_sdk_version: '4.15.0',
  globus_sdk_version: '3.65.0',
  python_version: '3.13.7 (main, Sep 30 2025, 03:50:19) [GCC 14.2.0]',
  python: {
    version: '3.13.7', version_description: '3.13.7 (main, Sep 30 2025, 03:50:19) [GCC 14.2.0]',
    version_tuple: [3, 13, 7], version_info: [3, 13, 7, 'final', 0], implementation: 'CPython', compiler: 'GCC 14.2.0',
  },
  platform: { architecture: ['64bit', 'ELF'], machine: 'x86_64', node: 'login03', platform: 'Linux-6.14.0-29-generic-x86_64-with-glibc2.39', processor: 'x86_64', release: '6.14.0-29-generic' },
};

async function leasedRuntimes(live: LiveService, endpointId: string, credential: string): Promise<Map<string, unknown>> {
  const leased = await lease(live, endpointId, credential, 100);
  return new Map(leased.body.tasks.map((task: { task_id: string; user_runtime?: unknown }) => [task.task_id, task.user_runtime]));
}

serviceTest('user_runtime: every submit form stores it and the lease hands it to the endpoint; a task sent without one carries none', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const native = { sdk: { name: 'funcx-ts', version: '1.2.3' }, node_version: 'v20.0.0' };
  const single = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra: { user_runtime: native } });
  t.is(single.status, 200, JSON.stringify(single.body));
  const batch = await live.call('POST', '/v3/submit', { body: { user_runtime: native, tasks: [{ endpoint_id: endpointId, function_id: functionId, payload: jsonPayload(2) }] } });
  t.is(batch.status, 200, JSON.stringify(batch.body));
  const upstream = await live.call('POST', `/v3/endpoints/${endpointId}/submit`, { body: { create_queue: false, tasks: { [functionId]: ['6\n11\n[1]5\n11\n{}'] }, user_runtime: UPSTREAM_4X_RUNTIME, result_serializers: ['globus_compute_sdk.serialize.JSONData'] } });
  t.is(upstream.status, 200, JSON.stringify(upstream.body));
  const without = await submitTo(live, endpointId, functionId, [jsonPayload(3)]);

  const leased = await lease(live, endpointId, credential, 100);
  assertSchema(t, 'endpoint-lease-response.json', leased.body);
  const runtimes = new Map(leased.body.tasks.map((task: { task_id: string; user_runtime?: unknown }) => [task.task_id, task.user_runtime]));
  t.deepEqual(runtimes.get(single.body.tasks[functionId][0]), native);
  t.deepEqual(runtimes.get(batch.body.tasks[0].task_id), native);
  t.deepEqual(runtimes.get(upstream.body.tasks[functionId][0]), UPSTREAM_4X_RUNTIME);
  t.is(runtimes.get(without.body.tasks[functionId][0]), undefined);

  // Bounded like every body: an oversized field is a 400 naming it.
  const tooLong = await submitTo(live, endpointId, functionId, [jsonPayload(4)], { extra: { user_runtime: { python_version: 'x'.repeat(513) } } });
  t.is(tooLong.status, 400);
  t.regex(tooLong.body.reason, /user_runtime\/python_version/);
});

serviceTest('user_runtime: the TypeScript SDK (run, batchRun, Executor) and the Python client send theirs with every submit', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const client = new Client({ serviceUrl: live.url, token: live.adminToken, endpointId, env: { FUNCX_HOME: live.config.home } });
  const ran = await client.run(1, { functionId });
  const batch = client.createBatch();
  batch.add(2, { functionId });
  const [batched] = await client.batchRun(batch);
  const executor = new Executor({ client, endpointId });
  const future = executor.submit({ functionId }, 3);
  const executed = await future.submitted;
  t.teardown(() => executor.shutdown({ cancelFutures: true })); // ends its waiter (no endpoint runs the task)

  const python = await runPython(live, endpointId, functionId);
  const runtimes = await leasedRuntimes(live, endpointId, credential);
  for (const taskId of [ran, batched, executed]) {
    t.like(runtimes.get(taskId), { sdk: { name: 'funcx-ts' }, node_version: process.version, platform: { release: (await import('node:os')).release() } });
  }
  for (const taskId of python) {
    t.like(runtimes.get(taskId), { sdk: { name: 'funcx_ts' }, python: { implementation: 'CPython' } });
    t.regex((runtimes.get(taskId) as { python_version: string }).python_version, /^3\.\d+/);
  }
});

/** The Python client's run() and batch_run(): their task ids. */
async function runPython(live: LiveService, endpointId: string, functionId: string): Promise<string[]> {
  const script = `
import json
from funcx_ts import FuncXClient
fxc = FuncXClient(serializer="json")
ids = [fxc.run(1, endpoint_id="${endpointId}", function_id="${functionId}")]
batch = fxc.create_batch()
batch.add(2, endpoint_id="${endpointId}", function_id="${functionId}")
ids += fxc.batch_run(batch)
print(json.dumps(ids))
`;
  const child = spawn('python3', ['-c', script], {
    env: { ...process.env, PYTHONPATH: path.join(packageRoot(), 'sdk', 'python'), FUNCX_SERVICE_URL: live.url, FUNCX_TOKEN: live.adminToken, FUNCX_HOME: live.config.home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (err += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`python client exited ${code}: ${err}`);
  return JSON.parse(out.trim());
}
