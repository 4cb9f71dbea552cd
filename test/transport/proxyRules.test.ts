/** Which proxy a URL goes through, by curl's and Python's conventions (sdk/transport/proxyRules.ts). */
import test from 'ava';
import { bypassesProxy, proxyFor, TransportSettingInvalid } from '../../sdk/transport/proxyRules.js';

const via = (url: string, env: Record<string, string>, explicit?: string) => proxyFor(new URL(url), env, explicit ? { value: explicit, setting: 'proxy' } : undefined);

test('https URLs use HTTPS_PROXY, http URLs HTTP_PROXY; lower case wins; an explicit proxy beats both', (t) => {
  const env = { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2', HTTP_PROXY: 'plain:3' };
  t.deepEqual([via('https://svc.example.org', env)?.url.host, via('https://svc.example.org', env)?.setting], ['lower:2', 'https_proxy']);
  t.deepEqual([via('http://svc.example.org', env)?.url.href, via('http://svc.example.org', env)?.setting], ['http://plain:3/', 'HTTP_PROXY']);
  t.is(via('https://svc.example.org', env, 'http://site:4')?.setting, 'proxy');
  t.is(via('https://svc.example.org', {}), undefined);
});

test('NO_PROXY: exact hosts and their subdomains, .suffix, host:port, IP addresses and *', (t) => {
  const bypass = (url: string, noProxy: string) => bypassesProxy(new URL(url), noProxy);
  t.true(bypass('https://example.org', 'example.org'));
  t.true(bypass('https://svc.example.org', 'example.org'));
  t.false(bypass('https://badexample.org', 'example.org'));
  t.true(bypass('https://svc.example.org', '.example.org'));
  t.true(bypass('https://127.0.0.1:8443', 'localhost, 127.0.0.1'));
  t.true(bypass('https://svc.example.org:8443', 'svc.example.org:8443'));
  t.false(bypass('https://svc.example.org', 'svc.example.org:8443'));
  t.true(bypass('https://anything', '*'));
  t.false(bypass('https://svc.example.org', ''));
  t.is(via('https://svc.example.org', { HTTPS_PROXY: 'http://p:1', no_proxy: 'example.org' }), undefined);
});

test('a bad proxy URL names its setting and never prints its password', (t) => {
  const error = t.throws(() => via('https://svc', { HTTPS_PROXY: 'http://user:s3cret@[bad' }), { instanceOf: TransportSettingInvalid });
  t.is(error!.message, 'HTTPS_PROXY: "http://***@[bad" is not a proxy URL (expected http://host:port)');
  t.throws(() => via('https://svc', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'svc' }, 'ftp://x'), { message: /^proxy: "ftp:\/\/x" is not a proxy URL/ });
});
