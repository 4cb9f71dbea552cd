/**
 * A flow's use of the provider, end to end through a real service, a real
 * `funcx-endpoint` process and real python3 workers: read the introspection
 * without a token, run, poll the status with backoff until SUCCEEDED, read the
 * log, release, and find the action gone.
 */
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { DOUBLE, ap, newCaller, pollUntilDone, registerPythonAs, v3Run } from './support.js';

serviceTest('a flow runs an action to SUCCEEDED, reads its log and releases it', async (t, live) => {
  const alice = await newCaller(live);
  const endpoint = await startEndpointProcess(t, live, { env: { FUNCX_TOKEN: alice.token } });
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const greet = await registerPythonAs(live, alice.token, 'def greet(name, punctuation="."):\n    return {"greeting": "Hello " + name + punctuation}\n', 'greet');

  // A flow reads the description first, without a token (visible_to: public).
  const description = await ap(t, live, 'introspection', 'GET', '/', { token: '' });
  t.is(description.status, 200);
  t.is(description.headers.get('access-control-allow-origin'), '*');
  t.deepEqual(description.body.types, ['Action']);
  t.is(description.body.api_version, '1.0');
  t.false(description.body.synchronous);
  t.true(description.body.log_supported);
  t.deepEqual(description.body.visible_to, ['public']);
  t.deepEqual(description.body.runnable_by, ['all_authenticated_users']);
  t.is(description.body.maximum_deadline, 'P30D');
  t.deepEqual(description.body.input_schema.oneOf.length, 2);

  const request = v3Run('flow-step-1', endpoint.endpointId, [
    { function_id: double, args: [21] },
    { function_id: greet, args: ['flow'], kwargs: { punctuation: '!' } },
    { function_id: double, args: [[1, 2]] },
  ], { label: 'double and greet', tags: ['ignored', 'by', 'the', 'provider'] });
  const started = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: request });
  t.is(started.status, 202, JSON.stringify(started.body));
  t.is(started.body.status, 'ACTIVE');
  t.is(started.body.creator_id, alice.urn);
  t.is(started.body.label, 'double and greet');
  t.deepEqual(started.body.monitor_by, [alice.urn]);
  t.deepEqual(started.body.manage_by, [alice.urn]);
  t.is(started.body.release_after, 'P30D');
  t.false('completion_time' in started.body);
  const actionId: string = started.body.action_id;

  const done = await pollUntilDone(t, live, alice.token, actionId);
  t.is(done.body.status, 'SUCCEEDED', JSON.stringify(done.body));
  t.deepEqual(done.body.details.result, [42, { greeting: 'Hello flow!' }, [1, 2, 1, 2]]);
  t.is(done.body.details.results.length, 3);
  t.deepEqual(done.body.details.results.map((r: { output: unknown }) => r.output), done.body.details.result);
  t.is(done.body.display_status, 'Succeeded');
  t.true(Date.parse(done.body.completion_time) >= Date.parse(done.body.start_time));
  // The old-style status route answers the same.
  const old = await ap(t, live, 'status', 'GET', `/${actionId}/status`, { token: alice.token });
  t.deepEqual(old.body, done.body);

  // The log: the action's start, each task queued, running and succeeded, the action's end.
  const log = await ap(t, live, 'log', 'GET', `/actions/${actionId}/log?limit=100`, { token: alice.token });
  t.is(log.status, 200);
  const codes: string[] = log.body.entries.map((e: { code: string }) => e.code);
  t.is(codes[0], 'ActionStarted');
  t.is(codes[codes.length - 1], 'ActionCompleted');
  t.is(codes.filter((c) => c === 'TaskQueued').length, 3);
  t.is(codes.filter((c) => c === 'TaskRunning').length, 3);
  t.is(codes.filter((c) => c === 'TaskSucceeded').length, 3);
  t.false(log.body.has_next_page);
  t.is(log.body.marker, null);

  const released = await ap(t, live, 'status', 'POST', `/${actionId}/release`, { token: alice.token });
  t.is(released.status, 200);
  t.deepEqual(released.body, done.body);
  const taskIds = done.body.details.results.map((r: { task_id: string }) => r.task_id);
  t.is((await live.db('tasks').whereIn('id', taskIds)).length, 0, 'the tasks and their results are deleted');
  for (const [method, path] of [['GET', `/actions/${actionId}`], ['GET', `/${actionId}/status`], ['GET', `/${actionId}/log`], ['DELETE', `/actions/${actionId}`]]) {
    const gone = await ap(t, live, 'status', method, path, { token: alice.token });
    t.is(gone.status, 404, `${method} ${path}`);
    t.is(gone.body.code, 'ActionNotFound');
  }
  t.is((await live.call('GET', `/v3/tasks/${taskIds[0]}`, { token: alice.token })).status, 404);
});

