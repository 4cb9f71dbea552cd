/**
 * Live output through the API: the endpoint posts what a running task prints, the submitter
 * reads it from an offset (long-polling for more), the last 1 MiB per task is kept, a
 * service-wide cap drops the output updated longest ago first, a retry continues the stream,
 * and the output goes with its task.
 */
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest, type LiveService } from '../helpers/service.js';
import { lease, pollSubscribed, postResults, submitOk } from './support.js';
import { purgeExpired } from '../../src/ledger/purgeExpired.js';

const MiB = 1024 * 1024;

function postOutput(live: LiveService, endpointId: string, credential: string, chunks: unknown[]) {
  return live.call('POST', `/v3/endpoints/${endpointId}/output`, { token: credential, body: { chunks } });
}

async function readOutput(t: Parameters<Parameters<typeof serviceTest>[1]>[0], live: LiveService, taskId: string, query = '', token?: string) {
  const response = await live.call('GET', `/v3/tasks/${taskId}/output${query}`, { token });
  t.is(response.status, 200, JSON.stringify(response.body).slice(0, 500));
  assertSchema(t, 'task-output.json', response.body);
  return response.body;
}

serviceTest('output: read from an offset; a waiting read is answered by the next post; complete once the task finished', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential, 1)).body.tasks;
  t.like(await readOutput(t, live, taskId), { task_id: taskId, offset: 0, text: '', next_offset: 0, dropped: 0, complete: false });

  const posted = await postOutput(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, offset: 0, text: 'line 1\nżółw\n' }]);
  t.is(posted.status, 200, JSON.stringify(posted.body));
  assertSchema(t, 'endpoint-output-response.json', posted.body);
  t.deepEqual(posted.body, { accepted: 1, refused: [] });
  const first = await readOutput(t, live, taskId);
  const firstBytes = Buffer.byteLength('line 1\nżółw\n');
  t.like(first, { offset: 0, text: 'line 1\nżółw\n', next_offset: firstBytes, dropped: 0, complete: false });

  // Nothing new past next_offset: the read waits, and the next post answers it.
  const waiting = readOutput(t, live, taskId, `?offset=${firstBytes}&wait=30`);
  t.true(await pollSubscribed(live));
  await postOutput(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, offset: firstBytes, text: 'line 2\n' }]);
  t.like(await waiting, { offset: firstBytes, text: 'line 2\n', next_offset: firstBytes + 7, complete: false });

  // A retried post stores nothing twice.
  await postOutput(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, offset: firstBytes, text: 'line 2\n' }]);
  t.is((await readOutput(t, live, taskId)).text, 'line 1\nżółw\nline 2\n');

  const end = readOutput(t, live, taskId, `?offset=${firstBytes + 7}&wait=30`);
  t.true(await pollSubscribed(live));
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '2' }]);
  t.like(await end, { text: '', next_offset: firstBytes + 7, complete: true });
});

serviceTest('output: the last 1 MiB per task is kept; what was dropped before it is counted', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential, 1)).body.tasks;
  const part = (c: string) => c.repeat(600 * 1024);
  for (const [i, c] of ['a', 'b', 'c'].entries()) {
    t.is((await postOutput(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, offset: i * 600 * 1024, text: part(c) }])).status, 200);
  }
  const all = await readOutput(t, live, taskId);
  t.is(all.next_offset, 3 * 600 * 1024);
  t.is(all.dropped, 3 * 600 * 1024 - MiB);
  t.is(all.offset, all.dropped); // asked from 0: answered from the first byte kept
  t.is(Buffer.byteLength(all.text), MiB);
  t.true(all.text.endsWith(part('c')));
  t.false(all.text.includes('a'));

  // The endpoint dropped unsent text (a jump in offsets): what is kept restarts there.
  await postOutput(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, offset: 5 * MiB, text: 'after the gap\n' }]);
  t.like(await readOutput(t, live, taskId), { offset: 5 * MiB, dropped: 5 * MiB, text: 'after the gap\n' });
});

serviceTest('output: over the service-wide cap, the output updated longest ago is dropped first', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [older, newer] = await submitOk(live, endpointId, functionId, [jsonPayload(1), jsonPayload(2)]);
  const leased = new Map<string, string>((await lease(live, endpointId, credential, 2)).body.tasks.map((x: { task_id: string; lease_token: string }) => [x.task_id, x.lease_token]));
  const text = 'x'.repeat(700 * 1024);
  await postOutput(live, endpointId, credential, [{ task_id: older, lease_token: leased.get(older), offset: 0, text }]);
  await postOutput(live, endpointId, credential, [{ task_id: newer, lease_token: leased.get(newer), offset: 0, text }]);
  t.like(await readOutput(t, live, older), { text: '', offset: 700 * 1024, next_offset: 700 * 1024, dropped: 700 * 1024 });
  t.like(await readOutput(t, live, newer), { text, dropped: 0 });
}, { taskOutputTotalCap: 1024 * 1024 });

serviceTest('output: a stale lease is refused; a retry continues the stream after a marker; another user\'s task is 404 TaskNotFound', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const first = (await lease(live, endpointId, credential, 1)).body.tasks[0];
  await postOutput(live, endpointId, credential, [{ task_id: taskId, lease_token: first.lease_token, offset: 0, text: 'first try\n' }]);
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: first.lease_token, status: 'failed', exception: { type: 'WorkerLost', message: 'gone' }, retry: true }]);
  const second = (await lease(live, endpointId, credential, 1)).body.tasks[0];

  const stale = await postOutput(live, endpointId, credential, [{ task_id: taskId, lease_token: first.lease_token, offset: 10, text: 'late\n' }]);
  t.deepEqual(stale.body, { accepted: 0, refused: [taskId] });
  await postOutput(live, endpointId, credential, [{ task_id: taskId, lease_token: second.lease_token, offset: 0, text: 'second try\n' }]);
  const both = await readOutput(t, live, taskId);
  t.is(both.text, 'first try\n\n[funcX: attempt 2 started; the output above is from an earlier attempt]\nsecond try\n');
  t.is(both.next_offset, Buffer.byteLength(both.text));

  const mallory = await live.tokenFor('mallory');
  for (const query of ['', '?wait=5']) {
    const hidden = await live.call('GET', `/v3/tasks/${taskId}/output${query}`, { token: mallory });
    t.is(hidden.status, 404);
    assertSchema(t, 'error.json', hidden.body);
    t.like(hidden.body, { code: 'TaskNotFound', reason: `task ${taskId} not found` });
  }
  const bad = await live.call('GET', `/v3/tasks/${taskId}/output?wait=31`);
  t.is(bad.status, 400);
});

serviceTest('output: deleted with its task by the retention purge', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential, 1)).body.tasks;
  await postOutput(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, offset: 0, text: 'kept until the task goes\n' }]);
  await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: task.lease_token, status: 'success', result: '2' }]);
  t.like(await purgeExpired(live.db, { retentionMs: 3_600_000 }), { deletedTasks: 0, deletedOutputs: 0 });
  t.is(Number((await live.db('task_output').count({ n: '*' }))[0].n), 1);
  await live.db('tasks').where({ id: taskId }).update({ completed_at: 1 }); // finished long ago
  t.like(await purgeExpired(live.db, { retentionMs: 3_600_000 }), { deletedTasks: 1, deletedOutputs: 1 });
  t.is(Number((await live.db('task_output').count({ n: '*' }))[0].n), 0);
});
