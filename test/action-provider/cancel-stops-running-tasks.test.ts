/** An action cancelled while its task runs: the endpoint's cancel watch hears of it, as for a task cancelled by hand. */
import { serviceTest } from '../helpers/service.js';
import { sleep } from '../../src/util/time.js';
import { DOUBLE, ap, newCaller, registerPythonAs, v3Run } from './support.js';

serviceTest('an action cancelled: the endpoint running its task is told at once through the cancel watch', async (t, live) => {
  const alice = await newCaller(live);
  const registered = await live.call('POST', '/v3/endpoints', { token: alice.token, body: { name: 'runs-it' } });
  const { endpoint_id: endpointId, credential } = registered.body as { endpoint_id: string; credential: string };
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const started = await ap(t, live, 'status', 'POST', '/actions', { token: alice.token, body: v3Run('cancel-running', endpointId, [{ function_id: double, args: [1] }]) });
  const leased = await live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: { max_tasks: 1, wait_s: 0 } });
  const [taskId] = leased.body.tasks.map((task: { task_id: string }) => task.task_id);
  t.truthy(taskId);
  const watching = live.call('POST', `/v3/endpoints/${endpointId}/cancels`, { token: credential, body: { task_ids: [taskId], wait_s: 60 } });
  await ap(t, live, 'status', 'POST', `/actions/${started.body.action_id}/cancel`, { token: alice.token });
  // wait_s 60 and no fallback re-check for 10 minutes: only a wake-up answers well before 60 s.
  const tooLate = new AbortController();
  const answered = await Promise.race([watching, sleep(45_000, tooLate.signal).then(() => 'no answer' as const)]);
  tooLate.abort();
  t.not(answered, 'no answer', 'the watch did not wake up on the action\'s cancel');
  t.deepEqual((await watching).body, { cancel: [taskId] });
}, { pollFallbackInterval: '10m' });
