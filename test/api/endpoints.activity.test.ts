/**
 * GET /v3/endpoints/{id}/activity: a minute per bucket, worker and queue
 * figures from the minute's last heartbeat, finished and failed counts from
 * the ledger; one stored row per endpoint per minute, old ones purged; for
 * the owner and those the endpoint is shared with only.
 */
import { readNow } from '../../src/db/clock.js';
import { ACTIVITY_KEEP, purgeActivity } from '../../src/registry/endpointActivity.js';
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { heartbeat, lease, postResults, registerEndpoint, submitOk } from './support.js';

type Bucket = { t: string; workers_busy: number | null; workers_idle: number | null; queued: number | null; finished: number; failed: number };
const sum = (buckets: Bucket[], key: 'finished' | 'failed') => buckets.reduce((total, b) => total + b[key], 0);

serviceTest('activity: workers and queue from the last heartbeat of each minute, finished and failed from the ledger', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const empty = await live.call('GET', `/v3/endpoints/${endpointId}/activity`);
  t.is(empty.status, 200);
  assertSchema(t, 'endpoint-activity.json', empty.body);
  t.is(empty.body.bucket_seconds, 60);
  t.is(empty.body.buckets.length, 60, 'the default window is an hour');
  t.true((empty.body.buckets as Bucket[]).every((b) => b.workers_busy === null && b.finished === 0));

  await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2), jsonPayload(3)]);
  const [ok, bad] = (await lease(live, endpointId, credential, 2)).body.tasks;
  await postResults(live, endpointId, credential, [
    { task_id: ok.task_id, lease_token: ok.lease_token, status: 'success', result: '2' },
    { task_id: bad.task_id, lease_token: bad.lease_token, status: 'failed', exception: { type: 'ValueError', message: 'no' } },
  ]);
  // Two reports: the second overwrites the first within its minute.
  await heartbeat(live, endpointId, credential, { total_workers: 8, idle_workers: 8, pending_tasks: 0 });
  await heartbeat(live, endpointId, credential, { total_workers: 4, idle_workers: 1, pending_tasks: 2 });

  const answer = await live.call('GET', `/v3/endpoints/${endpointId}/activity?window=3600`);
  assertSchema(t, 'endpoint-activity.json', answer.body);
  const buckets = answer.body.buckets as Bucket[];
  t.is(buckets.length, 60);
  const times = buckets.map((b) => Date.parse(b.t));
  t.true(times.every((time, i) => time % 60_000 === 0 && (i === 0 || time - times[i - 1] === 60_000)), 'whole minutes, oldest first, none missing');
  const dbNow = await readNow(live.db);
  // The current minute (or the one just before, if a minute turned since the call).
  t.true(times[59] <= dbNow && dbNow - times[59] < 2 * 60_000, 'the last bucket is the current minute');
  const reported = buckets.filter((b) => b.workers_busy !== null);
  // 1 task not leased yet at the service + 2 leased but not on a worker in the endpoint.
  t.like(reported.at(-1), { workers_busy: 3, workers_idle: 1, queued: 3 });
  t.is(sum(buckets, 'finished'), 2);
  t.is(sum(buckets, 'failed'), 1);
  const rows = await live.db('endpoint_activity').where('endpoint_id', endpointId);
  t.is(rows.length, reported.length, 'one stored row per minute that had a heartbeat');

  const short = await live.call('GET', `/v3/endpoints/${endpointId}/activity?window=90`);
  t.is(short.body.buckets.length, 2, 'a window is rounded up to whole minutes');
});

serviceTest('activity rows older than two hours are purged at the endpoint\'s next heartbeat, and by the purge for silent endpoints', async (t, live) => {
  const { endpointId, credential } = await registerEndpoint(live);
  const { endpointId: silent } = await registerEndpoint(live, { name: 'silent' });
  const minute = Math.floor((await readNow(live.db)) / 60_000) * 60_000;
  const old = minute - ACTIVITY_KEEP - 5 * 60_000;
  const row = { workers_busy: 1, workers_idle: 0, queued: 0 };
  await live.db('endpoint_activity').insert([
    { endpoint_id: endpointId, minute: old, ...row },
    { endpoint_id: silent, minute: old, ...row },
    { endpoint_id: silent, minute: minute - 10 * 60_000, ...row },
  ]);
  await heartbeat(live, endpointId, credential);
  const minutes = (await live.db('endpoint_activity').where('endpoint_id', endpointId)).map((r) => Number(r.minute));
  t.is(minutes.length, 1);
  t.true(minutes[0] > old);
  t.is(await purgeActivity(live.db), 1);
  t.deepEqual((await live.db('endpoint_activity').where('endpoint_id', silent)).map((r) => Number(r.minute)), [minute - 10 * 60_000]);
});

serviceTest('activity is for the owner and those the endpoint is shared with; the window is checked', async (t, live) => {
  const { endpointId } = await registerEndpoint(live, { name: 'listed', public: true, allowed_groups: ['physics'] });
  const member = await live.call('GET', `/v3/endpoints/${endpointId}/activity`, { token: await live.tokenFor('bob', ['physics']) });
  t.is(member.status, 200);
  const stranger = await live.call('GET', `/v3/endpoints/${endpointId}/activity`, { token: await live.tokenFor('carol') });
  t.deepEqual([stranger.status, stranger.body], [403, { code: 'EndpointAccessForbidden', reason: 'the endpoint\'s activity is for its owner and those it is shared with', http_status_code: 403 }]);
  const { endpointId: hidden } = await registerEndpoint(live, { name: 'hidden' });
  const notFound = await live.call('GET', `/v3/endpoints/${hidden}/activity`, { token: await live.tokenFor('carol') });
  t.deepEqual([notFound.status, notFound.body], [404, { code: 'EndpointNotFound', reason: `endpoint ${hidden} not found`, http_status_code: 404 }]);
  for (const window of ['59', '7201', 'hour']) {
    const refused = await live.call('GET', `/v3/endpoints/${endpointId}/activity?window=${window}`);
    t.is(refused.status, 400, `window=${window}`);
    t.is(refused.body.code, 'RequestMalformed');
  }
});
