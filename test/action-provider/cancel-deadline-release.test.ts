/**
 * Ending actions other than by their tasks finishing: cancel, a deadline that
 * passes, release only once complete, and the release_after purge. The
 * endpoint has no agent, so the tasks stay queued until something ends them.
 */
import { serviceTest } from '../helpers/service.js';
import { waitFor } from '../helpers/endpointProcess.js';
import { DOUBLE, ap, idleEndpoint, newCaller, registerPythonAs, v3Run } from './support.js';

serviceTest('cancel fails the action and cancels its pending tasks; release is refused until then', async (t, live) => {
  const alice = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const started = await ap(t, live, 'status', 'POST', '/actions', { token: alice.token, body: v3Run('to-cancel', endpointId, [{ function_id: double, args: [1] }, { function_id: double, args: [2] }]) });
  t.is(started.status, 202);
  const id: string = started.body.action_id;
  t.is(started.body.display_status, 'Queued');
  t.like(started.body.details, { total: 2, waiting: 2, running: 0 });

  for (const [method, path] of [['POST', `/${id}/release`], ['DELETE', `/actions/${id}`]]) {
    const early = await ap(t, live, 'status', method, path, { token: alice.token });
    t.is(early.status, 409, `${method} ${path}`);
    t.is(early.body.code, 'ActionConflict');
  }

  const cancelled = await ap(t, live, 'status', 'POST', `/actions/${id}/cancel`, { token: alice.token });
  t.is(cancelled.status, 200);
  t.is(cancelled.body.status, 'FAILED');
  t.is(cancelled.body.display_status, 'Cancelled');
  t.is(cancelled.body.details.code, 'ActionCancelled');
  t.truthy(cancelled.body.completion_time);
  // The action's tasks as the database knows them (not as the answer lists them): two, each cancelled.
  const taskIds = JSON.parse((await live.db('actions').where({ id }).first()).task_ids) as string[];
  t.is(taskIds.length, 2);
  t.deepEqual(cancelled.body.details.results.map((r: { task_id: string }) => r.task_id), taskIds);
  for (const taskId of taskIds) {
    const task = await live.call('GET', `/v3/tasks/${taskId}`, { token: alice.token });
    t.is(task.body.status, 'cancelled');
  }

  const twice = await ap(t, live, 'status', 'POST', `/${id}/cancel`, { token: alice.token });
  t.is(twice.status, 409);
  t.is(twice.body.code, 'ActionConflict');
  const status = await ap(t, live, 'status', 'GET', `/${id}/status`, { token: alice.token });
  t.deepEqual(status.body, cancelled.body);
  t.is((await ap(t, live, 'status', 'POST', `/${id}/release`, { token: alice.token })).status, 200);
});

serviceTest('a deadline the provider cannot meet is refused at run', async (t, live) => {
  const alice = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const tasks = [{ function_id: double, args: [1] }];

  const past = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('past', endpointId, tasks, { deadline: new Date(Date.now() - 60_000).toISOString() }) });
  t.is(past.status, 422);
  t.is(past.body.code, 'RequestValidationError');
  t.regex(past.body.description, /deadline.*has passed/);

  const tooFar = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('far', endpointId, tasks, { deadline: new Date(Date.now() + 31 * 86_400_000).toISOString() }) });
  t.is(tooFar.status, 422);
  t.regex(tooFar.body.description, /deadline.*maximum_deadline \(P30D/);

  const notADate = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('bad', endpointId, tasks, { deadline: 'tomorrow' }) });
  t.is(notADate.status, 422);
  t.regex(notADate.body.description, /Field 'deadline' must match format "date-time"/);

  t.is((await live.db('tasks').where({ submitter: alice.identity })).length, 0, 'nothing was queued for refused runs');
  const fine = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('fine', endpointId, tasks, { deadline: new Date(Date.now() + 86_400_000).toISOString() }) });
  t.is(fine.status, 202);
});

serviceTest('a task still pending at the deadline fails the action and is cancelled', async (t, live) => {
  const alice = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const deadline = new Date(Date.now() + 1500).toISOString();
  const started = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('soon', endpointId, [{ function_id: double, args: [1] }], { deadline }) });
  t.is(started.status, 202, JSON.stringify(started.body));
  const [taskId] = JSON.parse((await live.db('actions').where({ id: started.body.action_id }).first()).task_ids) as string[];

  // Nobody polls the action: the maintenance loop (reap tick) ends it at its deadline.
  await waitFor(async () => (await live.db('actions').where({ id: started.body.action_id }).first()).status !== 'ACTIVE', 'the deadline to pass');
  const status = await ap(t, live, 'status', 'GET', `/actions/${started.body.action_id}`, { token: alice.token });
  t.is(status.body.status, 'FAILED');
  t.is(status.body.details.code, 'DeadlineExceeded');
  t.is(status.body.display_status, 'Deadline exceeded');
  const task = await live.call('GET', `/v3/tasks/${taskId}`, { token: alice.token });
  t.is(task.body.status, 'cancelled');
  t.is(task.body.exception.type, 'DeadlineExceeded');
}, { reapInterval: '100ms' });

serviceTest('a completed action is purged release_after after it completed, with its tasks', async (t, live) => {
  const alice = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const kept = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('kept', endpointId, [{ function_id: double, args: [1] }]) });
  const brief = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('brief', endpointId, [{ function_id: double, args: [1] }], { release_after: 'PT0.5S' }) });
  t.is(brief.body.release_after, 'PT0.5S');
  const invalid = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('x', endpointId, [{ function_id: double }], { release_after: '30 days' }) });
  t.is(invalid.status, 422);
  t.regex(invalid.body.description, /Field 'release_after' must match pattern/);

  for (const action of [kept, brief]) t.is((await ap(t, live, 'status', 'POST', `/${action.body.action_id}/cancel`, { token: alice.token })).status, 200);
  await waitFor(async () => (await live.db('actions').where({ id: brief.body.action_id })).length === 0, 'the purge of the brief action', 60_000);
  t.is((await ap(t, live, 'status', 'GET', `/actions/${brief.body.action_id}`, { token: alice.token })).status, 404);
  t.is((await live.db('tasks').where({ submitter: alice.identity })).length, 1, "only the kept action's task remains");
  t.is((await ap(t, live, 'status', 'GET', `/actions/${kept.body.action_id}`, { token: alice.token })).body.status, 'FAILED');
}, { purgeInterval: '200ms' });
