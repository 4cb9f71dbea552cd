import { randomUUID } from 'node:crypto';
import { testOnEachDatabase } from '../helpers/databases.js';
import { submitTasks, type NewTask } from '../../src/ledger/submitTasks.js';
import { IdempotencyKeyReused, TaskGroupNotFound } from '../../src/errors.js';
import { functionAndEndpoint, replicas } from './fixtures.js';
import { dialectOf, openDatabase } from '../../src/db/connect.js';

const tasks = (functionId: string, endpointId: string, n: number): NewTask[] =>
  Array.from({ length: n }, (_, i) => ({ functionId, endpointId, payload: `{"args":[${i}],"kwargs":{}}`, serializer: 'json' }));

testOnEachDatabase('an Idempotency-Key replays the first answer; another body under it is a conflict', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const dedupe = { key: 'key:abc', bodyHash: 'h1', };
  const first = await submitTasks(db, { submitter: 'alice', dedupe, tasks: tasks(functionId, endpointId, 3) });
  const again = await submitTasks(db, { submitter: 'alice', dedupe, tasks: tasks(functionId, endpointId, 3) });
  t.false(first.replayed);
  t.true(again.replayed);
  t.deepEqual([again.requestId, again.taskGroupId, again.taskIds], [first.requestId, first.taskGroupId, first.taskIds]);
  t.is(Number((await db('tasks').count({ n: '*' }))[0].n), 3);
  await t.throwsAsync(submitTasks(db, { submitter: 'alice', dedupe: { ...dedupe, bodyHash: 'h2' }, tasks: tasks(functionId, endpointId, 1) }), { instanceOf: IdempotencyKeyReused });
  // Keys are per submitter.
  const bob = await submitTasks(db, { submitter: 'bob', dedupe, tasks: tasks(functionId, endpointId, 1) });
  t.false(bob.replayed);
});

testOnEachDatabase('a fresh Idempotency-Key costs no read of submissions: the key is inserted first, and a replay is told by its duplicate', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const statements: string[] = [];
  const onQuery = (query: { sql: string }) => statements.push(query.sql);
  db.on('query', onQuery);
  t.teardown(() => db.off('query', onQuery));
  const dedupe = { key: `key:${randomUUID()}`, bodyHash: 'h1' };
  const first = await submitTasks(db, { submitter: 'alice', dedupe, tasks: tasks(functionId, endpointId, 2) });
  const readsOfSubmissions = () => statements.filter((sql) => /^select .* from [`"]?submissions[`"]?/i.test(sql)).length;
  t.is(readsOfSubmissions(), 0, 'a fresh key was read before it was stored');
  const replay = await submitTasks(db, { submitter: 'alice', dedupe, tasks: tasks(functionId, endpointId, 2) });
  t.true(replay.replayed);
  t.deepEqual(replay.taskIds, first.taskIds);
  t.is(readsOfSubmissions(), 1, 'the replay reads the first answer once');
  t.is(Number((await db('tasks').count({ n: '*' }))[0].n), 2);
});

testOnEachDatabase('a named task group is checked for its owner: a new one is the caller\'s, an existing one someone else\'s is not found (MariaDB: the check rides in the submit\'s one packet)', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const sent: string[] = [];
  const onQuery = (query: { sql: string }) => sent.push(query.sql);
  db.on('query', onQuery);
  t.teardown(() => db.off('query', onQuery));
  const ownerReads = () => sent.filter((sql) => /select [`"]?submitter[`"]?.* from [`"]?task_groups[`"]?|^select \* from [`"]?task_groups[`"]?/i.test(sql)).length;
  const taskGroupId = randomUUID();
  await submitTasks(db, { submitter: 'alice', taskGroupId, tasks: tasks(functionId, endpointId, 1) });
  t.is(ownerReads(), 1, 'the new group\'s owner is read once');
  await submitTasks(db, { submitter: 'alice', taskGroupId, tasks: tasks(functionId, endpointId, 1) });
  t.is(ownerReads(), 2, 'a group that exists is read for its owner');
  if (dialectOf(db) === 'mysql') t.is(sent.filter((sql) => /^START TRANSACTION;/.test(sql)).length, 2, 'each submit\'s owner read is in its batch');
  await t.throwsAsync(submitTasks(db, { submitter: 'bob', taskGroupId, tasks: tasks(functionId, endpointId, 1) }), { instanceOf: TaskGroupNotFound });
  t.is(Number((await db('tasks').where({ task_group_id: taskGroupId }).count({ n: '*' }))[0].n), 2);
});

testOnEachDatabase('without a dedupe key, the same tasks twice into one task group are two submissions', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const taskGroupId = randomUUID();
  const first = await submitTasks(db, { submitter: 'alice', taskGroupId, tasks: tasks(functionId, endpointId, 2) });
  const second = await submitTasks(db, { submitter: 'alice', taskGroupId, tasks: tasks(functionId, endpointId, 2) });
  t.false(second.replayed);
  t.is(second.taskGroupId, taskGroupId);
  t.notDeepEqual(second.taskIds, first.taskIds);
  t.is(Number((await db('tasks').where({ task_group_id: taskGroupId }).count({ n: '*' }))[0].n), 4);
});

