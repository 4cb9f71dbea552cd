/**
 * GET /metrics on the service: who may read it (off, open, token), that the
 * task path is counted where it happens (submit, lease, results, retries, the
 * reaper), that queue depth is read from the ledger, that endpoint labels are
 * capped, and that `promtool check metrics` accepts the whole scrape.
 */
import test from 'ava';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { serviceTest, functionAndEndpoint, jsonPayload, type LiveService } from '../helpers/service.js';
import { lease, postResults, submitOk, registerEndpoint } from '../api/support.js';
import { PROMTOOL, promtoolCheck } from '../helpers/prometheus.js';
import { requireRealPart } from '../helpers/realPart.js';

const TOKEN = 'metrics-token-0123456789abcdef';

/** The scrape as text, and one sample's value by name and labels (undefined when absent). */
async function scrape(live: LiveService, token = TOKEN) {
  const response = await fetch(`${live.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  const sample = (name: string, labels: Record<string, string> = {}): number | undefined => {
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
      if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
    }
    return undefined;
  };
  return { status: response.status, type: response.headers.get('content-type'), text, sample };
}

serviceTest('metrics are off by default: /metrics is an unknown route', async (t, live) => {
  const response = await live.call('GET', '/metrics', { token: '' });
  t.is(response.status, 404);
  t.deepEqual(response.body, { code: 'RouteNotFound', reason: 'no route for GET /metrics', http_status_code: 404 });
});

serviceTest('token mode: no token, a user token or a wrong token is 401; the metrics token reads the scrape', async (t, live) => {
  t.is((await fetch(`${live.url}/metrics`)).status, 401);
  t.is((await fetch(`${live.url}/metrics`, { headers: { authorization: `Bearer ${live.adminToken}` } })).status, 401);
  const wrong = await scrape(live, `${TOKEN}x`);
  t.is(wrong.status, 401);
  t.like(JSON.parse(wrong.text), { code: 'UserUnauthenticated' });
  const right = await scrape(live);
  t.is(right.status, 200);
  t.regex(right.type ?? '', /^text\/plain; version=0\.0\.4/);
  t.true(right.sample('process_cpu_seconds_total')! >= 0);
}, { metricsToken: TOKEN });

serviceTest('open mode needs no token', async (t, live) => {
  const response = await fetch(`${live.url}/metrics`);
  t.is(response.status, 200);
}, { metrics: 'open' });

serviceTest('the task path is counted: submitted, leased, completed by status, WorkerLost retries, queue depth, times and sizes; HTTP by route template', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const ids = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2), jsonPayload(3), jsonPayload(4)]);
  let m = await scrape(live);
  t.is(m.sample('funcx_tasks_submitted_total', { endpoint: endpointId }), 4);
  t.is(m.sample('funcx_task_payload_bytes_count'), 4);
  t.is(m.sample('funcx_queue_depth', { endpoint: endpointId, state: 'waiting-for-ep' }), 4);

  const leased = (await lease(live, endpointId, credential, 3)).body.tasks as { task_id: string; lease_token: string }[];
  t.is(leased.length, 3);
  m = await scrape(live);
  t.is(m.sample('funcx_tasks_leased_total', { endpoint: endpointId }), 3);
  t.is(m.sample('funcx_task_queued_seconds_count'), 3);
  // The queue depth is cached (FUNCX_METRICS_QUEUE_REFRESH): this scrape still shows the earlier read.
  t.is(m.sample('funcx_queue_depth', { endpoint: endpointId, state: 'waiting-for-ep' }), 4);

  const [a, b, c] = leased;
  const posted = await postResults(live, endpointId, credential, [
    { task_id: a.task_id, lease_token: a.lease_token, status: 'success', result: JSON.stringify('x'.repeat(100)) },
    { task_id: b.task_id, lease_token: b.lease_token, status: 'failed', exception: { type: 'ValueError', message: 'no' } },
    { task_id: c.task_id, lease_token: c.lease_token, status: 'failed', exception: { type: 'WorkerLost', message: 'died' }, retry: true },
  ]);
  t.is(posted.status, 200);
  m = await scrape(live);
  t.is(m.sample('funcx_tasks_completed_total', { endpoint: endpointId, status: 'success' }), 1);
  t.is(m.sample('funcx_tasks_completed_total', { endpoint: endpointId, status: 'failed' }), 1);
  t.is(m.sample('funcx_task_retries_total', { reason: 'WorkerLost' }), 1);
  t.is(m.sample('funcx_task_run_seconds_count'), 2);
  t.is(m.sample('funcx_task_turnaround_seconds_count'), 2);
  t.is(m.sample('funcx_task_result_bytes_count'), 1);
  t.is(m.sample('funcx_task_result_bytes_bucket', { le: '64' }), 0); // 102 bytes
  t.is(m.sample('funcx_task_result_bytes_bucket', { le: '256' }), 1);
  t.is(m.sample('funcx_http_requests_total', { method: 'POST', route: '/v3/endpoints/:endpoint_id/results', status: '200' }), 1);
  t.is(m.sample('funcx_http_requests_total', { method: 'POST', route: '/v3/endpoints/:endpoint_id/submit', status: '200' }), 1);
  t.false(m.text.includes(a.task_id), 'no task id is a label value');
  t.true(m.sample('funcx_db_pool_connections', { state: 'used' })! >= 0);
  t.is(m.sample('funcx_long_poll_waiters', { kind: 'lease' }), 0);
  t.is(ids.length, 4);
}, { metricsToken: TOKEN });

serviceTest('queue depth is re-read after FUNCX_METRICS_QUEUE_REFRESH, by state', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)]);
  await lease(live, endpointId, credential, 1);
  // A refresh of 1 s (the least allowed): wait for a scrape that shows the lease.
  let m = await scrape(live);
  for (let i = 0; i < 100 && m.sample('funcx_queue_depth', { endpoint: endpointId, state: 'running' }) !== 1; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    m = await scrape(live);
  }
  t.is(m.sample('funcx_queue_depth', { endpoint: endpointId, state: 'running' }), 1);
  t.is(m.sample('funcx_queue_depth', { endpoint: endpointId, state: 'waiting-for-ep' }), 1);
}, { metricsToken: TOKEN, metricsQueueRefresh: '1s' });

serviceTest('an expired lease counts as a lease expiry and an EndpointLost retry', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  t.is((await lease(live, endpointId, credential, 1)).body.tasks.length, 1);
  let m = await scrape(live);
  for (let i = 0; i < 100 && m.sample('funcx_lease_expiries_total', { outcome: 'requeued' }) !== 1; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    m = await scrape(live);
  }
  t.is(m.sample('funcx_lease_expiries_total', { outcome: 'requeued' }), 1);
  t.is(m.sample('funcx_task_retries_total', { reason: 'EndpointLost' }), 1);
}, { metricsToken: TOKEN, leaseTimeout: '1s' });

serviceTest('endpoints past FUNCX_METRICS_MAX_ENDPOINTS are counted as endpoint="other"', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const second = await registerEndpoint(live, { name: 'second' });
  await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  await submitOk(live, second.endpointId, functionId, [jsonPayload(1), jsonPayload(2)]);
  const m = await scrape(live);
  t.is(m.sample('funcx_tasks_submitted_total', { endpoint: endpointId }), 1);
  t.is(m.sample('funcx_tasks_submitted_total', { endpoint: 'other' }), 2);
  t.false(m.text.includes(second.endpointId));
}, { metricsToken: TOKEN, metricsMaxEndpoints: 1 });

if (requireRealPart('promtool check metrics', PROMTOOL ? undefined : 'promtool not installed (apt-get install prometheus)')) {
  serviceTest('promtool check metrics accepts the service scrape after tasks ran', async (t, live) => {
    const { functionId, endpointId, credential } = await functionAndEndpoint(live);
    await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
    const [task] = (await lease(live, endpointId, credential, 1)).body.tasks;
    await postResults(live, endpointId, credential, [{ task_id: task.task_id, lease_token: task.lease_token, status: 'success', result: '1' }]);
    const m = await scrape(live);
    t.is(m.status, 200);
    const verdict = promtoolCheck(m.text);
    t.true(verdict.ok, verdict.output);
  }, { metricsToken: TOKEN });
}

test('FUNCX_METRICS=token without a long enough FUNCX_METRICS_TOKEN is refused at start-up; the token alone turns token mode on', (t) => {
  const error = t.throws(() => loadConfig({ FUNCX_METRICS: 'token', FUNCX_METRICS_TOKEN: 'short' }), { instanceOf: ConfigError });
  t.deepEqual(error!.problems, ['FUNCX_METRICS=token needs FUNCX_METRICS_TOKEN of at least 16 characters (it has 5)']);
  t.is(loadConfig({}).metrics, 'off');
  t.is(loadConfig({ FUNCX_METRICS_TOKEN: TOKEN }).metrics, 'token');
  t.is(loadConfig({ FUNCX_METRICS: 'open' }).metrics, 'open');
});
