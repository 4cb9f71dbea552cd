/**
 * An idle agent's lease poll stands for its heartbeat (src/registry/pollSightings.ts): each poll
 * that arrives refreshes the endpoint's last-seen time and, once a minute, writes its activity
 * row from the report stored last, in batches, without touching the report, its log, or a state
 * the agent reported. Counted and read back from the real database.
 */
import type { ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { registerEndpoint } from '../../src/registry/endpoints.js';
import { recordHeartbeat } from '../../src/registry/heartbeats.js';
import { recordStateReport } from '../../src/registry/endpointState.js';
import { pollSightingsOf } from '../../src/registry/pollSightings.js';
import { alice } from '../ledger/fixtures.js';
import { countEndpointUpdates } from './endpointUpdates.js';

const OFFLINE_AFTER_MS = 60_000;
const KEEP = 20;
const report = { total_workers: 4, idle_workers: 3, outstanding_tasks: 0, pending_tasks: 2, hostname: 'node-1.example.org' };

/** A logger that fails the test on any warning: a sighting that could not be stored says so there. */
const failOnWarning = (t: ExecutionContext) => ({ warn: (fields: object, message: string) => t.fail(`${message}: ${JSON.stringify(fields)}`) });

async function endpoints(db: Knex, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await registerEndpoint(db, alice, { name: `idle-${i}` })).endpoint_id);
  return ids;
}

const row = (db: Knex, id: string) => db('endpoints').where({ id }).first('last_heartbeat_at', 'last_report', 'state_event', 'online_since');

testOnEachDatabase('a poll\'s sighting moves the last-seen time and writes the minute\'s activity from the stored report, leaving the report and its log alone', async (t, db) => {
  const [id] = await endpoints(db, 1);
  // As another replica left it: a stored report this instance never saw, last seen long ago.
  const stored = JSON.stringify(report);
  await db('endpoints').where({ id }).update({ last_report: stored, last_heartbeat_at: 1, online_since: 1 });

  await pollSightingsOf(db).sight(id, OFFLINE_AFTER_MS, failOnWarning(t));

  const after = await row(db, id);
  t.true(Number(after.last_heartbeat_at) > 1, 'the last-seen time moved');
  t.true(Number(after.online_since) > 1, 'a sighting after a long silence starts a new online period');
  t.is(after.last_report, stored, 'the report is the agent\'s, untouched');
  t.is(Number((await db('endpoint_heartbeats').where({ endpoint_id: id }).count({ n: '*' }))[0].n), 0, 'no heartbeat log entry');
  const activity = await db('endpoint_activity').where({ endpoint_id: id });
  t.is(activity.length, 1, 'the minute\'s activity row');
  t.like(activity[0], { workers_busy: 1, workers_idle: 3, queued: 2 });
});

testOnEachDatabase('a sighting leaves alone an endpoint whose agent reported a stop', async (t, db) => {
  const [id] = await endpoints(db, 1);
  await recordHeartbeat(db, { endpointId: id, report, keep: KEEP, offlineAfterMs: OFFLINE_AFTER_MS });
  await recordStateReport(db, id, { state: 'offline', detail: 'stopped cleanly by alice' });
  const before = await row(db, id);
  await db('endpoint_activity').where({ endpoint_id: id }).delete();

  await pollSightingsOf(db).sight(id, OFFLINE_AFTER_MS, failOnWarning(t));

  const after = await row(db, id);
  t.is(after.state_event, 'offline', 'the agent\'s last word stays');
  t.is(Number(after.last_heartbeat_at), Number(before.last_heartbeat_at), 'a stopped endpoint is not seen by a stray poll');
  t.is((await db('endpoint_activity').where({ endpoint_id: id })).length, 0, 'no activity row for a stopped endpoint');
});

testOnEachDatabase('sightings due together are one UPDATE of endpoints', async (t, db) => {
  const ids = await endpoints(db, 7);
  const counter = countEndpointUpdates(db);
  t.teardown(() => counter.stop());
  await Promise.all(ids.map((id) => pollSightingsOf(db).sight(id, OFFLINE_AFTER_MS, failOnWarning(t))));
  t.is(counter.read(), 1, `${ids.length} sightings took ${counter.read()} UPDATEs of endpoints`);
  const seen = await db('endpoints').whereIn('id', ids).select('last_heartbeat_at');
  t.true(seen.every((r) => Number(r.last_heartbeat_at) > 0), 'every endpoint was seen');
});

testOnEachDatabase('a sighting within the refresh age of this instance\'s own write writes nothing', async (t, db) => {
  const [id] = await endpoints(db, 1);
  await recordHeartbeat(db, { endpointId: id, report, keep: KEEP, offlineAfterMs: OFFLINE_AFTER_MS });
  const counter = countEndpointUpdates(db);
  t.teardown(() => counter.stop());
  // A busy agent polls after every dispatch; its heartbeats already keep it seen.
  await pollSightingsOf(db).sight(id, OFFLINE_AFTER_MS, failOnWarning(t));
  await pollSightingsOf(db).sight(id, OFFLINE_AFTER_MS, failOnWarning(t));
  t.is(counter.read(), 0);
});
