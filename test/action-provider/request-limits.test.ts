/**
 * Bounds on what an action request stores: principal lists and release_after
 * are limited by the schema (422 naming the field), so nothing reaches a column
 * that MySQL would truncate; the largest list allowed is stored whole and read back.
 */
import { randomUUID } from 'node:crypto';
import { serviceTest } from '../helpers/service.js';
import { DOUBLE, ap, idleEndpoint, newCaller, registerPythonAs, v3Run } from './support.js';

const urns = (count: number) => Array.from({ length: count }, () => `urn:globus:auth:identity:${randomUUID()}`);

serviceTest('too many principals or a long release_after is a 422 naming the field; 100 principals are stored whole', async (t, live) => {
  const alice = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const tasks = [{ function_id: double, args: [1] }];

  for (const field of ['monitor_by', 'manage_by']) {
    const refused = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run(`many-${field}`, endpointId, tasks, { [field]: urns(1500) }) });
    t.is(refused.status, 422, field);
    t.is(refused.body.code, 'RequestValidationError');
    t.regex(refused.body.description, new RegExp(`Field '${field}' must NOT have more than 100 items`));
  }
  const clients = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('many-clients', endpointId, tasks, { allowed_clients: Array(101).fill('public') }) });
  t.is(clients.status, 422);
  t.regex(clients.body.description, /Field 'allowed_clients' must NOT have more than 100 items/);
  const longRelease = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('long-release', endpointId, tasks, { release_after: `P${'1'.repeat(70)}D` }) });
  t.is(longRelease.status, 422);
  t.regex(longRelease.body.description, /Field 'release_after' must NOT have more than 64 characters/);
  t.is((await live.db('tasks').where({ submitter: alice.identity })).length, 0, 'nothing was queued for refused runs');
  t.is((await live.db('actions').where({ creator: alice.identity })).length, 0);

  const watchers = urns(100);
  const accepted = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: v3Run('hundred', endpointId, tasks, { monitor_by: watchers, manage_by: urns(100) }) });
  t.is(accepted.status, 202, JSON.stringify(accepted.body).slice(0, 500));
  const read = await ap(t, live, 'status', 'GET', `/actions/${accepted.body.action_id}`, { token: alice.token });
  t.is(read.status, 200);
  t.deepEqual(new Set(read.body.monitor_by), new Set([alice.urn, ...watchers]));
  t.is(read.body.manage_by.length, 101);
});
