/**
 * Request budgets per identity and per address (429 with Retry-After), which
 * address counts (X-Forwarded-For only when trusted), and slow clients cut off.
 */
import net from 'node:net';
import { serviceTest, type LiveService } from '../helpers/service.js';
import { lease, postResults, registerEndpoint, registerFunction, submitOk } from './support.js';

const list = (live: LiveService, token?: string, headers?: Record<string, string>) => live.call('GET', '/v3/endpoints', { token, headers });

serviceTest('each identity has its own budget; over it, 429 TooManyRequests with Retry-After', async (t, live) => {
  const bob = await live.tokenFor('bob');
  const { endpointId, credential } = await registerEndpoint(live); // the admin's 1st request
  t.is((await list(live)).status, 200); // 2nd
  t.is((await list(live)).status, 200); // 3rd
  const over = await list(live);
  t.is(over.status, 429);
  t.like(over.body, { code: 'TooManyRequests', http_status_code: 429 });
  t.regex(over.body.reason, /^too many requests; try again in \d+ s$/);
  const retryAfter = Number(over.headers.get('retry-after'));
  t.true(retryAfter >= 1 && retryAfter <= 20, `Retry-After ${retryAfter}`); // one request per 20 s refills
  // Others, and the admin's endpoint (its own identity), are not held back by the admin's overuse.
  t.is((await list(live, bob)).status, 200);
  t.is((await lease(live, endpointId, credential)).status, 200);
}, { rateLimitRequests: 3, rateLimitWindow: '1m' });

serviceTest('an endpoint\'s lease polls and results posts that move tasks spend none of its budget; empty polls, posts that store nothing and malformed ones do', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  const functionId = await registerFunction(live);
  const taskIds = await submitOk(live, endpointId, functionId, ['1', '2', '3', '4', '5', '6']); // the admin's 3rd request: its budget's last
  // Twelve requests against a budget of three: each moves a task.
  for (let i = 0; i < taskIds.length; i++) {
    const leased = await lease(live, endpointId, credential, 1);
    t.is(leased.status, 200);
    t.is(leased.body.tasks.length, 1);
    const [task] = leased.body.tasks;
    const stored = await postResults(live, endpointId, credential, [{ task_id: task.task_id, lease_token: task.lease_token, status: 'success', result: '1', result_serializer: 'json' }]);
    t.is(stored.status, 200);
    t.is(stored.body.results[0].outcome, 'stored');
    if (i === taskIds.length - 1) {
      // The same post again stores nothing (a duplicate): charged, the first of three.
      const again = await postResults(live, endpointId, credential, [{ task_id: task.task_id, lease_token: task.lease_token, status: 'success', result: '1', result_serializer: 'json' }]);
      t.is(again.status, 200);
      t.is(again.body.results[0].outcome, 'duplicate');
    }
  }
  // A malformed poll (refused 400) is charged: the second; an empty poll the third.
  t.is((await live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: { max_tasks: 0 } })).status, 400);
  const empty = await lease(live, endpointId, credential, 1);
  t.is(empty.status, 200);
  t.deepEqual(empty.body.tasks, []);
  const over = await lease(live, endpointId, credential, 1);
  t.is(over.status, 429, 'the fourth request that moved nothing');
  t.is(over.body.code, 'TooManyRequests');
  t.true(Number(over.headers.get('retry-after')) >= 1);
}, { rateLimitRequests: 3, rateLimitWindow: '1h' });

serviceTest('the Action Provider API shares the budget: over it, 429 in its own error shape, with Retry-After', async (t, live) => {
  t.is((await live.call('GET', '/actions/actions')).status, 200); // the enumeration (GET /actions is the public introspection)
  const over = await live.call('GET', '/actions/actions');
  t.is(over.status, 429);
  t.is(over.body.code, 'TooManyRequests');
  t.regex(over.body.description, /^too many requests; try again in \d+ s$/);
  t.true(Number(over.headers.get('retry-after')) >= 1);
  t.is((await list(live)).status, 429, 'the same identity\'s budget, whichever API');
}, { rateLimitRequests: 1, rateLimitWindow: '1h' });

serviceTest('refused credentials spend the address\'s budget; then even a good token from there waits', async (t, live) => {
  t.is((await list(live, 'fxu_guess1')).status, 401);
  t.is((await list(live, 'fxu_guess2')).status, 401);
  const blocked = await list(live, 'fxu_guess3');
  t.is(blocked.status, 429);
  t.is(blocked.body.code, 'TooManyRequests');
  t.true(Number(blocked.headers.get('retry-after')) >= 1);
  t.is((await list(live)).status, 429);
  // X-Forwarded-For is not believed without FUNCX_TRUST_PROXY: a forged address does not help.
  t.is((await list(live, undefined, { 'x-forwarded-for': '203.0.113.9' })).status, 429);
}, { rateLimitAuthFailures: 2, rateLimitWindow: '1h' });

serviceTest('behind a trusted proxy, each forwarded client address has its own budget', async (t, live) => {
  const from = (address: string) => ({ 'x-forwarded-for': address });
  t.is((await list(live, 'fxu_guess', from('203.0.113.1'))).status, 401);
  t.is((await list(live, 'fxu_guess', from('203.0.113.1'))).status, 429);
  t.is((await list(live, undefined, from('203.0.113.2'))).status, 200);
}, { rateLimitAuthFailures: 1, rateLimitWindow: '1h', trustProxy: true });

serviceTest('a client that sends its headers too slowly is disconnected (408)', async (t, live) => {
  const { port } = new URL(live.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  t.teardown(() => socket.destroy());
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk));
  socket.on('error', () => {}); // a reset is also a disconnect
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('GET /v3/endpoints HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // and never the blank line
  await new Promise((resolve) => socket.once('close', resolve));
  t.regex(answer, /^HTTP\/1\.1 408/);
}, { headersTimeout: '300ms', requestTimeout: '1s' });
