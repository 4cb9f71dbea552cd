/**
 * Large things an endpoint posts: heartbeat details the size a mid-size Slurm
 * endpoint sends (more than MySQL's TEXT holds) extend leases and are stored;
 * very large ones are stored bounded. An exception over the result limit fails
 * its own task (TaskResultTooLarge) and leaves the rest of the batch stored.
 */
import { functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { getTask, heartbeat, lease, postResults, submitOk } from './support.js';
import { assertExtendedBy, onDatabaseClock } from '../helpers/leaseClock.js';

/** Free-form details about `bytes` long, shaped like a provider's block and manager listing. */
function details(bytes: number): Record<string, unknown> {
  const managers = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const manager = { id: `manager-${i}`, hostname: `node${String(i).padStart(5, '0')}.cluster.example.org`, block: `block-${i % 40}`, workers: 8 };
    managers.push(manager);
    size += JSON.stringify(manager).length + 1;
  }
  return { provider: 'SlurmProvider', managers };
}

serviceTest('heartbeat: a 75 KB details report extends leases, answers 200 and is stored whole', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential)).body.tasks;
  const before = Number((await live.db('tasks').where({ id: taskId }).first('lease_expires_at')).lease_expires_at);
  await live.db('tasks').where({ id: taskId }).update({ lease_expires_at: before - 30_000 });
  const sent = details(75 * 1024);
  t.true(JSON.stringify(sent).length > 75 * 1024);
  const { value: beat, window } = await onDatabaseClock(live.db, () => heartbeat(live, endpointId, credential, { details: sent, leases: [{ task_id: taskId, lease_token: task.lease_token }] }));
  t.is(beat.status, 200, JSON.stringify(beat.body));
  t.deepEqual(beat.body, { lease_seconds: 60, extended: 1, cancel: [], lost: [] });
  const after = Number((await live.db('tasks').where({ id: taskId }).first('lease_expires_at')).lease_expires_at);
  assertExtendedBy(t, after, window, 60_000); // the service's lease_timeout (lease_seconds above)
  const status = await live.call('GET', `/v3/endpoints/${endpointId}/status`);
  t.is(status.body.status, 'online');
  t.deepEqual(status.body.logs[0].details, sent);
});

serviceTest('heartbeat: a report over 1 MB is stored without its details, with a note', async (t, live) => {
  const { endpointId, credential } = await functionAndEndpoint(live);
  const beat = await heartbeat(live, endpointId, credential, { total_workers: 7, details: details(2 * 1024 * 1024) });
  t.is(beat.status, 200, JSON.stringify(beat.body));
  const status = await live.call('GET', `/v3/endpoints/${endpointId}/status`);
  t.is(status.body.logs[0].total_workers, 7);
  t.regex(status.body.logs[0].details.omitted, /the heartbeat report was \d+ bytes; this service stores up to 1048576/);
});

serviceTest('results: an exception larger than the result limit fails its task; the good result in the batch is stored', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [good, huge] = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)]);
  const leased = (await lease(live, endpointId, credential)).body.tasks as { task_id: string; lease_token: string }[];
  const token = (id: string) => leased.find((x) => x.task_id === id)!.lease_token;
  // Bigger than MySQL's MEDIUMTEXT exception column (16 MB) and than the 10 MB result limit.
  const message = 'x'.repeat(17 * 1024 * 1024);
  const posted = await postResults(live, endpointId, credential, [
    { task_id: good, lease_token: token(good), status: 'success', result: '2' },
    { task_id: huge, lease_token: token(huge), status: 'failed', exception: { type: 'ValueError', message } },
  ]);
  t.is(posted.status, 200, JSON.stringify(posted.body).slice(0, 500));
  t.deepEqual(posted.body.results, [{ task_id: good, outcome: 'stored' }, { task_id: huge, outcome: 'stored' }]);
  t.like(await getTask(t, live, good), { status: 'success', result: '2' });
  const failed = await getTask(t, live, huge);
  t.is(failed.status, 'failed');
  t.is(failed.exception.type, 'TaskResultTooLarge');
  t.regex(failed.exception.message, /the task's result and exception are \d+ bytes; this service keeps results up to 10485760 bytes/);
});
