/**
 * A lone result (a lone round trip's) on MariaDB is stored by one guarded UPDATE, with the row's
 * times (for the metrics) read beside it, not before it, and no transaction of four round trips
 * (src/ledger/completeTasks.ts, storeLoneResult); on SQLite by one guarded UPDATE ... RETURNING
 * that gives the times too, and no transaction either (storeBeforeReading), as is a batch whose
 * every result is stored. Exactly once either way: the same result posted twice at once is
 * stored once, and everything the guard refuses goes to the transaction, which says why.
 * Counted from knex's query events on the real databases.
 */
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { dialectOf } from '../../src/db/connect.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { completeTasks } from '../../src/ledger/completeTasks.js';
import { cancelTask } from '../../src/ledger/cancelTask.js';
import { functionAndEndpoint, queue, row } from './fixtures.js';

const LIMITS = { maxResultBytes: 1000, maxRetries: 3 };

function statementsOf(db: Knex): { read(): string[]; events(): string[]; stop(): void } {
  const seen: string[] = [];
  const events: string[] = [];
  const word = (query: { sql: string }) => query.sql.trim().split(/[\s;]+/)[0].toLowerCase();
  const onQuery = (query: { sql: string }) => {
    seen.push(word(query));
    events.push(`sent ${word(query)}`);
  };
  const onResponse = (_response: unknown, query: { sql: string }) => events.push(`answered ${word(query)}`);
  db.on('query', onQuery).on('query-response', onResponse);
  return { read: () => seen, events: () => events, stop: () => db.off('query', onQuery).off('query-response', onResponse) };
}

testOnEachDatabase('a lone result is one guarded UPDATE and no transaction: on MariaDB its times read beside it (the UPDATE does not wait for that read), on SQLite returned by it', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [taskId] = await queue(db, endpointId, functionId, 1);
  const [lease] = await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: 60_000 });
  await Promise.all([db.raw('SELECT 1'), db.raw('SELECT 1')]); // two pooled connections open, as in a running service
  const statements = statementsOf(db);
  t.teardown(() => statements.stop());
  const answer = await completeTasks(db, { endpointId, ...LIMITS, results: [{ task_id: taskId, lease_token: lease.leaseToken, status: 'success', result: '7' }] });
  statements.stop();
  t.deepEqual(answer.outcomes, [{ task_id: taskId, outcome: 'stored' }]);
  t.deepEqual(answer.finished, [taskId]);
  t.like(answer.timings, [{ taskId, state: 'success' }]);
  t.true(answer.timings[0].leasedAt! >= answer.timings[0].createdAt);
  if (dialectOf(db) === 'mysql') {
    t.deepEqual([...statements.read()].sort(), ['select', 'update']);
    const events = statements.events();
    t.true(events.indexOf('sent update') < events.indexOf('answered select'), events.join(', '));
  } else {
    t.deepEqual(statements.read(), ['update']);
  }
  t.like(await row(db, taskId), { state: 'success', result: '7' });
});

testOnEachDatabase('the same lone result posted twice at once is stored once: one stored, one duplicate', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const [taskId] = await queue(db, endpointId, functionId, 1);
  const [lease] = await leaseTasks(db, { endpointId, maxTasks: 1, leaseMs: 60_000 });
  const post = (result: string) => completeTasks(db, { endpointId, ...LIMITS, results: [{ task_id: taskId, lease_token: lease.leaseToken, status: 'success', result }] });
  const answers = await Promise.all([post('"a"'), post('"b"')]);
  t.deepEqual(answers.map((a) => a.outcomes[0].outcome).sort(), ['duplicate', 'stored']);
  t.is(answers.flatMap((a) => a.finished).length, 1, 'one finish, so one wake-up and one metrics count');
  const stored = answers.find((a) => a.outcomes[0].outcome === 'stored')!;
  t.is((await row(db, taskId)).result, stored === answers[0] ? '"a"' : '"b"', 'the result stored is the post answered "stored"');
});

testOnEachDatabase('a lone result the guard refuses goes to the transaction, which says why (cancelled, stale, another endpoint\'s)', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const other = await functionAndEndpoint(db, 'other');
  const [cancelled, running] = await queue(db, endpointId, functionId, 2);
  const leases = await leaseTasks(db, { endpointId, maxTasks: 2, leaseMs: 60_000 });
  const tokenOf = (id: string) => leases.find((l) => l.taskId === id)!.leaseToken;
  await cancelTask(db, { submitter: 'alice', taskId: cancelled });
  const post = (endpoint: string, taskId: string, token: string) => completeTasks(db, { endpointId: endpoint, ...LIMITS, results: [{ task_id: taskId, lease_token: token, status: 'success', result: '1' }] });
  t.is((await post(endpointId, cancelled, tokenOf(cancelled))).outcomes[0].code, 'TaskCancelled');
  t.is((await post(endpointId, running, 'not-the-token')).outcomes[0].code, 'LeaseLost');
  t.is((await post(other.endpointId, running, tokenOf(running))).outcomes[0].code, 'TaskNotFound');
  t.is((await row(db, running)).state, 'running', 'nothing refused was stored');
});

testOnEachDatabase('a batch whose every result the guard takes is stored without a transaction on SQLite; one with a refused result is classified in one, the rest stored once', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const ids = await queue(db, endpointId, functionId, 4);
  const leases = await leaseTasks(db, { endpointId, maxTasks: 4, leaseMs: 60_000 });
  const tokenOf = (id: string) => leases.find((l) => l.taskId === id)!.leaseToken;
  const statements = statementsOf(db);
  t.teardown(() => statements.stop());
  const whole = await completeTasks(db, { endpointId, ...LIMITS, results: ids.slice(0, 2).map((id) => ({ task_id: id, lease_token: tokenOf(id), status: 'success' as const, result: '1' })) });
  const wholeStatements = [...statements.read()];
  t.deepEqual(whole.outcomes.map((o) => o.outcome), ['stored', 'stored']);
  if (dialectOf(db) === 'sqlite') t.deepEqual(wholeStatements, ['update'], 'one statement, no BEGIN or COMMIT');

  const mixed = await completeTasks(db, { endpointId, ...LIMITS, results: [
    { task_id: ids[2], lease_token: tokenOf(ids[2]), status: 'success', result: '2' },
    { task_id: ids[3], lease_token: 'not-the-token', status: 'success', result: '3' },
    { task_id: ids[0], lease_token: tokenOf(ids[0]), status: 'success', result: 'again' },
  ] });
  statements.stop();
  t.deepEqual(mixed.outcomes.map((o) => o.code ?? o.outcome), ['stored', 'LeaseLost', 'duplicate']);
  t.deepEqual(mixed.finished, [ids[2]], 'only the newly stored result finishes a task');
  t.like(await row(db, ids[0]), { state: 'success', result: '1' }, 'the replay changed nothing');
  t.like(await row(db, ids[2]), { state: 'success', result: '2' });
  t.like(await row(db, ids[3]), { state: 'running' });
});
