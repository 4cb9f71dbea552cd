/**
 * Tasks are purged `retention` after they finish, but an action is kept
 * `release_after` (default 30 days): the maintenance loop records the outcome
 * on the action before the ledger purges its tasks, so a flow that polls late
 * still reads the results. The test plays the endpoint over its protocol, and
 * checks the payload the provider queued is the `json` {args, kwargs} form.
 */
import { serviceTest } from '../helpers/service.js';
import { waitFor } from '../helpers/endpointProcess.js';
import { DOUBLE, ap, newCaller, registerPythonAs, v3Run } from './support.js';

serviceTest('an outcome nobody polled survives the purge of its tasks', async (t, live) => {
  const alice = await newCaller(live);
  const registered = await live.call('POST', '/v3/endpoints', { token: alice.token, body: { name: 'played-by-the-test' } });
  const { endpoint_id: endpointId, credential } = registered.body as { endpoint_id: string; credential: string };
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const started = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('late-poll', endpointId, [{ function_id: double, args: [42], kwargs: { unused: null } }]) });
  t.is(started.status, 202);

  const leased = await live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: { max_tasks: 10, wait_s: 0 } });
  t.is(leased.body.tasks.length, 1);
  const [task] = leased.body.tasks;
  t.is(task.serializer, 'json');
  t.deepEqual(JSON.parse(task.payload), { args: [42], kwargs: { unused: null } });
  const posted = await live.call('POST', `/v3/endpoints/${endpointId}/results`, {
    token: credential,
    body: { results: [{ task_id: task.task_id, lease_token: task.lease_token, status: 'success', result: '84', result_serializer: 'json' }] },
  });
  t.is(posted.status, 200, JSON.stringify(posted.body));

  await waitFor(async () => (await live.db('tasks').where({ id: task.task_id })).length === 0, 'the task to be purged past retention', 60_000);
  const late = await ap(t, live, 'status', 'GET', `/actions/${started.body.action_id}`, { token: alice.token });
  t.is(late.body.status, 'SUCCEEDED', JSON.stringify(late.body));
  t.deepEqual(late.body.details, { result: [84], results: [{ task_id: task.task_id, output: 84 }] });
  t.is((await ap(t, live, 'status', 'DELETE', `/actions/${started.body.action_id}`, { token: alice.token })).status, 200);
}, { retention: '1s', purgeInterval: '200ms' });
