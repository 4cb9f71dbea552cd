/**
 * An idle agent's open lease poll stands for its heartbeats (endpoint/agent/pollStandsIn.ts,
 * src/registry/pollSightings.ts): a real endpoint process, idle, stops repeating its report while
 * its polls keep it online past the offline threshold; a task held brings the heartbeats back,
 * since they renew its lease. Counted on the service's own request counter (GET /metrics).
 */
import test from 'ava';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';

/** Requests to an endpoint-protocol route the service answered, whatever their status. */
async function answered(live: LiveService, route: 'heartbeat' | 'lease'): Promise<number> {
  const text = await (await fetch(`${live.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('funcx_http_requests_total{') && line.includes(`route="/v3/endpoints/:endpoint_id/${route}"`)) total += Number(line.split(' ').pop());
  }
  return total;
}

test('an idle agent\'s polls stand for its heartbeats and keep it online; a held task brings them back', async (t) => {
  const live = await startLiveService(t, 'sqlite', { metrics: 'open', endpointOfflineAfter: '7s' });
  // Heartbeats every 200 ms would be about 45 in the 9 s watched below; polls of 1 s are 9.
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 1, heartbeat_period: '200ms', poll_wait: '1s' } });
  // The worker up and reported, and one poll answered (its answer said idle_heartbeat_s).
  await waitFor(async () => (await live.call('GET', `/v3/endpoints/${endpoint.endpointId}/status`)).body.idle_workers === 1, 'the worker to be reported idle', 60_000);
  const firstPolls = await answered(live, 'lease');
  await waitFor(async () => (await answered(live, 'lease')) >= firstPolls + 2, 'two more polls', 20_000);

  const heartbeatsBefore = await answered(live, 'heartbeat');
  const pollsBefore = await answered(live, 'lease');
  await waitFor(async () => (await answered(live, 'lease')) >= pollsBefore + 9, 'nine more polls: past the 7 s offline threshold', 60_000);
  const heartbeats = (await answered(live, 'heartbeat')) - heartbeatsBefore;
  t.true(heartbeats <= 2, `${heartbeats} heartbeats over nine idle polls`);
  t.like((await live.call('GET', `/v3/endpoints/${endpoint.endpointId}/status`)).body, { status: 'online', idle_workers: 1, total_workers: 1 });

  const slow = await registerPython(live, 'def slow():\n    import time\n    time.sleep(3)\n    return "done"\n', 'slow');
  const heartbeatsIdle = await answered(live, 'heartbeat');
  const [id] = await submit(live, endpoint.endpointId, slow, [[]]);
  await waitFor(async () => (await answered(live, 'heartbeat')) >= heartbeatsIdle + 3, 'heartbeats renewing the held task\'s lease', 30_000);
  const done = await waitForTasks(live, [id]);
  t.is(done[id].status, 'success', JSON.stringify(done[id]));
});
