/**
 * What the scheduler suites (Slurm, Grid Engine) share: the blocks an endpoint reports in its
 * status, and the "kill a busy block" scenario, whose scheduler command is the only difference.
 */
import { writeFileSync } from 'node:fs';
import type { ExecutionContext } from 'ava';
import type { LiveService } from './service.js';
import { waitFor, type EndpointProcess } from './endpointProcess.js';
import { submit, waitForTasks } from './tasks.js';

export interface ReportedBlock {
  block_id: string;
  job_id: string | null;
  state: string;
  managers: { manager_id: string }[];
}

/** The blocks of the endpoint's latest status report (none before its first report). */
export async function blocksOf(live: LiveService, endpointId: string): Promise<ReportedBlock[]> {
  const status = await live.call('GET', `/v3/endpoints/${endpointId}/status`);
  return (status.body.logs?.[0]?.details?.blocks ?? []) as ReportedBlock[];
}

/**
 * Runs one blocking task, kills the job it runs in with `kill`, and checks the task was
 * reported lost (WorkerLost) and succeeded on its second attempt in another job. Resolves
 * with the killed job's id, for the scheduler-specific checks.
 */
export async function killBusyBlockAndSeeRetry(
  t: ExecutionContext,
  setup: { live: LiveService; endpoint: EndpointProcess; fn: string; marker: string; record: string },
  jobIds: () => string[],
  kill: (jobId: string) => void,
): Promise<string> {
  const { live, endpoint, fn, marker, record } = setup;
  const [id] = await submit(live, endpoint.endpointId, fn, [[marker, record]]);
  await waitFor(() => jobIds().length === 1, 'the task to start', 120_000);
  const first = jobIds()[0];
  kill(first);
  await waitFor(() => jobIds().length === 2, 'the task to start again', 120_000);
  writeFileSync(marker, '');
  const done = await waitForTasks(live, [id]);
  t.is(done[id].status, 'success');
  t.is(done[id].attempts, 2);
  t.deepEqual(done[id].details.attempt_history.map((a: { reason: string }) => a.reason), ['WorkerLost']);
  t.not(JSON.parse(done[id].result), first, 'the retry ran in another job');
  return first;
}