testOnEachDatabase('five identical submits racing on separate replicas create the tasks once', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const dedupe = { key: 'key:race', bodyHash: 'h', };
  const pools = replicas(db, database, 5);
  const answers = await Promise.all(pools.map((replica) => submitTasks(replica, { submitter: 'alice', dedupe, tasks: tasks(functionId, endpointId, 50) })));
  t.is(new Set(answers.map((a) => a.requestId)).size, 1);
  t.is(answers.filter((a) => !a.replayed).length, 1);
  t.is(Number((await db('tasks').count({ n: '*' }))[0].n), 50);
});

testOnEachDatabase('first submits racing into one new task group all land in it', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const taskGroupId = randomUUID();
  const pools = replicas(db, database, 4);
  await Promise.all(pools.map((replica, i) => submitTasks(replica, { submitter: 'alice', taskGroupId, tasks: tasks(functionId, endpointId, i + 1) })));
  t.is(Number((await db('tasks').where({ task_group_id: taskGroupId }).count({ n: '*' }))[0].n), 10);
});

testOnEachDatabase('someone else\'s task group is not found', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const taskGroupId = randomUUID();
  await submitTasks(db, { submitter: 'alice', taskGroupId, tasks: tasks(functionId, endpointId, 1) });
  await t.throwsAsync(submitTasks(db, { submitter: 'mallory', taskGroupId, tasks: tasks(functionId, endpointId, 1) }), { instanceOf: TaskGroupNotFound });
  t.is(Number((await db('tasks').count({ n: '*' }))[0].n), 1);
});

