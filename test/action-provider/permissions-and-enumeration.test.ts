/**
 * Who may do what: the creator and its monitor_by principals watch (status,
 * log), manage_by principals also cancel and release, everyone else is told
 * nothing (404) or refused (403); runnable_by and visible_to are checked; a run
 * passes the same endpoint and function checks as a submit. The enumeration
 * lists the caller's actions by role and status.
 */
import { randomUUID } from 'node:crypto';
import { serviceTest } from '../helpers/service.js';
import { DOUBLE, ap, idleEndpoint, newCaller, registerPythonAs, v3Run } from './support.js';

serviceTest('monitor_by watches, manage_by (a group here) manages, others learn nothing', async (t, live) => {
  const alice = await newCaller(live);
  const bob = await newCaller(live);
  const managers = randomUUID();
  const carol = await newCaller(live, [managers]);
  const mallory = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const started = await ap(t, live, 'status', 'POST', '/run', {
    token: alice.token,
    body: v3Run('shared', endpointId, [{ function_id: double, args: [1] }], { monitor_by: [bob.urn], manage_by: [`urn:globus:groups:id:${managers}`] }),
  });
  t.is(started.status, 202, JSON.stringify(started.body));
  const id: string = started.body.action_id;
  t.deepEqual(started.body.monitor_by, [alice.urn, bob.urn], 'the creator is always among the watchers');
  t.deepEqual(started.body.manage_by, [alice.urn, `urn:globus:groups:id:${managers}`]);

  // Someone else: not even told the action exists.
  for (const [method, path] of [['GET', `/actions/${id}`], ['GET', `/${id}/log`], ['POST', `/${id}/cancel`], ['DELETE', `/actions/${id}`]]) {
    const hidden = await ap(t, live, 'status', method, path, { token: mallory.token });
    t.is(hidden.status, 404, `${method} ${path}`);
    t.deepEqual(hidden.body, { code: 'ActionNotFound', description: `action ${id} not found` });
  }
  // A watcher reads, but may not manage.
  t.is((await ap(t, live, 'status', 'GET', `/${id}/status`, { token: bob.token })).status, 200);
  t.is((await ap(t, live, 'log', 'GET', `/actions/${id}/log`, { token: bob.token })).status, 200);
  const bobCancels = await ap(t, live, 'status', 'POST', `/actions/${id}/cancel`, { token: bob.token });
  t.is(bobCancels.status, 403);
  t.is(bobCancels.body.code, 'ForbiddenRequest');
  // A manager through its group: reads, cancels and releases.
  t.is((await ap(t, live, 'status', 'GET', `/actions/${id}`, { token: carol.token })).status, 200);
  t.is((await ap(t, live, 'status', 'POST', `/${id}/cancel`, { token: carol.token })).body.status, 'FAILED');
  t.is((await ap(t, live, 'status', 'POST', `/${id}/release`, { token: bob.token })).status, 403);
  t.is((await ap(t, live, 'status', 'POST', `/${id}/release`, { token: carol.token })).status, 200);

  // No token, or a bad one: 401 everywhere but the public introspection.
  for (const [method, path, token] of [['GET', `/actions/${id}`, ''], ['POST', '/run', ''], ['GET', '/actions', ''], ['GET', `/actions/${id}`, 'fxu_not-a-token']]) {
    const anonymous = await ap(t, live, 'status', method, path, { token, body: method === 'POST' ? v3Run('x', endpointId, [{ function_id: double }]) : undefined });
    t.is(anonymous.status, 401, `${method} ${path}`);
    t.is(anonymous.body.code, 'UnauthorizedRequest');
  }
});

serviceTest('a run passes the endpoint and function checks of a submit', async (t, live) => {
  const alice = await newCaller(live);
  const bob = await newCaller(live);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry, { public: true });
  const other = await registerPythonAs(live, alice.token, 'def other():\n    return 1\n', 'other');
  const privateEndpoint = await idleEndpoint(live, alice.token);
  const publicEndpoint = await idleEndpoint(live, alice.token, { public: true });
  const restricted = await idleEndpoint(live, alice.token, { allowed_functions: [double] });

  const hidden = await ap(t, live, 'status', 'POST', '/run', { token: bob.token, body: v3Run('a', privateEndpoint, [{ function_id: double }]) });
  t.deepEqual([hidden.status, hidden.body.code], [404, 'EndpointNotFound']);
  const notShared = await ap(t, live, 'status', 'POST', '/run', { token: bob.token, body: v3Run('b', publicEndpoint, [{ function_id: double }]) });
  t.deepEqual([notShared.status, notShared.body.code], [403, 'EndpointAccessForbidden']);
  const privateFunction = await ap(t, live, 'status', 'POST', '/run', { token: bob.token, body: v3Run('c', privateEndpoint, [{ function_id: other }]) });
  t.is(privateFunction.status, 404);
  const notAllowed = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('d', restricted, [{ function_id: double }, { function_id: other }]) });
  t.deepEqual([notAllowed.status, notAllowed.body.code], [403, 'FunctionNotPermitted']);
  t.regex(notAllowed.body.description, new RegExp(other));
  t.is((await live.db('actions')).length, 0, 'no refused run left an action');
  t.is((await live.db('tasks')).length, 0);
});

