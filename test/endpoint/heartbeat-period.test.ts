/**
 * heartbeat_period is bounded by the service's lease: with a heartbeat slower
 * than a third of the lease, the agent warns once and heartbeats every
 * lease_seconds/3, so a task running longer than the lease keeps its lease.
 */
import test from 'ava';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serviceTest, type LiveService } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { spreadAround } from '../../endpoint/agent/index.js';

const BLOCKING = `def blocking(marker, started):
    import os, time
    open(started, "w").close()
    while not os.path.exists(marker):
        time.sleep(0.02)
    return "done"
`;

async function leaseExpiry(live: LiveService, taskId: string): Promise<number> {
  const row = await live.db('tasks').where({ id: taskId }).first();
  return row.lease_expires_at ? new Date(row.lease_expires_at).getTime() : 0;
}

test('heartbeat jitter stays within ±10%', (t) => {
  for (let i = 0; i < 1000; i += 1) {
    const ms = spreadAround(1000, 0.1);
    t.true(ms >= 900 && ms <= 1100, String(ms));
  }
});

serviceTest('a heartbeat_period longer than the lease is clamped to lease_seconds/3, and leases are renewed', async (t, live) => {
  const marker = path.join(live.database.dir, 'go');
  const started = path.join(live.database.dir, 'started');
  const endpoint = await startEndpointProcess(t, live, { config: { heartbeat_period: '1h' } });
  const fn = await registerPython(live, BLOCKING, 'blocking');
  const [taskId] = await submit(live, endpoint.endpointId, fn, [[marker, started]]);
  await waitFor(() => existsSync(started), 'the task to start');

  // Heartbeats (every ~1s for a 3s lease) push the lease's expiry forward, again and again;
  // with a one-hour heartbeat the lease would expire and the task be retried.
  const first = await leaseExpiry(live, taskId);
  await waitFor(async () => (await leaseExpiry(live, taskId)) > first, 'a heartbeat to renew the lease');
  const second = await leaseExpiry(live, taskId);
  await waitFor(async () => (await leaseExpiry(live, taskId)) > second, 'another heartbeat to renew the lease');
  writeFileSync(marker, '');

  const done = await waitForTasks(live, [taskId]);
  t.is(done[taskId].status, 'success');
  t.is(done[taskId].attempts, 1);
  const warnings = endpoint.output().split('\n').filter((line) => line.includes('heartbeating every lease_seconds/3'));
  t.is(warnings.length, 1);
  t.like(JSON.parse(warnings[0]), { heartbeatMs: 3_600_000, leaseSeconds: 3, usingMs: 1000 });
}, { leaseTimeout: '3s', reapInterval: '100ms', maxRetries: 3 });
