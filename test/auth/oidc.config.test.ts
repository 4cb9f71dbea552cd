/** oidc mode refuses to start half-configured or with algorithms that would let anyone mint tokens. */
import test from 'ava';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const complete = {
  FUNCX_AUTH_MODE: 'oidc',
  FUNCX_OIDC_ISSUER: 'https://login.example.org',
  FUNCX_OIDC_CLIENT_ID: 'funcx',
  FUNCX_OIDC_CLIENT_SECRET: 's3cret',
  FUNCX_OIDC_AUDIENCE: 'https://funcx.example.org',
};

test('a complete oidc configuration loads with secure defaults', (t) => {
  const config = loadConfig(complete);
  t.like(config, {
    authMode: 'oidc', oidcIssuer: 'https://login.example.org', oidcGroupsClaim: 'groups', oidcRequiredScopes: '',
    oidcJwtAlgorithms: 'RS256,PS256,ES256,EdDSA', oidcIntrospectionCacheTtl: 30_000, oidcAllowHttp: false,
  });
});

test('oidc mode without issuer, client or audience names each missing option', (t) => {
  const error = t.throws(() => loadConfig({ FUNCX_AUTH_MODE: 'oidc' }), { instanceOf: ConfigError });
  t.deepEqual(error?.problems, [
    'FUNCX_OIDC_ISSUER: required when FUNCX_AUTH_MODE=oidc (the provider\'s issuer URL)',
    'FUNCX_OIDC_CLIENT_ID: required when FUNCX_AUTH_MODE=oidc (the service\'s client at the provider, for token introspection)',
    'FUNCX_OIDC_CLIENT_SECRET: required when FUNCX_AUTH_MODE=oidc',
    'FUNCX_OIDC_AUDIENCE: required when FUNCX_AUTH_MODE=oidc (tokens issued for other services must not work here)',
  ]);
});

test('an http issuer needs FUNCX_OIDC_ALLOW_HTTP; none and HS256 are never allowed; the cache is at most 30 s', (t) => {
  const error = t.throws(() => loadConfig({
    ...complete,
    FUNCX_OIDC_ISSUER: 'http://127.0.0.1:9000',
    FUNCX_OIDC_JWT_ALGORITHMS: 'RS256, HS256,none',
    FUNCX_OIDC_INTROSPECTION_CACHE_TTL: '60s',
  }), { instanceOf: ConfigError });
  t.deepEqual(error?.problems, [
    'FUNCX_OIDC_INTROSPECTION_CACHE_TTL="60s": expected a duration from 0ms to 30000ms',
    'FUNCX_OIDC_ISSUER="http://127.0.0.1:9000": must be https:// (set FUNCX_OIDC_ALLOW_HTTP=true for a development provider over http)',
    'FUNCX_OIDC_JWT_ALGORITHMS="RS256, HS256,none": expected a comma-separated list of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA (not allowed: HS256, none)',
  ]);
  t.is(loadConfig({ ...complete, FUNCX_OIDC_ISSUER: 'http://127.0.0.1:9000', FUNCX_OIDC_ALLOW_HTTP: 'true' }).oidcIssuer, 'http://127.0.0.1:9000');
  t.is(t.throws(() => loadConfig({ ...complete, FUNCX_OIDC_ISSUER: 'not a url' }), { instanceOf: ConfigError })?.problems[0], 'FUNCX_OIDC_ISSUER="not a url": not a URL');
});

test('local mode ignores the oidc options', (t) => {
  t.is(loadConfig({ FUNCX_OIDC_ISSUER: 'http://anything' }).authMode, 'local');
});

test('the console\'s client id is for oidc mode only and must be a plain client id', (t) => {
  t.is(loadConfig({ ...complete, FUNCX_OIDC_CONSOLE_CLIENT_ID: 'funcx-console' }).oidcConsoleClientId, 'funcx-console');
  t.deepEqual(t.throws(() => loadConfig({ ...complete, FUNCX_OIDC_CONSOLE_CLIENT_ID: 'two words' }), { instanceOf: ConfigError })?.problems, [
    'FUNCX_OIDC_CONSOLE_CLIENT_ID="two words": expected a client id (1 to 255 printable characters, no spaces)',
  ]);
  t.deepEqual(t.throws(() => loadConfig({ FUNCX_OIDC_CONSOLE_CLIENT_ID: 'funcx-console' }), { instanceOf: ConfigError })?.problems, [
    'FUNCX_OIDC_CONSOLE_CLIENT_ID: only with FUNCX_AUTH_MODE=oidc (with local tokens the console asks for a pasted API token)',
  ]);
});
