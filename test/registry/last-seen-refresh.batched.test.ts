/**
 * Unchanged heartbeats' last-seen refreshes go out together (src/registry/lastSeenRefresh.ts):
 * the refreshes due in one batch are one UPDATE for all their endpoints, each endpoint keeping
 * its own report; a state report or a full heartbeat takes its endpoint out of a pending batch,
 * so the batch cannot undo them. Counted from knex's query events of the real database.
 */
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { registerEndpoint } from '../../src/registry/endpoints.js';
import { recordHeartbeat } from '../../src/registry/heartbeats.js';
import { recordStateReport } from '../../src/registry/endpointState.js';
import { refreshAfter } from '../../src/registry/heartbeatMemory.js';
import { alice } from '../ledger/fixtures.js';
import { countEndpointUpdates } from './endpointUpdates.js';

/** refreshAfter(400) = 100 ms: an unchanged report is refreshed once its last write is 100 ms old. */
const OFFLINE_AFTER_MS = 400;
const KEEP = 20;

const report = (i: number) => ({ total_workers: 4, idle_workers: 4, outstanding_tasks: 0, pending_tasks: 0, hostname: `node-${i}.example.org` });

async function endpoints(db: Knex, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await registerEndpoint(db, alice, { name: `idle-${i}` })).endpoint_id);
  return ids;
}

/** Until the heartbeat memory's clock has moved past the refresh age (bounded). */
async function untilRefreshDue(from: number): Promise<void> {
  for (let i = 0; i < 1000 && Date.now() - from <= refreshAfter(OFFLINE_AFTER_MS); i++) await new Promise((r) => setTimeout(r, 5));
}

testOnEachDatabase('N idle endpoints\' last-seen refreshes due together are one UPDATE, each endpoint keeping its own report', async (t, db) => {
  const ids = await endpoints(db, 7);
  for (const [i, id] of ids.entries()) t.is(await recordHeartbeat(db, { endpointId: id, report: report(i), keep: KEEP, offlineAfterMs: OFFLINE_AFTER_MS }), 'full');
  const wroteAt = Date.now();
  const before = new Map((await db('endpoints').whereIn('id', ids).select('id', 'last_heartbeat_at')).map((row) => [row.id as string, Number(row.last_heartbeat_at)]));
  await untilRefreshDue(wroteAt);

  const counter = countEndpointUpdates(db);
  t.teardown(() => counter.stop());
  const writes = await Promise.all(ids.map((id, i) => recordHeartbeat(db, { endpointId: id, report: report(i), keep: KEEP, offlineAfterMs: OFFLINE_AFTER_MS })));
  t.deepEqual(writes, ids.map(() => 'refresh'));
  t.is(counter.read(), 1, `${ids.length} refreshes took ${counter.read()} UPDATEs of endpoints`);

  const after = await db('endpoints').whereIn('id', ids).select('id', 'last_heartbeat_at', 'last_report');
  for (const row of after) {
    const i = ids.indexOf(row.id);
    t.true(Number(row.last_heartbeat_at) >= before.get(row.id)!, `endpoint ${i}'s last-seen time did not go back`);
    t.deepEqual(JSON.parse(row.last_report).hostname, `node-${i}.example.org`, `endpoint ${i} keeps its own report`);
  }
  // The batch wrote the database's now: every row's time is at least the first write's.
  t.true(after.every((row) => Number(row.last_heartbeat_at) > 0));
});

testOnEachDatabase('a state report made while a refresh waits for its batch is not cleared by the batch', async (t, db) => {
  const [id] = await endpoints(db, 1);
  await recordHeartbeat(db, { endpointId: id, report: report(0), keep: KEEP, offlineAfterMs: OFFLINE_AFTER_MS });
  const wroteAt = Date.now();
  await untilRefreshDue(wroteAt);
  // The refresh joins a batch; the agent's last word comes before the batch is written.
  const refreshed = recordHeartbeat(db, { endpointId: id, report: report(0), keep: KEEP, offlineAfterMs: OFFLINE_AFTER_MS });
  await recordStateReport(db, id, { state: 'offline', detail: 'stopped cleanly by alice' });
  // A refresh still in the batch would answer only once the batch is written, so this waits for it.
  t.is(await refreshed, 'refresh');
  const row = await db('endpoints').where({ id }).first('state_event', 'state_detail');
  t.is(row.state_event, 'offline', 'the batched refresh cleared the agent\'s state report');
  t.is(row.state_detail, 'stopped cleanly by alice');
});

testOnEachDatabase('a changed report made while a refresh waits for its batch stays the stored one', async (t, db) => {
  const [id] = await endpoints(db, 1);
  await recordHeartbeat(db, { endpointId: id, report: report(0), keep: KEEP, offlineAfterMs: OFFLINE_AFTER_MS });
  const wroteAt = Date.now();
  await untilRefreshDue(wroteAt);
  const refreshed = recordHeartbeat(db, { endpointId: id, report: report(0), keep: KEEP, offlineAfterMs: OFFLINE_AFTER_MS });
  t.is(await recordHeartbeat(db, { endpointId: id, report: { ...report(0), idle_workers: 1 }, keep: KEEP, offlineAfterMs: OFFLINE_AFTER_MS }), 'full');
  t.is(await refreshed, 'refresh');
  t.is(JSON.parse((await db('endpoints').where({ id }).first('last_report')).last_report).idle_workers, 1, 'the older report came back');
});
