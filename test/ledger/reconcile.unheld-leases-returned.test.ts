/**
 * reconcileLeases: the leases of the named agent sessions that the agent does not say it holds
 * go back to the queue at once, the attempt not counted; other sessions' leases never do.
 */
import { testOnEachDatabase } from '../helpers/databases.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { completeTasks } from '../../src/ledger/completeTasks.js';
import { reconcileLeases } from '../../src/ledger/reconcileLeases.js';
import { functionAndEndpoint, queue, row } from './fixtures.js';

const LONG_LEASE = 10 * 60_000; // none of these leases expires during a test: only the reconcile can return them
const SESSION = 'agent-session-1';
const OTHER_HOST = 'agent-session-on-another-host';
const PREVIOUS_RUN = 'agent-session-0';

testOnEachDatabase('leases not held return to the queue uncounted, with a LeaseReturned entry; held ones and other endpoints\' stay', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const other = await functionAndEndpoint(db, 'other');
  const [kept, lost1, lost2] = await queue(db, endpointId, functionId, 3);
  const [theirs] = await queue(db, other.endpointId, other.functionId, 1);
  const leased = await leaseTasks(db, { endpointId, maxTasks: 3, leaseMs: LONG_LEASE, session: SESSION });
  await leaseTasks(db, { endpointId: other.endpointId, maxTasks: 1, leaseMs: LONG_LEASE, session: SESSION });
  const keptLease = leased.find((l) => l.taskId === kept)!;

  const reconciled = await reconcileLeases(db, { endpointId, sessions: [SESSION], held: [{ task_id: kept, lease_token: keptLease.leaseToken }], maxRetries: 3 });
  t.deepEqual({ released: [...reconciled.released].sort(), counted: reconciled.counted }, { released: [lost1, lost2].sort(), counted: [] });
  for (const id of [lost1, lost2]) {
    const back = await row(db, id);
    t.deepEqual([back.state, back.lease_token, back.attempts], ['waiting-for-ep', null, 0]);
    t.deepEqual(JSON.parse(back.attempt_history).map((a: { attempt: number; reason: string }) => [a.attempt, a.reason]), [[1, 'LeaseReturned']]);
  }
  t.like(await row(db, kept), { state: 'running', lease_token: keptLease.leaseToken, attempts: 1 });
  t.like(await row(db, theirs), { state: 'running' });

  // Leased again: attempt 1 again (the returned one did not count).
  const again = await leaseTasks(db, { endpointId, maxTasks: 5, leaseMs: LONG_LEASE, session: SESSION });
  t.deepEqual(again.map((l) => [l.taskId, l.attempt]).sort(), [[lost1, 1], [lost2, 1]].sort());
});

testOnEachDatabase('a held task id with a stale lease token is returned: the token, not the id, is what is held', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [taskId] = await queue(db, endpointId, functionId, 1);
  await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: LONG_LEASE, session: SESSION });
  const reconciled = await reconcileLeases(db, { endpointId, sessions: [SESSION], held: [{ task_id: taskId, lease_token: 'an-older-lease' }], maxRetries: 3 });
  t.deepEqual(reconciled.released, [taskId]);
});

testOnEachDatabase('a result stored before the reconcile stands; reconciling again changes nothing', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [taskId] = await queue(db, endpointId, functionId, 1);
  const [lease] = await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: LONG_LEASE, session: SESSION });
  await completeTasks(db, { endpointId, results: [{ task_id: taskId, lease_token: lease.leaseToken, status: 'success', result: '1', result_serializer: 'json' }], maxResultBytes: 1e6, maxRetries: 3 });
  t.deepEqual(await reconcileLeases(db, { endpointId, sessions: [SESSION], held: [], maxRetries: 3 }), { released: [], counted: [] });
  t.like(await row(db, taskId), { state: 'success', attempts: 1 });
});

testOnEachDatabase('a task returned max_retries times is counted as EndpointLost the next time, so one that kills its endpoint fails in the end', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [taskId] = await queue(db, endpointId, functionId, 1);
  const maxRetries = 2;
  for (let i = 0; i < maxRetries; i++) {
    await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: LONG_LEASE, session: SESSION });
    t.deepEqual(await reconcileLeases(db, { endpointId, sessions: [SESSION], held: [], maxRetries }), { released: [taskId], counted: [] });
  }
  for (let attempt = 1; attempt <= maxRetries + 1; attempt++) {
    const [lease] = await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: LONG_LEASE, session: SESSION });
    t.is(lease.attempt, attempt);
    t.deepEqual(await reconcileLeases(db, { endpointId, sessions: [SESSION], held: [], maxRetries }), { released: [], counted: [taskId] });
  }
  const failed = await row(db, taskId);
  t.is(failed.state, 'failed');
  t.is(JSON.parse(failed.exception).type, 'EndpointLost');
  t.deepEqual(JSON.parse(failed.attempt_history).map((a: { reason: string }) => a.reason), ['LeaseReturned', 'LeaseReturned', 'EndpointLost', 'EndpointLost', 'EndpointLost']);
});

testOnEachDatabase('a reconcile never returns another session\'s lease (the same endpoint id on another host), nor one leased with no session', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [mine, theirs, legacy] = await queue(db, endpointId, functionId, 3);
  await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: LONG_LEASE, session: SESSION });
  await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: LONG_LEASE, session: OTHER_HOST });
  await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: LONG_LEASE }); // an older agent sends no session
  t.like(await row(db, theirs), { state: 'running', leased_by: OTHER_HOST });
  t.like(await row(db, legacy), { state: 'running', leased_by: null });

  // Holding nothing, naming this session and an earlier one of its folder: only this session's lease returns.
  const reconciled = await reconcileLeases(db, { endpointId, sessions: [SESSION, PREVIOUS_RUN], held: [], maxRetries: 3 });
  t.deepEqual(reconciled, { released: [mine], counted: [] });
  t.like(await row(db, theirs), { state: 'running', attempts: 1, attempt_history: null });
  t.like(await row(db, legacy), { state: 'running', attempts: 1, attempt_history: null });
});

testOnEachDatabase('a start\'s reconcile returns the previous session\'s unheld leases, and keeps the one whose result it is about to post', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [spooled, lost1, lost2] = await queue(db, endpointId, functionId, 3);
  const leased = await leaseTasks(db, { endpointId, maxTasks: 3, leaseMs: LONG_LEASE, session: PREVIOUS_RUN });
  const spooledLease = leased.find((l) => l.taskId === spooled)!;

  const reconciled = await reconcileLeases(db, {
    endpointId,
    sessions: [SESSION, PREVIOUS_RUN],
    held: [{ task_id: spooled, lease_token: spooledLease.leaseToken }],
    maxRetries: 3,
  });
  t.deepEqual({ released: [...reconciled.released].sort(), counted: reconciled.counted }, { released: [lost1, lost2].sort(), counted: [] });
  t.like(await row(db, spooled), { state: 'running', lease_token: spooledLease.leaseToken, attempts: 1 });
  for (const id of [lost1, lost2]) t.like(await row(db, id), { state: 'waiting-for-ep', attempts: 0 });
});
