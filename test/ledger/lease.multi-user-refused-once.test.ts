/**
 * A multi-user endpoint leases nothing: leaseFor refuses it when the lease request is decided,
 * before any look at the database, so a long-poll's repeated looks check nothing again.
 */
import test from 'ava';
import { leaseFor } from '../../src/ledger/leaseForEndpoint.js';
import { EndpointAccessForbidden } from '../../src/errors.js';
import type { EndpointPrincipal } from '../../src/auth/principal.js';

const principal = (over: Partial<EndpointPrincipal>): EndpointPrincipal => ({ kind: 'endpoint', endpointId: '00000000-0000-4000-8000-000000000001', owner: 'u1', ...over });

test('a multi-user endpoint is refused when its lease is decided, before any look at the ledger', (t) => {
  const error = t.throws(() => leaseFor(principal({ multiUser: true })), { instanceOf: EndpointAccessForbidden });
  t.regex(error!.message, /multi-user endpoint runs no task itself/);
});
