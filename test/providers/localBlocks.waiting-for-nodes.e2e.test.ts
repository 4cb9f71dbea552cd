/**
 * A task leased by an endpoint whose block has not come up yet is shown as
 * `waiting-for-nodes` in GET /v2/tasks/{id}, then `running` once it is on a
 * worker. Real agent, local-provider block, worker manager and worker; the
 * block's worker_init waits for a marker file the test creates (a node the
 * scheduler has not granted yet), and the function waits for another.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertSchema, serviceTest, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';

const HOLD = `def hold(marker):
    import os, time
    while not os.path.exists(marker):
        time.sleep(0.02)
    return 7
`;

async function task(live: LiveService, taskId: string) {
  const response = await live.call('GET', `/v2/tasks/${taskId}`);
  if (response.status !== 200) throw new Error(`GET task: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

serviceTest('waiting for nodes: a task held for a block still to come is waiting-for-nodes, then running on the block, then success', async (t, live) => {
  const nodes = path.join(live.database.dir, 'nodes-granted');
  const go = path.join(live.database.dir, 'go');
  const endpoint = await startEndpointProcess(t, live, {
    config: {
      provider: {
        type: 'local',
        init_blocks: 0,
        min_blocks: 0,
        max_blocks: 1,
        max_workers_per_node: 2,
        strategy_period: '200ms',
        listen_address: '127.0.0.1',
        listen_port: 0,
        manager_heartbeat_period: '200ms',
        worker_init: [`while [ ! -e ${nodes} ]; do sleep 0.05; done`],
      },
      // Slower than the test needs: the status changes arrive by the agent's early heartbeats.
      heartbeat_period: '20s',
    },
  });
  const fn = await registerPython(live, HOLD, 'hold');
  const [id] = await submit(live, endpoint.endpointId, fn, [[go]]);

  const seen: string[] = [];
  const sawStatus = (wanted: string) => async () => {
    const status = (await task(live, id)).status as string;
    if (seen.at(-1) !== status) seen.push(status);
    return status === wanted;
  };
  await waitFor(sawStatus('waiting-for-nodes'), 'the task to be reported waiting-for-nodes', 60_000);
  const waiting = await task(live, id);
  assertSchema(t, 'task.json', waiting);
  t.like(waiting, { status: 'waiting-for-nodes', pending: true, attempts: 1, completed_at: null });
  t.truthy(waiting.leased_at);
  const group = await live.call('GET', `/v2/taskgroup/${waiting.task_group_id}`);
  t.like(group.body.tasks[0], { id, status: 'waiting-for-nodes', pending: true });
  t.regex(endpoint.output(), /"msg":"block submitted"/);
  t.notRegex(endpoint.output(), /"msg":"worker manager connected"/);

  // The scheduler grants the node: the manager connects, the task starts, and the agent says so.
  writeFileSync(nodes, '');
  await waitFor(sawStatus('running'), 'the task to be reported running once on a worker', 60_000);
  t.regex(endpoint.output(), /"msg":"worker manager connected"/);
  t.like(await task(live, id), { status: 'running', pending: true, attempts: 1 });

  writeFileSync(go, '');
  const done = await waitForTasks(live, [id]);
  t.like(done[id], { status: 'success', pending: false, attempts: 1 });
  t.is(JSON.parse(done[id].result), 7);
  // Queued, leased (running until the first early heartbeat), waiting for nodes, on a worker: never back, never lost.
  t.deepEqual(seen.filter((s) => s !== 'waiting-for-ep').slice(-2), ['waiting-for-nodes', 'running'], seen.join(' → '));
  t.true(seen.every((s) => ['waiting-for-ep', 'running', 'waiting-for-nodes'].includes(s)), seen.join(' → '));
}, { leaseTimeout: '60s' });
