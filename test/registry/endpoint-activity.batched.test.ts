/**
 * The console's per-minute activity rows of endpoints heartbeating together are written
 * together (src/registry/endpointActivity.ts, activityBatchOf): one multi-row upsert and one
 * prune for the whole batch, each endpoint with its own figures. Counted from knex's query
 * events on the real database.
 */
import type { ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { activityBatchOf } from '../../src/registry/endpointActivity.js';
import { registerEndpoint } from '../../src/registry/endpoints.js';
import { recordHeartbeat } from '../../src/registry/heartbeats.js';
import { alice } from '../ledger/fixtures.js';

async function endpoints(db: Knex, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await registerEndpoint(db, alice, { name: `busy-${i}` })).endpoint_id);
  return ids;
}

function activityStatementsOf(t: ExecutionContext, db: Knex): string[] {
  const statements: string[] = [];
  const onQuery = (query: { sql: string }) => {
    if (/endpoint_activity/i.test(query.sql)) statements.push(query.sql.trim().split(/\s+/)[0].toLowerCase());
  };
  db.on('query', onQuery);
  t.teardown(() => db.off('query', onQuery));
  return statements;
}

testOnEachDatabase('N endpoints\' minute activity rows due together are one upsert and one prune, each with its own figures', async (t, db) => {
  const ids = await endpoints(db, 6);
  const statements = activityStatementsOf(t, db);
  // Handed to the batch in one go, as heartbeats arriving within the batch's wait are.
  await Promise.all(ids.map((endpointId, i) => activityBatchOf(db).record({ endpointId, totalWorkers: 8, idleWorkers: i, pendingInEndpoint: 2 * i }, 50)));
  t.deepEqual(statements, ['insert', 'delete'], `${ids.length} endpoints' rows took: ${statements.join(', ')}`);
  const rows = await db('endpoint_activity').whereIn('endpoint_id', ids).select('endpoint_id', 'workers_busy', 'workers_idle', 'queued');
  t.is(rows.length, ids.length);
  for (const row of rows) {
    const i = ids.indexOf(row.endpoint_id);
    t.deepEqual([Number(row.workers_busy), Number(row.workers_idle), Number(row.queued)], [8 - i, i, 2 * i], `endpoint ${i}'s figures`);
  }
});

testOnEachDatabase('heartbeats write their minute activity rows through the batch, not one upsert each', async (t, db) => {
  const ids = await endpoints(db, 6);
  const statements = activityStatementsOf(t, db);
  // Each endpoint's first heartbeat: its report is new, so its minute's row is due.
  const writes = await Promise.all(ids.map((endpointId, i) => recordHeartbeat(db, {
    endpointId, report: { total_workers: 8, idle_workers: i, outstanding_tasks: 0, pending_tasks: 2 * i }, keep: 20, offlineAfterMs: 60_000,
  })));
  t.deepEqual(writes, ids.map(() => 'full'));
  const upserts = statements.filter((kind) => kind === 'insert').length;
  // Together within the batch's second, on a loaded machine perhaps split in two or three: never one each.
  t.true(upserts >= 1 && upserts <= ids.length / 2, `${ids.length} heartbeats took ${upserts} activity upserts`);
  t.is(Number((await db('endpoint_activity').whereIn('endpoint_id', ids).count({ n: '*' }))[0].n), ids.length);
});
