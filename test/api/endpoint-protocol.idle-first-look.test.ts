/**
 * An idle endpoint's next poll does not look first thing while its last look on this service
 * found nothing and nothing has woken its queue since (src/http/knownEmptyLeaseQueues.ts): a
 * poll then starts waiting with no lease read. Any wake-up the service hears for the queue (a
 * submit, a released lease, a reaped one) makes the next poll look again, so nothing queued is
 * left waiting for a poll that does not look; a submit whose tasks all go to the endpoint's
 * waiting poll wakes only that poll, so the queue stays known empty. Real HTTP and real
 * databases; lease reads are counted from knex's query events (every lease look reads the
 * tasks' payloads).
 */
import type { LiveService } from '../helpers/service.js';
import { jsonPayload, serviceTest } from '../helpers/service.js';
import { lease, registerEndpoint, registerFunction, submitOk } from './support.js';
import { statementsDuring } from '../helpers/statementCount.js';
import { waitingLeasePollsOf } from '../../src/http/waitingLeasePolls.js';

/** The lease reads sent while `work` runs, with its result. */
async function leaseReadsDuring<T>(live: LiveService, work: () => Promise<T>): Promise<{ result: T; reads: number }> {
  const { result, sent } = await statementsDuring(live.db, work);
  return { result, reads: sent.filter((statement) => /\btasks\b/i.test(statement.sql) && /payload/i.test(statement.sql)).length };
}

const taskIds = (body: { tasks: { task_id: string }[] }) => body.tasks.map((task) => task.task_id);

serviceTest('an idle endpoint\'s poll skips its first look while its last look here found nothing; a submit, then a released lease, make the next poll look and lease', async (t, live) => {
  const functionId = await registerFunction(live);
  const { endpointId, credential } = await registerEndpoint(live);

  const first = await leaseReadsDuring(live, () => lease(live, endpointId, credential, 4, 0));
  t.deepEqual(first.result.body.tasks, []);
  t.is(first.reads, 1, 'the first poll looks');
  const idle = await leaseReadsDuring(live, () => lease(live, endpointId, credential, 4, 0));
  t.deepEqual(idle.result.body.tasks, []);
  t.is(idle.reads, 0, 'the next poll does not: nothing woke the queue since');

  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const leased = await leaseReadsDuring(live, () => lease(live, endpointId, credential, 4, 0));
  t.deepEqual(taskIds(leased.result.body), [taskId], 'a submit with no poll waiting makes the next poll look');
  t.true(leased.reads >= 1);

  const empty = await leaseReadsDuring(live, () => lease(live, endpointId, credential, 4, 0));
  t.deepEqual(empty.result.body.tasks, []);
  t.is(empty.reads, 1, 'after a look that leased, the next poll looks again');
  t.is((await leaseReadsDuring(live, () => lease(live, endpointId, credential, 4, 0))).reads, 0);

  const [task] = leased.result.body.tasks;
  const released = await live.call('POST', `/v3/endpoints/${endpointId}/release`, { token: credential, body: { leases: [{ task_id: task.task_id, lease_token: task.lease_token }] } });
  t.deepEqual(released.body.released, [taskId]);
  const again = await lease(live, endpointId, credential, 4, 0);
  t.deepEqual(taskIds(again.body), [taskId], 'a released lease makes the next poll look');
});

serviceTest('a lease reaped while its endpoint polls nowhere makes the endpoint\'s next poll look, and it gets the task back', async (t, live) => {
  const functionId = await registerFunction(live);
  const { endpointId, credential } = await registerEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(2)]);
  t.deepEqual(taskIds((await lease(live, endpointId, credential, 1, 0)).body), [taskId]);
  t.deepEqual((await lease(live, endpointId, credential, 1, 0)).body.tasks, []);
  t.is((await leaseReadsDuring(live, () => lease(live, endpointId, credential, 1, 0))).reads, 0, 'known empty');

  // The lease runs out (no heartbeat renews it) and the reaper requeues the task.
  await live.db('tasks').where({ id: taskId }).update({ lease_expires_at: 0 });
  await live.service.maintenance.reapNow();
  t.deepEqual(taskIds((await lease(live, endpointId, credential, 1, 0)).body), [taskId]);
});

/** Until a lease poll waits on the service (bounded: about 10 s). */
async function aPollWaits(live: LiveService): Promise<boolean> {
  for (let i = 0; i < 2000; i++) {
    if (waitingLeasePollsOf(live.db).size === 1) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}

serviceTest('a submit whose tasks all go to the endpoint\'s waiting poll leaves the queue known empty: the next poll waits with no lease read; one with more tasks than the poll takes makes the next poll look and lease the rest', async (t, live) => {
  const functionId = await registerFunction(live);
  const { endpointId, credential } = await registerEndpoint(live);
  t.is((await leaseReadsDuring(live, () => lease(live, endpointId, credential, 1, 0))).reads, 1, 'the first poll looks');

  const waiting = lease(live, endpointId, credential, 1, 20);
  t.true(await aPollWaits(live));
  const [whole] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  t.deepEqual(taskIds((await waiting).body), [whole], 'the waiting poll is woken with the task');
  const next = await leaseReadsDuring(live, () => lease(live, endpointId, credential, 1, 0));
  t.deepEqual(next.result.body.tasks, []);
  t.is(next.reads, 0, 'nothing was left to lease: the next poll does not look');

  const waitingAgain = lease(live, endpointId, credential, 1, 20);
  t.true(await aPollWaits(live));
  const [handed, rest] = await submitOk(live, endpointId, functionId, [jsonPayload(2), jsonPayload(3)]);
  t.deepEqual(taskIds((await waitingAgain).body), [handed], 'the poll takes its max_tasks');
  const after = await leaseReadsDuring(live, () => lease(live, endpointId, credential, 4, 0));
  t.deepEqual(taskIds(after.result.body), [rest], 'the task left over woke the queue: the next poll looks and leases it');
  t.true(after.reads >= 1);
});
