/**
 * Upstream's dynamic-Python-environments tutorial, end to end, as root: a
 * multi-user endpoint whose Jinja template picks the worker Python from the
 * submitter's _GC.user_runtime (Debian's CPython 3.11 or PyPy 3.9 here), a
 * real service, real per-user endpoints started as a throwaway account, and
 * real Python workers. One per-user endpoint per (user, values, runtime):
 * the same runtime reuses its process, another runtime gets another. A
 * template error fails only the tasks that hit it, with its line, and the
 * multi-user endpoint keeps serving. Skips loudly when not root.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { ROOT_MISSING } from '../helpers/localAccounts.js';
import { testWithRealPart } from '../helpers/realPart.js';
import { result, run, startSite, userEndpoints } from './site.js';

const missing = ROOT_MISSING ?? (existsSync('/usr/bin/pypy3') ? undefined : '/usr/bin/pypy3 not installed (apt-get install -y pypy3): the second interpreter a template picks');
const rootTest = testWithRealPart('Jinja user config templates (test/multi-user/jinja-template.e2e)', missing, { register: test.serial });

// As the tutorial does with uv (--python {{ major }}.{{ minor }}), but with the interpreters this site has.
const TEMPLATE = `{% set major, minor, micro = _GC.user_runtime.python.version_tuple %}
{% set interpreters = {"3.11": "/usr/bin/python3.11", "3.9": "/usr/bin/pypy3"} %}
display_name: py{{ major }}{{ minor }} for {{ _GC.mapped_identity.local.uname }}
python: {{ interpreters[major ~ "." ~ minor] }}
heartbeat_period: 500ms
poll_wait: 2s
grace_period: 2s
runtimes: [python]
provider:
  type: local
{% if broken is defined %}
log_level: {{ no_such_value }}
{% else %}
log_level: debug
{% endif %}
`;
const SCHEMA = { type: 'object', properties: { broken: { type: 'boolean' } }, additionalProperties: false };

const CPYTHON = { globus_compute_sdk_version: '2.34.0', globus_sdk_version: '3.65.0', python_version: '3.11.2', python: { version: '3.11.2', version_tuple: [3, 11, 2], implementation: 'CPython' } };
const PYPY = { globus_compute_sdk_version: '2.34.0', globus_sdk_version: '3.65.0', python_version: '3.9.16', python: { version: '3.9.16', version_tuple: [3, 9, 16], implementation: 'PyPy' } };

const WHICH_PYTHON = `
def which_python():
    import os, platform
    return {'implementation': platform.python_implementation(), 'version': platform.python_version(), 'uid': os.getuid()}
`;

rootTest('the worker Python follows the submitter\'s user_runtime (CPython 3.11, PyPy 3.9): one per-user endpoint per runtime, reused for the same one', async (t) => {
  const site = await startSite(t, { template: { name: 'user_config_template.yaml.j2', text: TEMPLATE, schema: SCHEMA } });
  const { alice } = site.accounts;
  const fn = (await site.live.call('POST', '/v3/functions', { body: { public: true, runtime: 'python', source: WHICH_PYTHON, entry_point: 'which_python' } })).body.function_uuid as string;

  const onCpython = await result(site, 'alice', await run(site, 'alice', fn, [], undefined, CPYTHON));
  const onPypy = await result(site, 'alice', await run(site, 'alice', fn, [], undefined, PYPY));
  t.is(onCpython.status, 'success', JSON.stringify(onCpython));
  t.is(onPypy.status, 'success', JSON.stringify(onPypy));
  t.like(JSON.parse(onCpython.result), { implementation: 'CPython', uid: alice.uid });
  t.regex(JSON.parse(onCpython.result).version, /^3\.11\./);
  t.like(JSON.parse(onPypy.result), { implementation: 'PyPy', uid: alice.uid });
  t.regex(JSON.parse(onPypy.result).version, /^3\.9\./);
  t.not(onPypy.endpoint_id, onCpython.endpoint_id, 'another runtime, another per-user endpoint');

  const running = await userEndpoints(site);
  const again = await result(site, 'alice', await run(site, 'alice', fn, [], undefined, CPYTHON));
  t.is(again.endpoint_id, onCpython.endpoint_id, 'the same runtime, the same per-user endpoint');
  const pidOf = (list: typeof running) => list.find((u) => u.endpoint_id === onCpython.endpoint_id)?.pid;
  t.truthy(pidOf(running));
  t.is(pidOf(await userEndpoints(site)), pidOf(running), 'and the same process');
});

rootTest('a template error fails only the tasks that hit it, naming the template line; the multi-user endpoint keeps serving', async (t) => {
  const site = await startSite(t, { template: { name: 'user_config_template.yaml.j2', text: TEMPLATE, schema: SCHEMA } });
  const fn = (await site.live.call('POST', '/v3/functions', { body: { public: true, runtime: 'python', source: WHICH_PYTHON, entry_point: 'which_python' } })).body.function_uuid as string;

  const broken = await result(site, 'alice', await run(site, 'alice', fn, [], { broken: true }, CPYTHON));
  t.is(broken.status, 'failed', JSON.stringify(broken));
  t.deepEqual(broken.exception, {
    type: 'UserEndpointConfigInvalid',
    message: 'user_config_template.yaml.j2 did not render: user_config_template.yaml.j2 line 12: \'no_such_value\' is undefined',
  });
  const noRuntime = await result(site, 'alice', await run(site, 'alice', fn, []));
  t.is(noRuntime.status, 'failed', JSON.stringify(noRuntime));
  t.is((noRuntime.exception as { type: string }).type, 'UserEndpointConfigInvalid');
  t.regex((noRuntime.exception as { message: string }).message, /line 1: .*'dict object' has no attribute 'python'/);
  t.is(site.mep.exitCode, null, 'the multi-user endpoint still runs');
  const fine = await result(site, 'alice', await run(site, 'alice', fn, [], undefined, PYPY));
  t.is(fine.status, 'success', JSON.stringify(fine));
  t.is(JSON.parse(fine.result).implementation, 'PyPy');
});
