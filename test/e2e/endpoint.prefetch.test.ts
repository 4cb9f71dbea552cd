/**
 * The default prefetch (auto) keeps every worker busy through a flood of
 * short tasks, seen in the endpoint's own heartbeat reports; and an endpoint
 * that leased long tasks ahead hands them back for another endpoint with free
 * workers, instead of hoarding them.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serviceTest, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';

const NOOP = 'def noop(x=None):\n    return x\n';
const SHORT = 'def short(x=None):\n    import time\n    time.sleep(0.01)\n    return x\n';

interface Report { idle_workers: number; total_workers: number; pending_tasks: number; details?: { prefetch?: number } }

async function reports(live: LiveService, endpointId: string): Promise<Report[]> {
  const rows = await live.db('endpoint_heartbeats').where({ endpoint_id: endpointId }).select('report');
  return rows.map((row: { report: string }) => JSON.parse(row.report) as Report);
}

serviceTest('a flood of short tasks keeps every worker busy: a heartbeat reports no idle worker and tasks waiting here for one', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 2, heartbeat_period: '100ms', log_level: 'info' } });
  // Short tasks, but not no-ops: 2,000 no-ops were over before a loaded machine's heartbeat
  // caught both workers busy with tasks waiting (the endpoint keeps only its newest reports),
  // while 10 ms each keep the two workers busy some 10 s.
  const fn = await registerPython(live, SHORT, 'short');
  const ids = await submit(live, endpoint.endpointId, fn, Array.from({ length: 2000 }, (_, i) => [i]));
  // Tasks waiting on the endpoint while both workers run: the next task is already here when one finishes.
  await waitFor(async () => (await reports(live, endpoint.endpointId)).some((r) => r.idle_workers === 0 && r.pending_tasks > 0), 'a heartbeat with every worker busy and tasks leased ahead', 120_000);
  const done = await waitForTasks(live, ids);
  t.true(ids.every((id) => done[id].status === 'success'));
  const seen = await reports(live, endpoint.endpointId);
  t.true(seen.some((r) => (r.details?.prefetch ?? 0) > 0), 'the prefetch grew above 0');
});

const BLOCKING = `def blocking(marker, pidfile):
    import os, time
    with open(pidfile, "a") as f:
        f.write("%s\\n" % os.environ.get("FUNCX_TEST_TAG", ""))
    while not os.path.exists(marker):
        time.sleep(0.02)
    return os.environ.get("FUNCX_TEST_TAG", "")
`;

serviceTest('long tasks an endpoint leased ahead are handed back to a second endpoint with free workers', async (t, live) => {
  const busy = await startEndpointProcess(t, live, { env: { FUNCX_TEST_TAG: 'busy' }, config: { max_workers: 2, heartbeat_period: '100ms', log_level: 'info' } });
  // Short tasks first, so the prefetch has grown (this is what could make it hoard the long ones).
  const noop = await registerPython(live, NOOP, 'noop');
  await waitForTasks(live, await submit(live, busy.endpointId, noop, Array.from({ length: 200 }, (_, i) => [i])));
  await waitFor(async () => {
    const row = await live.db('endpoints').where({ id: busy.endpointId }).first('last_report');
    return (JSON.parse(row.last_report) as Report).details!.prefetch! >= 2;
  }, 'the busy endpoint to lease at least two tasks ahead');

  const marker = path.join(live.database.dir, 'go');
  const pidfile = path.join(live.database.dir, 'started');
  const blocking = await registerPython(live, BLOCKING, 'blocking');
  const ids = await submit(live, busy.endpointId, blocking, Array.from({ length: 4 }, () => [marker, pidfile]));
  // All four leased by the busy endpoint: two run on its workers, two wait for them.
  await waitFor(async () => (await live.db('tasks').whereIn('id', ids).where('state', 'running')).length === 4, 'all four leased');
  await waitFor(() => existsSync(pidfile) && readFileSync(pidfile, 'utf8').split('\n').length - 1 === 2, 'two to start');

  // A second agent of the same endpoint (as when one endpoint runs on two hosts), workers free.
  const otherHome = path.join(live.database.dir, 'other-home');
  mkdirSync(path.join(otherHome, busy.name), { recursive: true });
  copyFileSync(busy.paths.identity, path.join(otherHome, busy.name, 'endpoint.json'));
  await startEndpointProcess(t, live, { home: otherHome, env: { FUNCX_TEST_TAG: 'free', FUNCX_TOKEN: '' }, config: { max_workers: 2 } });

  await waitFor(() => readFileSync(pidfile, 'utf8').split('\n').length - 1 === 4, 'all four to run at once, on both endpoints', 60_000);
  writeFileSync(marker, '');
  const done = await waitForTasks(live, ids);
  t.deepEqual(ids.map((id) => JSON.parse(done[id].result)).sort(), ['busy', 'busy', 'free', 'free']);
  t.true(ids.every((id) => done[id].attempts === 1), 'handing back does not count an attempt');
  t.regex(busy.output(), /handing back tasks leased ahead/);
});