const RUNNERS = '0b7c5a4e-2f1d-4c3b-9a8e-7d6c5b4a3f2e';

serviceTest('runnable_by and visible_to are enforced', async (t, live) => {
  const runner = await newCaller(live, [RUNNERS]);
  const outsider = await newCaller(live);
  const endpointId = await idleEndpoint(live, runner.token);
  const double = await registerPythonAs(live, runner.token, DOUBLE.source, DOUBLE.entry, { public: true });

  const anonymous = await ap(t, live, 'introspection', 'GET', '/', { token: '' });
  t.is(anonymous.status, 401);
  const seen = await ap(t, live, 'introspection', 'GET', '/', { token: outsider.token });
  t.is(seen.status, 200);
  t.deepEqual(seen.body.visible_to, ['all_authenticated_users']);
  t.deepEqual(seen.body.runnable_by, [`urn:globus:groups:id:${RUNNERS}`]);
  t.is(seen.body.title, 'Compute step');
  t.is(seen.body.maximum_deadline, 'PT1H');

  const refused = await ap(t, live, 'status', 'POST', '/run', { token: outsider.token, body: v3Run('o', endpointId, [{ function_id: double }]) });
  t.deepEqual([refused.status, refused.body.code], [403, 'ForbiddenRequest']);
  const accepted = await ap(t, live, 'status', 'POST', '/run', { token: runner.token, body: v3Run('r', endpointId, [{ function_id: double }]) });
  t.is(accepted.status, 202);
}, {
  actionProviderVisibleTo: 'all_authenticated_users',
  actionProviderRunnableBy: `urn:globus:groups:id:${RUNNERS}`,
  actionProviderTitle: 'Compute step',
  actionProviderMaximumDeadline: '1h',
});

serviceTest('the enumeration lists actions by the caller role and their status', async (t, live) => {
  const alice = await newCaller(live);
  const bob = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const run = async (requestId: string, extra: Record<string, unknown> = {}) =>
    (await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run(requestId, endpointId, [{ function_id: double, args: [1] }], extra) })).body.action_id as string;
  const active = await run('active', { monitor_by: [bob.urn] });
  const cancelled = await run('cancelled', { manage_by: [bob.urn] });
  t.is((await ap(t, live, 'status', 'POST', `/${cancelled}/cancel`, { token: alice.token })).status, 200);

  const list = async (token: string, query: string) => {
    const response = await ap(t, live, 'enumeration', 'GET', `/actions${query}`, { token });
    t.is(response.status, 200, JSON.stringify(response.body));
    return (response.body as { action_id: string }[]).map((a) => a.action_id).sort();
  };
  t.deepEqual(await list(alice.token, ''), [active], 'default: actions I created that are ACTIVE');
  t.deepEqual(await list(alice.token, '?status=FAILED'), [cancelled]);
  t.deepEqual(await list(alice.token, '?roles=creator&status=active,failed'), [active, cancelled].sort());
  t.deepEqual(await list(alice.token, '?status=SUCCEEDED'), []);
  t.deepEqual(await list(bob.token, '?status=ACTIVE,FAILED'), [], 'bob created nothing');
  t.deepEqual(await list(bob.token, '?roles=monitor_by&status=ACTIVE,FAILED'), [active]);
  t.deepEqual(await list(bob.token, '?roles=manage_by&status=ACTIVE,FAILED'), [cancelled]);
  t.deepEqual(await list(bob.token, '?roles=monitor_by,manage_by&status=ACTIVE,FAILED'), [active, cancelled].sort());

  const badRole = await ap(t, live, 'enumeration', 'GET', '/actions?roles=owner', { token: alice.token });
  t.deepEqual([badRole.status, badRole.body.code], [400, 'BadActionRequest']);
  const badStatus = await ap(t, live, 'enumeration', 'GET', '/actions?status=DONE', { token: alice.token });
  t.is(badStatus.status, 400);
});
