/**
 * An ID token is not an access token: one the provider issues to the login
 * client, presented to a service whose audience is that client's id, passes
 * signature, issuer, audience and expiry, and must still be refused: its typ is
 * not at+jwt (RFC 9068) and it carries the login's nonce.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ExecutionContext } from 'ava';
import { oidcServiceTest } from '../helpers/oidcService.js';
import { CLI_CLIENT_ID, type TestProvider } from '../helpers/oidcProvider.js';
import type { LiveService } from '../helpers/service.js';

const REDIRECT_URI = 'http://127.0.0.1/callback';

/** A real ID token: authorization code flow with PKCE for the login client, the provider's login answered at once. */
async function idTokenFromProvider(provider: TestProvider, nonce: string): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL('/auth', provider.issuer);
  authorize.search = new URLSearchParams({
    client_id: CLI_CLIENT_ID, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString();
  const cookies = new Map<string, string>();
  let url = authorize.href;
  for (let step = 0; !url.startsWith(REDIRECT_URI); step++) {
    if (step > 20) throw new Error('the login did not reach the redirect');
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`the provider answered ${response.status} without a redirect: ${await response.text()}`);
    url = new URL(location, url).href;
  }
  const code = new URL(url).searchParams.get('code');
  if (!code) throw new Error(`no code in ${url}`);
  const response = await fetch(new URL('/token', provider.issuer), {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLI_CLIENT_ID, code_verifier: verifier }),
  });
  const answer = (await response.json()) as { id_token?: string };
  if (!answer.id_token) throw new Error(`no id_token: ${JSON.stringify(answer)}`);
  return answer.id_token;
}

async function assertIdTokenRefused(t: ExecutionContext, live: LiveService, provider: TestProvider, reason: RegExp) {
  const idToken = await idTokenFromProvider(provider, randomBytes(8).toString('hex'));
  const header = JSON.parse(Buffer.from(idToken.split('.')[0], 'base64url').toString()) as { typ?: string };
  const claims = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString()) as { aud: string; nonce?: string };
  t.is(claims.aud, CLI_CLIENT_ID, 'the ID token is for the audience the service was given');
  t.truthy(claims.nonce);
  t.not(header.typ?.toLowerCase(), 'at+jwt');
  const response = await live.call('GET', '/v3/endpoints', { token: idToken });
  t.is(response.status, 401, JSON.stringify(response.body));
  t.is(response.body.code, 'UserUnauthenticated');
  t.regex(response.body.reason, reason);
}

// The misconfiguration that makes this dangerous: the audience is a client id (ID tokens carry it as aud).
const clientIdAudience = { oidcAudience: CLI_CLIENT_ID, oidcRequiredScopes: '' };

oidcServiceTest('an ID token is refused as an access token (typ is not at+jwt)', async (t, live, provider) => {
  await assertIdTokenRefused(t, live, provider, /its type \(typ (missing|"JWT")\) is not an access token's \(at\+jwt\)/);
  // An RFC 9068 token with the same audience is fine.
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await provider.forge({ iss: provider.issuer, aud: CLI_CLIENT_ID, sub: 'alice', iat: now, exp: now + 600 });
  t.is((await live.call('GET', '/v3/endpoints', { token: accessToken })).status, 200);
}, clientIdAudience);

oidcServiceTest('with FUNCX_OIDC_ACCEPT_JWT_TYP, an ID token is still refused for its nonce', async (t, live, provider) => {
  await assertIdTokenRefused(t, live, provider, /it carries a nonce, as an ID token does/);
}, { ...clientIdAudience, oidcAcceptJwtTyp: true });
