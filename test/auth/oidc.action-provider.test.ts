/**
 * The Action Provider API in oidc mode: callers are the provider's users, as
 * on every other route. B can neither see nor release A's action; a group the
 * provider puts B in (named in manage_by) lets B manage it; bad tokens get the
 * spec's UnauthorizedRequest.
 */
import { randomUUID } from 'node:crypto';
import { oidcServiceTest } from '../helpers/oidcService.js';
import { DOUBLE, ap, idleEndpoint, registerPythonAs, v3Run } from '../action-provider/support.js';

// Action principals are Globus-style URNs of UUIDs: these users' subs (and the group) are UUIDs, as Globus Auth's are.
const [ALICE, BOB] = [randomUUID(), randomUUID()];
const OPERATORS = randomUUID();

oidcServiceTest('B cannot see or release A\'s action; a manage_by group from the provider can; bad tokens are UnauthorizedRequest', async (t, live, provider) => {
  const alice = await provider.token(ALICE, { format: 'jwt' });
  const bob = await provider.token(BOB); // opaque: groups as the provider says now
  const endpointId = await idleEndpoint(live, alice);
  const double = await registerPythonAs(live, alice, DOUBLE.source, DOUBLE.entry);
  const started = await ap(t, live, 'status', 'POST', '/run', {
    token: alice,
    body: v3Run('oidc-run', endpointId, [{ function_id: double, args: [1] }], { manage_by: [`urn:globus:groups:id:${OPERATORS}`] }),
  });
  t.is(started.status, 202, JSON.stringify(started.body));
  const id: string = started.body.action_id;
  t.deepEqual(started.body.monitor_by, [`urn:globus:auth:identity:${ALICE}`]);

  const notFound = { code: 'ActionNotFound', description: `action ${id} not found` };
  t.deepEqual((await ap(t, live, 'status', 'GET', `/actions/${id}`, { token: bob })).body, notFound);
  t.deepEqual((await ap(t, live, 'status', 'POST', `/${id}/release`, { token: bob })).body, notFound);
  t.deepEqual((await ap(t, live, 'status', 'POST', `/${id}/cancel`, { token: bob })).body, notFound);

  provider.groups.set(BOB, [OPERATORS]);
  const bobAsOperator = await provider.token(BOB);
  t.is((await ap(t, live, 'status', 'GET', `/actions/${id}`, { token: bobAsOperator })).status, 200);
  t.is((await ap(t, live, 'status', 'POST', `/${id}/cancel`, { token: bobAsOperator })).body.status, 'FAILED');
  t.is((await ap(t, live, 'status', 'POST', `/${id}/release`, { token: bobAsOperator })).status, 200);

  const forged = await ap(t, live, 'status', 'GET', '/actions', { token: 'not-a-token-the-provider-knows' });
  t.deepEqual([forged.status, forged.body], [401, { code: 'UnauthorizedRequest', description: 'the access token is not active (expired, revoked or unknown)' }]);
  const local = await ap(t, live, 'status', 'GET', '/actions', { token: await live.tokenFor(ALICE) });
  t.is(local.body.code, 'UnauthorizedRequest');
}, {}, [ALICE, BOB]);
