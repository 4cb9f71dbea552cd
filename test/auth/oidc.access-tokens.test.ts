/**
 * oidc mode against a real OpenID provider: which access tokens open the door
 * (opaque via introspection, JWT via the key set) and which get 401, and that
 * a provider that is down shuts it (503), while endpoints keep working.
 */
import { generateKeyPair } from 'jose';
import { oidcServiceTest } from '../helpers/oidcService.js';
import { AUDIENCE, SCOPE, publicKeyAsHmacSecret, type TestProvider } from '../helpers/oidcProvider.js';
import type { ExecutionContext } from 'ava';
import { assertSchema, type LiveService } from '../helpers/service.js';
import { lease, registerEndpoint } from '../api/support.js';
import { eventually } from '../helpers/within.js';

/** GET /v3/endpoints as the bearer of `token`: 200 when let in. */
const listEndpoints = (live: LiveService, token: string) => live.call('GET', '/v3/endpoints', { token });

async function assertRefused(t: ExecutionContext, live: LiveService, token: string, reason: string | RegExp) {
  const response = await listEndpoints(live, token);
  t.is(response.status, 401, JSON.stringify(response.body));
  t.is(response.body.code, 'UserUnauthenticated');
  if (typeof reason === 'string') t.is(response.body.reason, reason);
  else t.regex(response.body.reason, reason);
  t.is(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
}

const now = () => Math.floor(Date.now() / 1000);
const claimsFor = (provider: TestProvider, sub: string) => ({ iss: provider.issuer, aud: AUDIENCE, sub, scope: SCOPE, iat: now(), exp: now() + 600 });

oidcServiceTest('valid opaque and JWT access tokens work; the caller is the token\'s sub', async (t, live, provider) => {
  for (const format of ['opaque', 'jwt'] as const) {
    const token = await provider.token('alice', { format });
    t.is(format === 'jwt', token.split('.').length === 3);
    const created = await live.call('POST', '/v3/endpoints', { token, body: { name: `ep-${format}` } });
    t.is(created.status, 201, JSON.stringify(created.body));
    const read = await live.call('GET', `/v3/endpoints/${created.body.endpoint_id}`, { token });
    t.is(read.body.owner, 'alice');
  }
  // A JWT the provider never issued but signed with its key and right in every claim is, by design, valid.
  t.is((await listEndpoints(live, await provider.forge(claimsFor(provider, 'alice')))).status, 200);
});

oidcServiceTest('expired, wrong audience, wrong issuer, missing scope, alg none and key confusion get 401', async (t, live, provider) => {
  const good = claimsFor(provider, 'alice');
  await assertRefused(t, live, await provider.forge({ ...good, iat: now() - 600, exp: now() - 60 }), 'the access token was refused: it has expired');
  await assertRefused(t, live, await provider.forge({ ...good, aud: 'https://other.test' }), 'the access token was refused: claim aud is not acceptable (check_failed)');
  await assertRefused(t, live, await provider.forge({ ...good, iss: 'https://evil.test' }), 'the access token was refused: claim iss is not acceptable (check_failed)');
  await assertRefused(t, live, await provider.forge({ ...good, scope: 'other' }), `the access token lacks the required scope ${SCOPE}`);
  const { sub: _sub, ...noSubject } = good;
  await assertRefused(t, live, await provider.forge(noSubject), /claim sub is not acceptable/);

  // Real tokens from the provider, for another audience or without the scope, in both formats.
  await assertRefused(t, live, await provider.token('alice', { otherAudience: true }), `the access token is not for this service (audience ${AUDIENCE})`);
  await assertRefused(t, live, await provider.token('alice', { scope: 'other' }), `the access token lacks the required scope ${SCOPE}`);
  await assertRefused(t, live, await provider.token('alice', { format: 'jwt', scope: 'other' }), `the access token lacks the required scope ${SCOPE}`);

  // alg none: an unsigned token with perfect claims.
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  await assertRefused(t, live, `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode(good)}.`, 'the access token was refused: its signature algorithm is not allowed');
  // Key confusion: HS256 "signed" with the provider's public key as the HMAC secret.
  const confused = await provider.forge(good, { alg: 'HS256', key: publicKeyAsHmacSecret(provider.publicKeyPem) });
  await assertRefused(t, live, confused, 'the access token was refused: its signature algorithm is not allowed');
  // An opaque string the provider never issued, and garbage.
  await assertRefused(t, live, 'not-a-token-the-provider-knows', 'the access token is not active (expired, revoked or unknown)');
  const stranger = await generateKeyPair('RS256');
  await assertRefused(t, live, await provider.forge(good, { key: stranger.privateKey }), 'the access token was refused: its signature does not verify');
  // None of these got in: nothing was created under any name.
  t.is(Number((await live.db('endpoints').count({ n: '*' }))[0].n), 0);
});

oidcServiceTest('a JWT with an unknown kid makes the service refetch the key set, then 401', async (t, live, provider) => {
  t.is((await listEndpoints(live, await provider.token('alice', { format: 'jwt' }))).status, 200);
  const fetchesBefore = provider.requests.get('/jwks') ?? 0;
  t.is(fetchesBefore, 1);
  const other = await generateKeyPair('RS256');
  const unknownKid = await provider.forge(claimsFor(provider, 'alice'), { kid: 'rotated-key', key: other.privateKey });
  await assertRefused(t, live, unknownKid, 'the access token was refused: it is not signed by a key of the issuer');
  t.is(provider.requests.get('/jwks'), 2, 'an unknown kid refetches the key set');
}, { oidcJwksCooldown: '0s' });

oidcServiceTest('unknown kids do not make the service hammer the provider within the cooldown', async (t, live, provider) => {
  t.is((await listEndpoints(live, await provider.token('alice', { format: 'jwt' }))).status, 200);
  t.is(provider.requests.get('/jwks'), 1);
  const other = await generateKeyPair('RS256');
  for (const kid of ['k1', 'k2', 'k3']) {
    const unknownKid = await provider.forge(claimsFor(provider, 'alice'), { kid, key: other.privateKey });
    await assertRefused(t, live, unknownKid, 'the access token was refused: it is not signed by a key of the issuer');
  }
  t.is(provider.requests.get('/jwks'), 1);
}, { oidcJwksCooldown: '1h' });

oidcServiceTest('introspection answers are cached (one provider call for repeated use)', async (t, live, provider) => {
  const token = await provider.token('alice');
  for (let i = 0; i < 3; i++) t.is((await listEndpoints(live, token)).status, 200);
  t.is(provider.requests.get('/token/introspection'), 1);
});

// The two cache claims below are time-bound: the refusal must come well before the cache's own
// window would have ended it, or a cache that ignored exp (or the configured window) would pass.
const LONG_CACHE_TTL_MS = 30_000; // the longest window config allows (and the default)

oidcServiceTest('a cached introspection answer is never used past the token\'s exp', async (t, live, provider) => {
  const issuedAt = Date.now();
  const token = await provider.token('alice', { shortLived: true }); // exp in 5 s; the cache would keep it 30 s
  t.is((await listEndpoints(live, token)).status, 200);
  // The refusal is due about 5 s after issue; a cache entry kept for its window would let the
  // token in until 30 s after this first use. 15 s from issue tells the two apart even on a loaded machine.
  await eventually(LONG_CACHE_TTL_MS / 2 - (Date.now() - issuedAt), 'the refusal of the expired token', refused(live, token));
  t.true((provider.requests.get('/token/introspection') ?? 0) >= 2, 'the cache entry ended at exp and the provider was asked again');
}, { oidcIntrospectionCacheTtl: `${LONG_CACHE_TTL_MS}ms` });

oidcServiceTest('a revoked opaque token is refused once the cache window has passed', async (t, live, provider) => {
  const token = await provider.token('alice');
  t.is((await listEndpoints(live, token)).status, 200);
  await provider.revoke('alice', token);
  // Within the (here 300 ms) window the cached answer may still let it in; after it, never. The
  // bound is a third of the default window, so a cache that ignored the configured window fails.
  await eventually(LONG_CACHE_TTL_MS / 3, 'the refusal of the revoked token', refused(live, token));
  t.true((provider.requests.get('/token/introspection') ?? 0) >= 2, 'the provider was asked again');
  await assertRefused(t, live, token, 'the access token is not active (expired, revoked or unknown)');
}, { oidcIntrospectionCacheTtl: '300ms' });

oidcServiceTest('the provider down: user requests get 503 IdentityProviderUnavailable; endpoint credentials still work', async (t, live, provider) => {
  const token = await provider.token('alice', { format: 'jwt' });
  const { endpointId, credential } = await registerEndpoint(live, {}, token);
  await provider.stop();
  // A new opaque token cannot be introspected, and the service has no cached answer: fail closed.
  const down = await listEndpoints(live, 'opaque-token-issued-before-the-outage');
  t.is(down.status, 503);
  t.is(down.body.code, 'IdentityProviderUnavailable');
  t.is(down.headers.get('retry-after'), '5');
  // A JWT with a kid the service has not seen needs the key set, which cannot be fetched.
  const other = await generateKeyPair('RS256');
  const unknownKid = await provider.forge(claimsFor(provider, 'alice'), { kid: 'new-key', key: other.privateKey });
  const jwtDown = await listEndpoints(live, unknownKid);
  t.is(jwtDown.status, 503);
  t.is(jwtDown.body.code, 'IdentityProviderUnavailable');
  // The endpoint's own credential is the service's business, not the provider's.
  t.is((await lease(live, endpointId, credential)).status, 200);
}, { oidcJwksCooldown: '0s' });

oidcServiceTest('the provider down before the service ever reached it: 503, not an open door', async (t, live, provider) => {
  await provider.stop();
  const response = await listEndpoints(live, 'any-token');
  t.is(response.status, 503);
  t.is(response.body.code, 'IdentityProviderUnavailable');
  // A local API token means nothing in oidc mode, and is refused without asking the provider.
  const local = await live.tokenFor('alice');
  await assertRefused(t, live, local, 'local API tokens are not accepted in oidc mode; use an access token from the identity provider');
  t.is(live.service.quickstart, undefined);
});

oidcServiceTest('GET /v2/version tells clients where to log in: issuer, audience, scopes, the CLI client; never a secret', async (t, live, provider) => {
  const version = await live.call('GET', '/v2/version', { token: '' });
  t.is(version.status, 200);
  assertSchema(t, 'version.json', version.body);
  t.like(version.body, { auth_mode: 'oidc', oidc: { issuer: provider.issuer, audience: AUDIENCE, scopes: [SCOPE], client_id: 'funcx-cli' } });
  t.false(JSON.stringify(version.body).includes(String(provider.serviceConfig().oidcClientSecret)));
}, { oidcLoginClientId: 'funcx-cli' });

/** A check for eventually(): is the token refused now? */
const refused = (live: LiveService, token: string) => async () => (await listEndpoints(live, token)).status === 401;
