/**
 * `funcx-endpoint render-user-config NAME`: the template `configure --multi-user`
 * writes renders offline, as the running endpoint would, to a config.yaml the
 * endpoint loads; a value the schema refuses, a template error and bad
 * arguments each answer with the message a submitter would read, and a
 * non-multi-user endpoint says it has no template.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import YAML from 'yaml';
import { runEndpointCli } from '../helpers/endpointProcess.js';

function home(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-render-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ME = os.userInfo().username;

test('configure --multi-user writes a .j2 template that render-user-config renders with the user\'s values and the mapped account', async (t) => {
  const funcxHome = home(t);
  const configured = await runEndpointCli(funcxHome, ['configure', 'site', '--multi-user', '--service-url', 'http://127.0.0.1:9']);
  t.is(configured.code, 0, configured.stderr);
  const rendered = await runEndpointCli(funcxHome, ['render-user-config', 'site', '--user-options', '{"workers": 3}', '--mapped-identity', ME]);
  t.is(rendered.code, 0, rendered.stderr);
  t.like(YAML.parse(rendered.stdout), {
    display_name: `per-user endpoint for ${ME}`,
    max_workers: 3,
    provider: { type: 'local' },
    service_url: 'http://127.0.0.1:9',
    public: false,
    allowed_groups: [],
  });
  const defaults = await runEndpointCli(funcxHome, ['render-user-config', 'site']);
  t.is(defaults.code, 0, defaults.stderr);
  t.is(YAML.parse(defaults.stdout).max_workers, 1);
});

test('render-user-config prints the submitter\'s refusal: schema, template line, endpoint config schema; and refuses bad arguments', async (t) => {
  const funcxHome = home(t);
  t.is((await runEndpointCli(funcxHome, ['configure', 'site', '--multi-user'])).code, 0);
  const dir = path.join(funcxHome, 'site');

  const refused = await runEndpointCli(funcxHome, ['render-user-config', 'site', '--user-options', '{"workers": 99}']);
  t.deepEqual([refused.code, refused.stdout, refused.stderr], [1, '', 'UserEndpointConfigInvalid: user_endpoint_config refused by the endpoint\'s schema: /workers must be <= 8\n']);

  writeFileSync(path.join(dir, 'user_config_template.yaml.j2'), 'display_name: x\nmax_workers: {{ workers }}\nprovider: {type: local}\n');
  const undefinedValue = await runEndpointCli(funcxHome, ['render-user-config', 'site']);
  t.is(undefinedValue.stderr, 'UserEndpointConfigInvalid: user_config_template.yaml.j2 did not render: user_config_template.yaml.j2 line 2: \'workers\' is undefined\n');

  writeFileSync(path.join(dir, 'user_config_template.yaml.j2'), 'display_name: x\nmax_workers: {{ workers }}\nprovider: {type: warp-drive}\n');
  const badConfig = await runEndpointCli(funcxHome, ['render-user-config', 'site', '--user-options', '{"workers": 2}']);
  t.is(badConfig.code, 1);
  t.regex(badConfig.stderr, /^UserEndpointConfigInvalid: the settings make no valid endpoint config: .*provider/);

  const notJson = await runEndpointCli(funcxHome, ['render-user-config', 'site', '--user-runtime', '[1]']);
  t.deepEqual([notJson.code, notJson.stderr], [2, '--user-runtime: expected a JSON object, got "[1]"\n']);
  const nobody = await runEndpointCli(funcxHome, ['render-user-config', 'site', '--mapped-identity', 'no-such-user-here']);
  t.deepEqual([nobody.code, nobody.stderr], [2, '--mapped-identity: "no-such-user-here" is no local account\n']);

  t.is((await runEndpointCli(funcxHome, ['configure', 'plain'])).code, 0);
  const plain = await runEndpointCli(funcxHome, ['render-user-config', 'plain']);
  t.is(plain.code, 1);
  t.regex(plain.stderr, /^plain has no user config template: it is not a multi-user endpoint/);
});
