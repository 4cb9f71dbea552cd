/**
 * How the agent's service client sorts a real service's refusals (endpoint/client.ts): an
 * endpoint credential that is not this endpoint's (403 EndpointAccessForbidden) or no valid
 * credential (401) stops the agent (CredentialRefused); any other 4xx is a ServiceRejected
 * carrying the catalogue's code.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { ErrorCode } from '@funcx-ts/shared/errors.js';
import { startLiveService } from '../helpers/service.js';
import { ServiceClient } from '../../endpoint/client.js';
import { CredentialRefused, ServiceRejected } from '../../endpoint/errors.js';

test('service client: another endpoint\'s credential and a bad one are CredentialRefused; an unknown endpoint is ServiceRejected', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const register = async (name: string) => {
    const answer = await live.call('POST', '/v3/endpoints', { body: { name } });
    t.is(answer.status, 201);
    return { endpointId: answer.body.endpoint_id as string, credential: answer.body.credential as string };
  };
  const mine = await register('mine');
  const other = await register('other');
  const client = new ServiceClient(live.url);

  t.like(await client.lease(mine.credential, mine.endpointId, 1, 0), { tasks: [] });

  const crossed = await t.throwsAsync(client.lease(mine.credential, other.endpointId, 1, 0), { instanceOf: CredentialRefused });
  t.is(crossed?.serviceCode, ErrorCode.EndpointAccessForbidden);

  const forged = await t.throwsAsync(client.lease(`fxe_${randomUUID()}`, mine.endpointId, 1, 0), { instanceOf: CredentialRefused });
  t.is(forged?.serviceCode, ErrorCode.EndpointCredentialInvalid);

  const unknown = await t.throwsAsync(client.deleteEndpoint(live.adminToken, randomUUID()), { instanceOf: ServiceRejected });
  t.like(unknown, { status: 404, serviceCode: ErrorCode.EndpointNotFound });
});
