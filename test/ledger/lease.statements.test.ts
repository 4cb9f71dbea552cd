/**
 * What a lease costs the database, counted from the statements the ledger sends (knex's query
 * events on a real database): an uncontended lease is a plain read and one guarded autocommit
 * UPDATE, no BEGIN/COMMIT (src/ledger/leaseTasks.ts: leaseMysql on MariaDB, an UPDATE ...
 * RETURNING on SQLite, where a knex transaction cost ~120 us). An idle poll is one read on both.
 */
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { functionAndEndpoint, queue, row } from './fixtures.js';
import { WAITING } from '../../src/ledger/model.js';

async function statementsOf<T>(db: Knex, work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const onQuery = (query: { sql: string }) => statements.push(query.sql.trim().split(/\s+/)[0].toUpperCase());
  db.on('query', onQuery);
  try {
    return { result: await work(), statements };
  } finally {
    db.off('query', onQuery);
  }
}

testOnEachDatabase('an uncontended lease is two statements, a read and a guarded UPDATE with no transaction, and an idle poll one, on both databases', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const ids = await queue(db, endpointId, functionId, 5);

  const leased = await statementsOf(db, () => leaseTasks(db, { endpointId, maxTasks: 3, leaseMs: 60_000 }));
  t.deepEqual(leased.result.map((task) => task.taskId), ids.slice(0, 3)); // FIFO
  t.deepEqual(leased.result.map((task) => task.attempt), [1, 1, 1]);
  t.deepEqual(leased.statements, ['SELECT', 'UPDATE']);
  for (const task of leased.result) {
    const stored = await row(db, task.taskId);
    t.is(stored.state, 'running');
    t.is(stored.lease_token, task.leaseToken);
    t.is(Number(stored.attempts), 1);
  }

  const rest = await leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000 });
  t.deepEqual(rest.map((task) => task.taskId), ids.slice(3));
  const idle = await statementsOf(db, () => leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000 }));
  t.deepEqual(idle.result, []);
  t.deepEqual(idle.statements, ['SELECT']);
});

testOnEachDatabase('an uncontended lease under a byte budget is two statements on both databases: the read cuts at the budget (and on MariaDB brings the kept payloads)', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const ids = await queue(db, endpointId, functionId, 5);
  const payloadBytes = Buffer.byteLength((await row(db, ids[0])).payload);

  // Room for two payloads and a half: two leased, the third left waiting.
  const leased = await statementsOf(db, () => leaseTasks(db, { endpointId, maxTasks: 4, leaseMs: 60_000, maxBytes: Math.floor(2.5 * payloadBytes) }));
  t.deepEqual(leased.result.map((task) => task.taskId), ids.slice(0, 2));
  t.deepEqual(leased.result.map((task) => task.attempt), [1, 1]);
  for (const [i, task] of leased.result.entries()) t.is(task.payload, (await row(db, ids[i])).payload);
  t.deepEqual(leased.statements, ['SELECT', 'UPDATE']);
  t.is((await row(db, ids[2])).state, WAITING);
  for (const task of leased.result) t.is((await row(db, task.taskId)).lease_token, task.leaseToken);
});

testOnEachDatabase('on MariaDB a lease names its candidates\' functions between the read and the UPDATE that marks them (so the route reads them meanwhile); SQLite\'s one statement names none', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const other = await functionAndEndpoint(db, 'other');
  const ids = [...await queue(db, endpointId, functionId, 2), ...await queue(db, endpointId, other.functionId, 1)];
  const named: string[][] = [];
  const sequence: string[] = []; // the statements sent, and where the caller was told
  const onQuery = (query: { sql: string }) => sequence.push(query.sql.trim().split(/\s+/)[0].toUpperCase());
  db.on('query', onQuery);
  try {
    for (const maxBytes of [undefined, 1_000_000]) {
      await leaseTasks(db, {
        endpointId, maxTasks: maxBytes === undefined ? 2 : 10, leaseMs: 60_000, maxBytes,
        alongsideMark: (functionIds) => {
          named.push(functionIds);
          sequence.push('NAMED');
        },
      });
    }
  } finally {
    db.off('query', onQuery);
  }
  t.deepEqual(sequence, database.kind === 'mariadb'
    ? ['SELECT', 'NAMED', 'UPDATE', 'SELECT', 'NAMED', 'UPDATE']
    : ['SELECT', 'UPDATE', 'SELECT', 'UPDATE']);
  t.deepEqual(named, database.kind === 'mariadb' ? [[functionId, functionId], [other.functionId]] : []);
  for (const id of ids) t.is((await row(db, id)).state, 'running');
});
