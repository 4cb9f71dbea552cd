import { testOnEachDatabase } from '../helpers/databases.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { completeTasks } from '../../src/ledger/completeTasks.js';
import { cancelTask } from '../../src/ledger/cancelTask.js';
import { purgeExpired } from '../../src/ledger/purgeExpired.js';
import { readNow } from '../../src/db/clock.js';
import { TaskAlreadyFinished, TaskNotFound } from '../../src/errors.js';
import { DAY } from '../../src/util/time.js';
import { functionAndEndpoint, queue, row } from './fixtures.js';

testOnEachDatabase('cancel stops a waiting task from running; finished tasks and others\' tasks cannot be cancelled', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [waiting, done] = await queue(db, endpointId, functionId, 2);
  const cancelled = await cancelTask(db, { submitter: 'alice', taskId: waiting });
  t.deepEqual([cancelled.status, cancelled.pending, cancelled.exception?.type], ['cancelled', false, 'TaskCancelled']);
  const leased = await leaseTasks(db, { endpointId, maxTasks: 5, leaseMs: 60_000 });
  t.deepEqual(leased.map((l) => l.taskId), [done]);
  await completeTasks(db, { endpointId, maxResultBytes: 100, maxRetries: 3, results: [{ task_id: done, lease_token: leased[0].leaseToken, status: 'success', result: '1' }] });
  await t.throwsAsync(cancelTask(db, { submitter: 'alice', taskId: done }), { instanceOf: TaskAlreadyFinished });
  await t.throwsAsync(cancelTask(db, { submitter: 'bob', taskId: done }), { instanceOf: TaskNotFound });
});

testOnEachDatabase('retention: old finished tasks are deleted, tasks that waited too long fail with TaskExpired, recent ones stay', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [oldDone, recentDone, oldWaiting, recentWaiting] = await queue(db, endpointId, functionId, 4);
  const now = await readNow(db);
  await db('tasks').whereIn('id', [oldDone, recentDone]).update({ state: 'success', result: '1' });
  await db('tasks').where({ id: oldDone }).update({ completed_at: now - 15 * DAY });
  await db('tasks').where({ id: recentDone }).update({ completed_at: now - DAY });
  await db('tasks').where({ id: oldWaiting }).update({ created_at: now - 15 * DAY });
  const purged = await purgeExpired(db, { retentionMs: 14 * DAY });
  t.is(purged.deletedTasks, 1);
  t.is(purged.expired, 1);
  t.is(await row(db, oldDone), undefined);
  t.is((await row(db, recentDone)).state, 'success');
  const expired = await row(db, oldWaiting);
  t.deepEqual([expired.state, JSON.parse(expired.exception).type], ['failed', 'TaskExpired']);
  t.is((await row(db, recentWaiting)).state, 'waiting-for-ep');
});
