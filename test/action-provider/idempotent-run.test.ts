/**
 * request_id makes a run idempotent per caller: the same request again is the
 * same action (200), another request under the same id is a conflict (409),
 * and twins racing each other create exactly one action and one set of tasks.
 */
import { serviceTest } from '../helpers/service.js';
import { DOUBLE, ap, idleEndpoint, newCaller, registerPythonAs, v3Run } from './support.js';

serviceTest('the same request again answers the same action; another request under its request_id is 409', async (t, live) => {
  const alice = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const request = v3Run('step-7', endpointId, [{ function_id: double, args: [1], kwargs: {} }], { label: 'seven' });

  const first = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: request });
  t.is(first.status, 202, JSON.stringify(first.body));
  // Same request, keys in another order, through the newer route, with an unknown key a flow may add.
  const reordered = { label: 'seven', tags: ['retry'], body: { tasks: [{ kwargs: {}, args: [1], function_id: double }], endpoint_id: endpointId }, request_id: 'step-7' };
  const again = await ap(t, live, 'status', 'POST', '/actions', { token: alice.token, body: reordered });
  t.is(again.status, 200);
  t.is(again.body.action_id, first.body.action_id);

  const otherBody = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('step-7', endpointId, [{ function_id: double, args: [2] }], { label: 'seven' }) });
  t.is(otherBody.status, 409);
  t.is(otherBody.body.code, 'ActionConflict');
  t.regex(otherBody.body.description, /step-7/);
  const otherLabel = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: { ...request, label: 'eight' } });
  t.is(otherLabel.status, 409);

  // request_id is per caller: another identity's step-7 is its own action.
  const bob = await newCaller(live);
  const bobEndpoint = await idleEndpoint(live, bob.token);
  const bobDouble = await registerPythonAs(live, bob.token, DOUBLE.source, DOUBLE.entry);
  const bobs = await ap(t, live, 'status', 'POST', '/run', { token: bob.token, body: v3Run('step-7', bobEndpoint, [{ function_id: bobDouble, args: [1] }]) });
  t.is(bobs.status, 202);
  t.not(bobs.body.action_id, first.body.action_id);

  t.is((await live.db('tasks').where({ submitter: alice.identity })).length, 1, 'one task for alice, however often she asked');
  t.is((await live.db('actions').where({ creator: alice.identity })).length, 1);
});

serviceTest('concurrent runs with one request_id create exactly one action', async (t, live) => {
  const alice = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const request = v3Run('raced', endpointId, [{ function_id: double, args: [1] }, { function_id: double, args: [2] }]);

  const twins = await Promise.all(Array.from({ length: 8 }, (_, i) =>
    ap(t, live, 'status', 'POST', i % 2 === 0 ? '/run' : '/actions', { token: alice.token, body: request })));
  t.deepEqual(twins.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 202], JSON.stringify(twins.map((r) => r.body)));
  t.is(new Set(twins.map((r) => r.body.action_id)).size, 1);
  t.is((await live.db('actions').where({ creator: alice.identity })).length, 1);
  t.is((await live.db('tasks').where({ submitter: alice.identity })).length, 2, 'the tasks were submitted once');

  // Racing requests that differ: one wins, the others conflict; still one action for the id.
  const differing = await Promise.all(Array.from({ length: 6 }, (_, i) =>
    ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('raced-differently', endpointId, [{ function_id: double, args: [i] }]) })));
  const statuses = differing.map((r) => r.status);
  t.is(statuses.filter((s) => s === 202).length, 1, JSON.stringify(differing.map((r) => r.body)));
  t.is(statuses.filter((s) => s === 409).length, 5);
  t.is((await live.db('actions').where({ creator: alice.identity })).length, 2);
  t.is((await live.db('tasks').where({ submitter: alice.identity })).length, 3);
});
