/** `funcx login` picks how to obtain a token from the service's auth mode (the seam an OIDC flow will use). */
import test from 'ava';
import { InvalidArgument } from '../../sdk/index.js';
import { localTokenFlow, loginFlowFor, type LoginContext } from '../../sdk/login.js';

const context = (token?: string, typed = ''): LoginContext => ({ serviceUrl: 'http://127.0.0.1:1', token, readSecret: async () => typed });

test('local mode: the token given, else the one read (trimmed); none at all is refused', async (t) => {
  t.is(loginFlowFor('local', context('fxu_a')), localTokenFlow);
  t.is(await localTokenFlow.obtainToken(context(' fxu_a ')), 'fxu_a');
  t.is(await localTokenFlow.obtainToken(context(undefined, 'fxu_typed\n')), 'fxu_typed');
  await t.throwsAsync(localTokenFlow.obtainToken(context(undefined, '  ')), { instanceOf: InvalidArgument, message: /no token given/ });
});

test('oidc mode: no interactive flow yet, so a token must be given; with one, it is checked and stored as in local mode', (t) => {
  t.throws(() => loginFlowFor('oidc', context()), { instanceOf: InvalidArgument, message: /OIDC login is not implemented yet: pass an access token with --token/ });
  t.is(loginFlowFor('oidc', context('eyJ...')), localTokenFlow);
});
