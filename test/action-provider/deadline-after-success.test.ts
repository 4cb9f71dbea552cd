/**
 * A deadline only ends what is still pending: an action whose tasks all
 * succeeded keeps SUCCEEDED when it is first looked at after its deadline.
 * The test plays the endpoint (lease, post the result) so the task finishes at
 * once, then waits for the database clock to pass the deadline before reading.
 */
import { readNow } from '../../src/db/clock.js';
import { serviceTest } from '../helpers/service.js';
import { waitFor } from '../helpers/endpointProcess.js';
import { DOUBLE, ap, newCaller, registerPythonAs, v3Run } from './support.js';

serviceTest('an action whose tasks succeeded before its deadline is SUCCEEDED when read after it', async (t, live) => {
  const alice = await newCaller(live);
  const registered = await live.call('POST', '/v3/endpoints', { token: alice.token, body: { name: 'played-by-the-test' } });
  t.is(registered.status, 201);
  const { endpoint_id: endpointId, credential } = registered.body as { endpoint_id: string; credential: string };
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const deadlineMs = (await readNow(live.db)) + 4000;
  const started = await ap(t, live, 'status', 'POST', '/run', {
    token: alice.token,
    body: v3Run('done-in-time', endpointId, [{ function_id: double, args: [21] }], { deadline: new Date(deadlineMs).toISOString() }),
  });
  t.is(started.status, 202, JSON.stringify(started.body));
  const actionId: string = started.body.action_id;

  const leased = await live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: { max_tasks: 10, wait_s: 0 } });
  t.is(leased.body.tasks.length, 1);
  const [task] = leased.body.tasks as { task_id: string; lease_token: string }[];
  const posted = await live.call('POST', `/v3/endpoints/${endpointId}/results`, {
    token: credential,
    body: { results: [{ task_id: task.task_id, lease_token: task.lease_token, status: 'success', result: '42' }] },
  });
  t.deepEqual(posted.body, { results: [{ task_id: task.task_id, outcome: 'stored' }] });

  // Nobody reads the action before its deadline passes (by the database's clock, which decides it).
  await waitFor(async () => (await readNow(live.db)) > deadlineMs, 'the deadline to pass');
  const status = await ap(t, live, 'status', 'GET', `/actions/${actionId}`, { token: alice.token });
  t.is(status.body.status, 'SUCCEEDED', JSON.stringify(status.body));
  t.deepEqual(status.body.details.result, [42]);
  const row = await live.db('actions').where({ id: actionId }).first();
  t.is(row.status, 'SUCCEEDED');
  const again = await ap(t, live, 'status', 'POST', `/actions/${actionId}/cancel`, { token: alice.token });
  t.is(again.status, 409, 'a finished action cannot be cancelled');
  t.is((await ap(t, live, 'status', 'GET', `/actions/${actionId}`, { token: alice.token })).body.status, 'SUCCEEDED');
}, { reapInterval: '100ms' });
