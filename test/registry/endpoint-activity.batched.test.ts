/**
 * The console's per-minute activity rows of endpoints heartbeating together are written
 * together (src/registry/endpointActivity.ts, activityBatchOf): one multi-row upsert and one
 * prune for the whole batch, each endpoint with its own figures. Counted from knex's query
 * events on the real database.
 */
import { testOnEachDatabase } from '../helpers/databases.js';
import { registerEndpoint } from '../../src/registry/endpoints.js';
import { recordHeartbeat } from '../../src/registry/heartbeats.js';
import { alice } from '../ledger/fixtures.js';

testOnEachDatabase('N endpoints\' minute activity rows due together are one upsert and one prune, each with its own figures', async (t, db) => {
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push((await registerEndpoint(db, alice, { name: `busy-${i}` })).endpoint_id);
  const activityStatements: string[] = [];
  const onQuery = (query: { sql: string }) => {
    if (/endpoint_activity/i.test(query.sql)) activityStatements.push(query.sql.trim().split(/\s+/)[0].toLowerCase());
  };
  db.on('query', onQuery);
  t.teardown(() => db.off('query', onQuery));
  // Each endpoint's first heartbeat: its report is new, so its minute's row is due.
  const writes = await Promise.all(ids.map((endpointId, i) => recordHeartbeat(db, {
    endpointId, report: { total_workers: 8, idle_workers: i, outstanding_tasks: 0, pending_tasks: 2 * i }, keep: 20, offlineAfterMs: 60_000,
  })));
  t.deepEqual(writes, ids.map(() => 'full'));
  t.deepEqual(activityStatements, ['insert', 'delete'], `${ids.length} endpoints' rows took: ${activityStatements.join(', ')}`);
  const rows = await db('endpoint_activity').whereIn('endpoint_id', ids).select('endpoint_id', 'workers_busy', 'workers_idle', 'queued');
  t.is(rows.length, ids.length);
  for (const row of rows) {
    const i = ids.indexOf(row.endpoint_id);
    t.deepEqual([Number(row.workers_busy), Number(row.workers_idle), Number(row.queued)], [8 - i, i, 2 * i], `endpoint ${i}'s figures`);
  }
});
