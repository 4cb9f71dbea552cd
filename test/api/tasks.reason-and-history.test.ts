/**
 * A waiting task says why it waits (its `reason`), and its `history` lists each attempt and how
 * it ended: waiting-for-ep with the endpoint's own state, waiting-for-launch and waiting-for-nodes
 * (with the block and what its scheduler says) from the endpoint's heartbeats.
 */
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { eventually } from '../helpers/within.js';
import { getTask, heartbeat, lease, postResults, submitOk } from './support.js';

serviceTest('reason: waiting-for-ep names the endpoint\'s state (never connected, online, stopped by whom); null once finished', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  t.like(await getTask(t, live, taskId), { status: 'waiting-for-ep', reason: 'waiting-for-ep: endpoint offline: no agent has connected yet', history: [] });

  await heartbeat(live, endpointId, credential);
  t.is((await getTask(t, live, taskId)).reason, 'waiting-for-ep: queued; the endpoint is online and leases it when it has room');

  await live.call('POST', `/v3/endpoints/${endpointId}/state`, { token: credential, body: { state: 'offline', detail: 'stopped cleanly by alice' } });
  t.regex((await getTask(t, live, taskId)).reason, /^waiting-for-ep: endpoint offline since \S+Z: stopped cleanly by alice$/);

  const [leased] = (await lease(live, endpointId, credential, 1)).body.tasks;
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: leased.lease_token, status: 'success', result: '2' }]);
  const done = await getTask(t, live, taskId);
  t.is(done.reason, null);
  t.is(done.history.length, 1);
  t.like(done.history[0], { attempt: 1, outcome: 'completed', detail: null });
  t.truthy(Date.parse(done.history[0].started_at) && Date.parse(done.history[0].ended_at));
});

serviceTest('reason: waiting-for-ep says since when the endpoint is lost; a task running there says it runs again once its lease expires', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [running, queued] = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)]);
  await lease(live, endpointId, credential, 1);
  await heartbeat(live, endpointId, credential);
  const lastBeat = (await live.call('GET', `/v3/endpoints/${endpointId}/status`)).body.last_heartbeat_at;
  const lost = await eventually(30_000, 'the task\'s endpoint shown lost', async () => {
    const task = await getTask(t, live, queued);
    return task.reason.startsWith('waiting-for-ep: endpoint lost') ? task : undefined;
  });
  t.is(lost.reason, `waiting-for-ep: endpoint lost since ${lastBeat}`);
  t.is((await getTask(t, live, running)).reason, `running: endpoint lost since ${lastBeat}; the task runs again elsewhere once its lease expires`);
}, { endpointOfflineAfter: '1s' });

serviceTest('reason: waiting-for-launch and waiting-for-nodes (the block still queued, as its scheduler says) from heartbeats', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [leased] = (await lease(live, endpointId, credential, 1)).body.tasks;
  const held = (flags: Record<string, boolean>, details: Record<string, unknown> = {}) =>
    heartbeat(live, endpointId, credential, { leases: [{ task_id: taskId, lease_token: leased.lease_token, ...flags }], details });

  t.is((await held({ waiting_for_launch: true })).status, 200);
  const launching = await getTask(t, live, taskId);
  t.is(launching.status, 'running');
  t.regex(launching.reason, /^waiting-for-launch: at the endpoint since \S+Z, its workers busy$/);
  t.like(launching.history, [{ attempt: 1, outcome: 'running', ended_at: null }]);

  // The block that failed is gone (shown ended): the task waits for the one still queued.
  const blocks = [{ block_id: 'b2-x', job_id: '1234', state: 'pending', scheduler_state: 'PENDING (Priority)', managers: [] }];
  const ended = [{ block_id: 'b1-x', job_id: '1233', state: 'failed', scheduler_state: 'SUBMIT FAILED: sbatch: error', managers: [] }];
  await held({ waiting_for_nodes: true }, { blocks, ended_blocks: ended });
  const waiting = await getTask(t, live, taskId);
  t.like(waiting, { status: 'waiting-for-nodes', reason: 'waiting-for-nodes: block 1234 PENDING (Priority)' });

  await held({});
  t.like(await getTask(t, live, taskId), { status: 'running', reason: null });
});

serviceTest('history: a lost worker\'s attempt is listed with how it ended, then the failing one; a stranger reading it gets 404', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const first = (await lease(live, endpointId, credential, 1)).body.tasks[0];
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: first.lease_token, status: 'failed', exception: { type: 'WorkerLost', message: 'worker process exited with signal SIGKILL' }, retry: true }]);
  const second = (await lease(live, endpointId, credential, 1)).body.tasks[0];
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: second.lease_token, status: 'failed', exception: { type: 'ValueError', message: 'bad input' } }]);

  const v3 = await live.call('GET', `/v3/tasks/${taskId}`);
  assertSchema(t, 'task.json', v3.body);
  t.like(v3.body.history, [
    { attempt: 1, outcome: 'worker lost', detail: 'worker process exited with signal SIGKILL' },
    { attempt: 2, outcome: 'failed', detail: 'ValueError: bad input' },
  ]);
  t.is(v3.body.history.length, 2);
  const stranger = await live.tokenFor('mallory');
  const hidden = await live.call('GET', `/v3/tasks/${taskId}`, { token: stranger });
  t.is(hidden.status, 404);
  t.like(hidden.body, { code: 'TaskNotFound' });
});
