/** `funcx login` picks how to obtain a token from the service's auth mode (GET /v2/version) and what the user asked for. */
import test from 'ava';
import { InvalidArgument } from '../../sdk/index.js';
import { localTokenFlow, loginFlowFor, type LoginContext } from '../../sdk/login.js';

const context = (token?: string, typed = '', method?: 'browser' | 'device' | 'client_credentials'): LoginContext => ({
  serviceUrl: 'http://127.0.0.1:1',
  token,
  readSecret: async () => typed,
  oidc: { method, showUrl: () => {}, showDeviceCode: () => {} },
});
const hints = { issuer: 'http://127.0.0.1:2', audience: 'https://funcx.test', scopes: ['funcx:all'], client_id: 'funcx-cli' };

test('local mode: the token given, else the one read (trimmed); none at all is refused', async (t) => {
  t.is(loginFlowFor('local', context('fxu_a')), localTokenFlow);
  t.deepEqual(await localTokenFlow.obtainToken(context(' fxu_a '), {}), { token: 'fxu_a' });
  t.deepEqual(await localTokenFlow.obtainToken(context(undefined, 'fxu_typed\n'), {}), { token: 'fxu_typed' });
  await t.throwsAsync(localTokenFlow.obtainToken(context(undefined, '  '), {}), { instanceOf: InvalidArgument, message: /no token given/ });
  t.throws(() => loginFlowFor('local', context(undefined, '', 'device')), { instanceOf: InvalidArgument, message: /this service uses local tokens, not OpenID Connect/ });
});

test('oidc mode: a login at the provider unless a token is given outright; a service that names no provider needs --token', (t) => {
  t.is(loginFlowFor('oidc', context(), hints).name, 'oidc');
  t.is(loginFlowFor('oidc', context(undefined, '', 'device'), hints).name, 'oidc');
  t.is(loginFlowFor('oidc', context('eyJ...'), hints), localTokenFlow);
  t.throws(() => loginFlowFor('oidc', context('eyJ...', '', 'client_credentials'), hints), { instanceOf: InvalidArgument, message: /--token cannot be combined/ });
  t.throws(() => loginFlowFor('oidc', context()), { instanceOf: InvalidArgument, message: /does not say where to log in .* pass an access token with --token/ });
});