/** Names a submit's statement by what it writes or reads, for the shape tests below. */
const statementKind = (sql: string): string => (/^START TRANSACTION;/.test(sql)
  ? `batch(${sql.split(';\n').slice(1).map(statementKind).join(', ')})`
  : /^(BEGIN|COMMIT|ROLLBACK)/i.test(sql) ? sql.replace(/;$/, '') : /^select.*task_groups/i.test(sql) ? 'group owner' : /task_groups/.test(sql) ? 'group' : /submissions/.test(sql) ? 'key' : /into [`"]?tasks/i.test(sql) ? 'tasks' : sql.slice(0, 20));

testOnEachDatabase('on MariaDB a small keyed submit into a named group is two round trips: the key, the group, the tasks and the group\'s owner in one packet behind START TRANSACTION, then COMMIT', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const sent: string[] = [];
  const onQuery = (query: { sql: string; __knexTxId?: string }) => sent.push(`${query.__knexTxId ? 'trx' : 'pool'} ${statementKind(query.sql)}`);
  db.on('query', onQuery);
  try {
    await submitTasks(db, { submitter: 'alice', taskGroupId: randomUUID(), dedupe: { key: 'k', bodyHash: 'h' }, tasks: tasks(functionId, endpointId, 2) });
  } finally {
    db.off('query', onQuery);
  }
  t.deepEqual(sent, database.kind === 'mariadb'
    ? ['pool batch(key, group, tasks, group owner)', 'pool COMMIT']
    : ['trx BEGIN', 'trx key', 'trx group', 'trx group owner', 'trx tasks', 'trx COMMIT']); // in-process: a statement is no round trip
  t.is(Number((await db('task_groups').where({ submitter: 'alice' }).count({ n: '*' }))[0].n), 1);
});

testOnEachDatabase('on MariaDB a small keyed submit into a new group (a lone run\'s) is one round trip: the key, the group, the tasks and COMMIT in one packet', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const sent: string[] = [];
  const onQuery = (query: { sql: string; __knexTxId?: string }) => sent.push(`${query.__knexTxId ? 'trx' : 'pool'} ${statementKind(query.sql)}`);
  db.on('query', onQuery);
  let submitted;
  try {
    submitted = await submitTasks(db, { submitter: 'alice', dedupe: { key: 'k', bodyHash: 'h' }, tasks: tasks(functionId, endpointId, 2) });
  } finally {
    db.off('query', onQuery);
  }
  t.deepEqual(sent, database.kind === 'mariadb'
    ? ['pool batch(key, group, tasks, COMMIT)']
    : ['trx BEGIN', 'trx key', 'trx group', 'trx tasks', 'trx COMMIT']);
  // Committed: seen from another connection of the pool, and the key replays.
  t.is(Number((await db('tasks').where({ task_group_id: submitted.taskGroupId }).count({ n: '*' }))[0].n), 2);
  const replay = await submitTasks(db, { submitter: 'alice', dedupe: { key: 'k', bodyHash: 'h' }, tasks: tasks(functionId, endpointId, 2) });
  t.true(replay.replayed);
  t.deepEqual(replay.taskIds, submitted.taskIds);
});

testOnEachDatabase('on MariaDB a submit too large for one packet is a transaction, BEGIN, the key, the tasks, COMMIT, with the group\'s row beside it on another connection, in before the commit', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const events: string[] = [];
  const onQuery = (query: { sql: string; __knexTxId?: string }) => events.push(`${query.__knexTxId ? 'trx' : 'pool'} sends ${statementKind(query.sql)}`);
  const onResponse = (_response: unknown, query: { sql: string; __knexTxId?: string }) => events.push(`${query.__knexTxId ? 'trx' : 'pool'} has ${statementKind(query.sql)}`);
  db.on('query', onQuery).on('query-response', onResponse);
  // 1.1 MiB of payloads in two tasks: over the one-packet bound (1 MiB).
  const large = tasks(functionId, endpointId, 2).map((task) => ({ ...task, payload: JSON.stringify({ args: ['x'.repeat(550 * 1024)], kwargs: {} }) }));
  try {
    await submitTasks(db, { submitter: 'alice', taskGroupId: randomUUID(), dedupe: { key: 'k', bodyHash: 'h' }, tasks: large });
  } finally {
    db.off('query', onQuery).off('query-response', onResponse);
  }
  const sent = (by: string) => events.filter((event) => event.startsWith(`${by} sends`)).map((event) => event.split(' sends ')[1]);
  if (database.kind === 'mariadb') {
    t.deepEqual(sent('trx'), ['BEGIN', 'key', 'tasks', 'COMMIT']);
    t.deepEqual(sent('pool'), ['group']);
    t.true(events.indexOf('pool has group') < events.indexOf('trx sends COMMIT'), events.join('\n'));
  } else {
    t.deepEqual(sent('trx'), ['BEGIN', 'key', 'group', 'group owner', 'tasks', 'COMMIT']);
  }
  t.is(Number((await db('tasks').count({ n: '*' }))[0].n), 2);
});

testOnEachDatabase('a submit refused halfway through its statements leaves nothing behind: no key, no group, no task, and its connection is not left in the transaction', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  // One connection, so the failed submit's connection is the one every later statement uses.
  const single = database.kind === 'mariadb' ? openDatabase(database.url, { poolMax: 1 }) : db;
  if (single !== db) t.teardown(() => single.destroy());
  // The database refuses the tasks (a trigger), after the key and the group were written in the same transaction.
  await db.raw(database.kind === 'mariadb'
    ? "CREATE TRIGGER refuse_tasks BEFORE INSERT ON tasks FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no new tasks'"
    : "CREATE TRIGGER refuse_tasks BEFORE INSERT ON tasks BEGIN SELECT RAISE(ABORT, 'no new tasks'); END");
  const dedupe = { key: 'k', bodyHash: 'h' };
  const taskGroupId = randomUUID();
  const count = async (table: string) => Number((await db(table).count({ n: '*' }))[0].n);
  // A new group (COMMIT at the packet's end, after the refused statement) and a named one (COMMIT after the owner's check).
  for (const named of [undefined, taskGroupId]) {
    await t.throwsAsync(submitTasks(single, { submitter: 'alice', taskGroupId: named, dedupe, tasks: tasks(functionId, endpointId, 2) }), { any: true, message: /no new tasks/ });
    t.deepEqual([await count('submissions'), await count('task_groups'), await count('tasks')], [0, 0, 0]);
  }
  // Had the connection stayed in the open transaction, this write would be invisible to the other pool.
  await single('task_groups').insert({ id: randomUUID(), submitter: 'carol', created_at: 0 });
  t.is(await count('task_groups'), 1);
  await db.raw('DROP TRIGGER refuse_tasks');
  const again = await submitTasks(single, { submitter: 'alice', taskGroupId, dedupe, tasks: tasks(functionId, endpointId, 2) });
  t.false(again.replayed, 'the key was not kept from the refused submit');
  t.is(await count('tasks'), 2);
});

testOnEachDatabase('a submit whose group row cannot be written stores no task, its group named or not (MariaDB: the insert beside the transaction is awaited before the commit)', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  // The database itself refuses every new group (a trigger), as a full disk or a lost connection would.
  await db.raw(database.kind === 'mariadb'
    ? "CREATE TRIGGER refuse_groups BEFORE INSERT ON task_groups FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no new groups'"
    : "CREATE TRIGGER refuse_groups BEFORE INSERT ON task_groups BEGIN SELECT RAISE(ABORT, 'no new groups'); END");
  for (const taskGroupId of [undefined, randomUUID()]) {
    await t.throwsAsync(submitTasks(db, { submitter: 'alice', taskGroupId, tasks: tasks(functionId, endpointId, 2) }), { any: true, message: /no new groups/ }); // SQLite's error is not an Error subclass
  }
  t.is(Number((await db('tasks').count({ n: '*' }))[0].n), 0);
});
