import { testOnEachDatabase } from '../helpers/databases.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { extendLeases } from '../../src/ledger/extendLeases.js';
import { cancelTask } from '../../src/ledger/cancelTask.js';
import { releaseLeases } from '../../src/ledger/releaseLeases.js';
import { functionAndEndpoint, queue, row } from './fixtures.js';
import { assertExtendedBy, onDatabaseClock } from '../helpers/leaseClock.js';

testOnEachDatabase('a heartbeat extends the listed valid leases and names what to cancel and what is lost', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const other = await functionAndEndpoint(db, 'other');
  const [keep, cancelled, unlisted] = await queue(db, endpointId, functionId, 3);
  const leases = await leaseTasks(db, { endpointId, maxTasks: 3, leaseMs: 1000 });
  const token = leases[0].leaseToken;
  const unlistedBefore = await row(db, unlisted);
  await cancelTask(db, { submitter: 'alice', taskId: cancelled });
  const { value: answer, window } = await onDatabaseClock(db, () => extendLeases(db, {
    endpointId,
    leaseMs: 600_000,
    leases: [
      { task_id: keep, lease_token: token },
      { task_id: cancelled, lease_token: token },
      { task_id: unlisted, lease_token: 'not-the-token' },
      { task_id: '00000000-0000-4000-8000-000000000000', lease_token: token },
    ],
  }));
  t.deepEqual(answer, { extended: 1, cancel: [cancelled], lost: [unlisted, '00000000-0000-4000-8000-000000000000'] });
  assertExtendedBy(t, Number((await row(db, keep)).lease_expires_at), window, 600_000);
  t.is(Number((await row(db, unlisted)).lease_expires_at), Number(unlistedBefore.lease_expires_at));
  // Another endpoint cannot extend this endpoint's leases.
  t.deepEqual(await extendLeases(db, { endpointId: other.endpointId, leaseMs: 600_000, leases: [{ task_id: keep, lease_token: token }] }), { extended: 0, cancel: [], lost: [keep] });
});

testOnEachDatabase('released leases go back to the queue without counting the attempt', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const ids = await queue(db, endpointId, functionId, 2);
  const leases = await leaseTasks(db, { endpointId, maxTasks: 2, leaseMs: 60_000 });
  const released = await releaseLeases(db, { endpointId, leases: [{ task_id: ids[0], lease_token: leases[0].leaseToken }, { task_id: ids[1], lease_token: 'wrong' }] });
  t.deepEqual(released, [ids[0]]);
  const back = await row(db, ids[0]);
  t.deepEqual([back.state, back.attempts, back.lease_token], ['waiting-for-ep', 0, null]);
  t.is((await row(db, ids[1])).state, 'running');
  const [again] = await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: 60_000 });
  t.deepEqual([again.taskId, again.attempt], [ids[0], 1]);
});
