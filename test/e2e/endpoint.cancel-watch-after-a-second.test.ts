/**
 * The agent's cancel watch (endpoint/cancelWatch.ts) covers a task only once it has been held for
 * WATCH_AFTER_MS: short tasks, one after another, open no watch at all (a watch replaced per task
 * cost a request and, its aborted request's connection not being reused, a new connection, which
 * a WAN away added a network round trip to every lone round trip); a task that runs longer is
 * watched. Counted on the service's own request counter (GET /metrics), a real endpoint process.
 */
import { startLiveService, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import test from 'ava';

/** POST /v3/endpoints/{id}/cancels requests the service answered, whatever their status. */
async function cancelWatches(live: LiveService): Promise<number> {
  const text = await (await fetch(`${live.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('funcx_http_requests_total{') && line.includes('route="/v3/endpoints/:endpoint_id/cancels"') && line.includes('method="POST"')) {
      total += Number(line.split(' ').pop());
    }
  }
  return total;
}

test('short tasks one after another open no cancel watch; a task held past a second is watched, and its cancel comes through the watch', async (t) => {
  const live = await startLiveService(t, 'sqlite', { metrics: 'open' });
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 1, heartbeat_period: '30s' } });
  const quick = await registerPython(live, 'def quick(x):\n    return x\n', 'quick');
  for (let x = 0; x < 8; x++) {
    const [id] = await submit(live, endpoint.endpointId, quick, [[x]]);
    const done = await waitForTasks(live, [id]);
    t.is(done[id].status, 'success', JSON.stringify(done[id]));
  }
  t.is(await cancelWatches(live), 0, 'eight short tasks, no watch');

  // The counter counts watches: a long task, cancelled while it runs, is told by the watch, which then answers.
  const slow = await registerPython(live, 'def slow():\n    import time\n    time.sleep(120)\n', 'slow');
  const [id] = await submit(live, endpoint.endpointId, slow, [[]]);
  await waitFor(async () => (await live.call('GET', `/v3/tasks/${id}`)).body.status === 'running', 'the long task to run', 60_000);
  t.is((await live.call('POST', `/v3/tasks/${id}/cancel`)).status, 200);
  // Heartbeats are 30 s apart here: only the watch can bring the cancel this soon.
  await waitFor(() => endpoint.output().includes('"why":"cancelled"'), 'the agent to drop the cancelled task', 20_000);
  t.true((await cancelWatches(live)) > 0, 'the long task was watched, and its watch answered the cancel');
});
