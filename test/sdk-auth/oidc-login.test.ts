/**
 * sdk/auth against a real OpenID provider and a real service in oidc mode:
 * browser login (code + PKCE, loopback redirect), device login, refresh, and
 * headless client credentials each yield a token the service accepts as the
 * right person. The provider's login page is answered by a headless browser.
 */
import test from 'ava';
import { browserLogin, clientCredentialsLogin, connectProvider, deviceLogin, freshTokens, isExpiring, LoginFailed, refreshTokens } from '../../sdk/auth/index.js';
import { CLI_CLIENT_ID, OPAQUE_RESOURCE, SCOPE, browse, startTestProvider } from '../helpers/oidcProvider.js';
import { startLiveService, type LiveService } from '../helpers/service.js';

const whoAmI = async (live: LiveService, token: string) => {
  const created = await live.call('POST', '/v3/endpoints', { token, body: { name: 'whoami' } });
  if (created.status !== 201) return `refused: ${JSON.stringify(created.body)}`;
  return (await live.call('GET', `/v3/endpoints/${created.body.endpoint_id}`, { token })).body.owner as string;
};

test('browser login (authorization code + PKCE): the service sees the person who logged in; the refresh token gets new access tokens', async (t) => {
  const provider = await startTestProvider(t);
  const live = await startLiveService(t, 'sqlite', provider.serviceConfig());
  const cli = await connectProvider({ issuer: provider.issuer, clientId: CLI_CLIENT_ID, allowHttp: true });
  provider.login.user = 'dave';
  let visited = '';
  const tokens = await browserLogin(cli, {
    scope: `openid offline_access ${SCOPE}`,
    resource: OPAQUE_RESOURCE,
    openBrowser: async (url) => {
      const parsed = new URL(url);
      t.is(parsed.searchParams.get('code_challenge_method'), 'S256');
      t.is(parsed.searchParams.get('redirect_uri')?.startsWith('http://127.0.0.1:'), true);
      t.truthy(parsed.searchParams.get('state'));
      visited = await browse(url, provider.issuer); // the user's browser, through login and consent, back to the loopback
    },
  });
  t.is(visited, 'Logged in. You may close this window.\n');
  t.truthy(tokens.refresh_token);
  t.false(isExpiring(tokens));
  t.is(await whoAmI(live, tokens.access_token), 'dave');

  const refreshed = await refreshTokens(cli, tokens, { resource: OPAQUE_RESOURCE });
  t.not(refreshed.access_token, tokens.access_token);
  t.is(await whoAmI(live, refreshed.access_token), 'dave');
  // Stored tokens that have expired are refreshed on use; good ones are kept.
  const kept = await freshTokens(cli, refreshed);
  t.deepEqual(kept, { tokens: refreshed, refreshed: false });
  const renewed = await freshTokens(cli, { ...refreshed, expires_at: Date.now() - 1000 }, { resource: OPAQUE_RESOURCE });
  t.true(renewed.refreshed);
  t.is(await whoAmI(live, renewed.tokens.access_token), 'dave');
  // Without a refresh token there is nothing to do but log in again.
  const { refresh_token: _dropped, ...noRefresh } = refreshed;
  await t.throwsAsync(freshTokens(cli, { ...noRefresh, expires_at: 0 }), { instanceOf: LoginFailed, message: 'the access token expired and there is no refresh token: log in again' });
});

test('device login: the user approves on another device; the CLI gets a token for that user', async (t) => {
  const provider = await startTestProvider(t);
  const live = await startLiveService(t, 'sqlite', provider.serviceConfig());
  const cli = await connectProvider({ issuer: provider.issuer, clientId: CLI_CLIENT_ID, allowHttp: true });
  provider.login.user = 'erin';
  let approval: Promise<string> | undefined;
  const tokens = await deviceLogin(cli, {
    scope: `openid offline_access ${SCOPE}`,
    resource: OPAQUE_RESOURCE,
    prompt: (info) => {
      t.regex(info.user_code, /\w/);
      t.true(info.expires_in > 0);
      // The person opens the link elsewhere while the CLI polls.
      approval = browse(info.verification_uri_complete!, provider.issuer);
    },
  });
  t.regex(await approval!, /Sign-in Success/);
  t.is(await whoAmI(live, tokens.access_token), 'erin');
});

test('a device login the user aborts fails with LoginFailed', async (t) => {
  const provider = await startTestProvider(t);
  const cli = await connectProvider({ issuer: provider.issuer, clientId: CLI_CLIENT_ID, allowHttp: true });
  const controller = new AbortController();
  const failed = await t.throwsAsync(deviceLogin(cli, { scope: SCOPE, resource: OPAQUE_RESOURCE, signal: controller.signal, prompt: () => controller.abort() }), { instanceOf: LoginFailed });
  t.is(failed?.message, 'the device login was cancelled');
});

test('headless: client credentials give the client\'s own identity; a wrong secret or an unreachable provider is LoginFailed', async (t) => {
  const provider = await startTestProvider(t, ['robot']);
  const live = await startLiveService(t, 'sqlite', provider.serviceConfig());
  const robot = await connectProvider({ issuer: provider.issuer, clientId: 'robot', clientSecret: provider.clientSecret('robot'), allowHttp: true });
  const tokens = await clientCredentialsLogin(robot, { scope: SCOPE, resource: OPAQUE_RESOURCE });
  t.is(tokens.token_type.toLowerCase(), 'bearer');
  t.false(isExpiring(tokens));
  t.is(await whoAmI(live, tokens.access_token), 'robot');
  const wrong = await connectProvider({ issuer: provider.issuer, clientId: 'robot', clientSecret: 'not-the-secret', allowHttp: true });
  const refused = await t.throwsAsync(clientCredentialsLogin(wrong, { scope: SCOPE, resource: OPAQUE_RESOURCE }), { instanceOf: LoginFailed });
  t.regex(refused!.message, /^the client credentials grant failed \(invalid_client/);
  await provider.stop();
  const down = await t.throwsAsync(connectProvider({ issuer: provider.issuer, clientId: 'robot', allowHttp: true }), { instanceOf: LoginFailed });
  t.regex(down!.message, /^cannot reach the identity provider http:\/\/127\.0\.0\.1:\d+/);
});