serviceTest('V2 inputs run: a top-level task plus a tasks list, args and kwargs as JSON text, payload for kwargs', async (t, live) => {
  const alice = await newCaller(live);
  const endpoint = await startEndpointProcess(t, live, { env: { FUNCX_TOKEN: alice.token } });
  const add = await registerPythonAs(live, alice.token, 'def add(a, b=0, c=0):\n    return a + b + c\n', 'add');
  const ep = endpoint.endpointId;

  const body = {
    endpoint: ep, function: add, args: [1], kwargs: { b: 2 },
    tasks: [
      { endpoint: ep, function: add, args: '[10, 20]' },
      { endpoint: ep, function: add, args: 5, payload: { c: 100 } },
      { endpoint: ep, function: add, args: [7], payload: '{"b": 1, "c": 1}' },
    ],
  };
  const started = await ap(t, live, 'status', 'POST', '/actions', { token: alice.token, body: { request_id: 'v2-mixed', body } });
  t.is(started.status, 202, JSON.stringify(started.body));
  const done = await pollUntilDone(t, live, alice.token, started.body.action_id);
  t.is(done.body.status, 'SUCCEEDED', JSON.stringify(done.body));
  t.deepEqual(done.body.details.result, [3, 30, 105, 9]);

  // Only the tasks list, as older flows send it.
  const listOnly = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: { request_id: 'v2-list', body: { tasks: [{ endpoint: ep, function: add, payload: { a: 40, b: 2 } }] } } });
  t.is(listOnly.status, 202, JSON.stringify(listOnly.body));
  t.deepEqual((await pollUntilDone(t, live, alice.token, listOnly.body.action_id)).body.details.result, [42]);
});

serviceTest('a failing function FAILs the action with the remote exception in details', async (t, live) => {
  const alice = await newCaller(live);
  const endpoint = await startEndpointProcess(t, live, { env: { FUNCX_TOKEN: alice.token } });
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const divide = await registerPythonAs(live, alice.token, 'def divide(a, b):\n    return a / b\n', 'divide');

  const started = await ap(t, live, 'status', 'POST', '/actions', {
    token: alice.token,
    body: v3Run('will-fail', endpoint.endpointId, [{ function_id: double, args: [1] }, { function_id: divide, args: [1, 0] }]),
  });
  t.is(started.status, 202, JSON.stringify(started.body));
  const done = await pollUntilDone(t, live, alice.token, started.body.action_id);
  t.is(done.body.status, 'FAILED');
  t.is(done.body.display_status, 'Failed');
  const details = done.body.details;
  t.is(details.code, 'TaskFailed');
  t.is(details.exception.type, 'ZeroDivisionError');
  t.regex(details.description, /ZeroDivisionError: division by zero/);
  t.regex(details.exception.traceback, /ZeroDivisionError/);
  t.is(details.task_id, details.results[1].task_id);
  t.deepEqual(details.results[0].output, 2, 'the tasks that succeeded keep their outputs');
  t.is(details.results[1].status, 'failed');

  // Released like any completed action.
  t.is((await ap(t, live, 'status', 'DELETE', `/actions/${done.body.action_id}`, { token: alice.token })).status, 200);
});
