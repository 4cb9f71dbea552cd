/**
 * Signing in to the console through the OpenID provider, in Chromium: the
 * console (a public client, authorization code + PKCE) sends the browser to the
 * test provider's real authorization, login and consent endpoints, comes back
 * with a code, trades it for a token and lands on "My tasks". A form on
 * another site cannot cancel the user's task (nothing but the Bearer header,
 * which only the console's own tab holds, carries the session). Signing out
 * revokes that token (the service refuses it from then on) and ends the
 * provider's session through its end_session page.
 */
import { existsSync } from 'node:fs';
import test from 'ava';
import { functionAndEndpoint, jsonPayload, startLiveService } from '../helpers/service.js';
import { submitOk } from '../api/support.js';
import { CONSOLE_CLIENT_ID, startTestProvider } from '../helpers/oidcProvider.js';
import { requireRealPart } from '../helpers/realPart.js';
import { CHROMIUM, browser } from '../helpers/chromium.js';

if (requireRealPart('console sign-in in Chromium', existsSync(CHROMIUM) ? undefined : `no browser at ${CHROMIUM} (apt-get install chromium)`)) {
  test('a user signs in at the OpenID provider, lands on My tasks, and signing out revokes the token and ends the provider session', async (t) => {
    const provider = await startTestProvider(t);
    // No introspection cache: a revoked token must be refused at once, not within 30 s.
    const live = await startLiveService(t, 'sqlite', provider.serviceConfig({ oidcConsoleClientId: CONSOLE_CLIENT_ID, oidcIntrospectionCacheTtl: '0s' }));
    provider.allowConsole(live.url);
    const version = await live.call('GET', '/v2/version', { token: '' });
    t.is(version.body.oidc.console_client_id, CONSOLE_CLIENT_ID);
    const page = await (await browser(t)).newPage();

    await page.goto(`${live.url}/console#/functions`);
    t.falsy(await page.$('input[name=token]'), 'with a console client, nobody pastes tokens');
    await page.click('#signin');
    // The provider's login and consent (as "dave"), then back to the page the user asked for.
    await page.waitForSelector('text=signed in');
    t.is(new URL(page.url()).search, '', 'the code and state are gone from the address bar');
    t.is(new URL(page.url()).hash, '#/functions');
    t.true((provider.requests.get('/token') ?? 0) >= 1);
    const accessToken = await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem('funcx-console-token'));
    t.truthy(accessToken);
    const functions = await live.call('GET', '/v3/functions?limit=1', { token: accessToken! });
    t.is(functions.status, 200, 'the token the console got is one the service accepts');

    await page.goto(`${live.url}/console#/`);
    await page.waitForSelector('h1:text-is("My tasks")');

    // Another site's page in the same browser posts a cancel to the service: nothing carries the
    // session there (no cookie; the token is in the console tab's sessionStorage), so it is refused.
    const { functionId, endpointId } = await functionAndEndpoint(live, { token: accessToken! });
    const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)], accessToken!);
    const elsewhere = await page.context().newPage();
    await elsewhere.goto(`${provider.issuer}/.well-known/openid-configuration`);
    await elsewhere.evaluate(`(() => {
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = ${JSON.stringify(`${live.url}/v3/tasks/${taskId}/cancel`)};
      document.body.append(form);
      form.submit();
    })()`);
    await elsewhere.waitForSelector('text=UserUnauthenticated');
    t.is((await live.call('GET', `/v2/tasks/${taskId}`, { token: accessToken! })).body.status, 'waiting-for-ep', 'the cross-site cancel did nothing');
    await elsewhere.close();

    await page.click('#signout');
    // The provider asks whether to end its session; the user says yes and comes back to the console.
    await page.waitForSelector('text=Yes, sign me out');
    // Revoked before the provider session ends (which would also end the grant's tokens).
    const refused = await live.call('GET', '/v3/functions?limit=1', { token: accessToken! });
    t.is(refused.status, 401, 'the token is revoked at the provider');
    t.is(refused.body.code, 'UserUnauthenticated');
    await page.click('text=Yes, sign me out');
    await page.waitForSelector('#signin');
    t.is(new URL(page.url()).pathname, '/console');
    t.is(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem('funcx-console-token')), null);
    t.is(provider.requests.get('/session/end/confirm'), 1, 'the provider session was ended');
  });
}
