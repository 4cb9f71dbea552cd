/**
 * User settings rendered from the administrator's template: refused outside its
 * JSON Schema; rendered as structure, so a crafted value (YAML, newline, shell
 * metacharacters) stays inside its one field. The rendered config then loads
 * as a real endpoint config.yaml.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { UserConfigInvalid, UserConfigTemplate } from '../../endpoint/multiUser/userConfig.js';
import { USER_CONFIG_SCHEMA } from '../../endpoint/multiUser/configure.js';
import { loadEndpointConfig } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';

const template = {
  display_name: 'per-user',
  max_workers: '{{ workers }}',
  provider: { type: 'local' },
  worker_note: 'partition={{ partition }}',
  runtimes: ['python', 'shell'],
};
const schema = {
  type: 'object',
  additionalProperties: false,
  properties: { workers: { type: 'integer', minimum: 1, maximum: 8 }, partition: { type: 'string', maxLength: 200, default: 'debug' } },
};

test('values outside the schema are refused, each named', (t) => {
  const rendering = UserConfigTemplate.from(template, schema);
  t.throws(() => rendering.render({ workers: 99 }), { instanceOf: UserConfigInvalid, message: 'user_endpoint_config refused by the endpoint\'s schema: /workers must be <= 8' });
  t.throws(() => rendering.render({ max_workers: 2 }), { instanceOf: UserConfigInvalid, message: 'user_endpoint_config refused by the endpoint\'s schema: "max_workers" is not a setting users may choose' });
  t.throws(() => rendering.render({ workers: '2' }), { instanceOf: UserConfigInvalid, message: 'user_endpoint_config refused by the endpoint\'s schema: /workers must be integer' });
});

test('values render typed; absent ones leave the key out; defaults come from the schema', (t) => {
  const rendering = UserConfigTemplate.from(template, schema);
  t.deepEqual(rendering.render({ workers: 3 }), { ...template, max_workers: 3, worker_note: 'partition=debug' });
  t.deepEqual(rendering.render({}), { display_name: 'per-user', provider: { type: 'local' }, worker_note: 'partition=debug', runtimes: ['python', 'shell'] });
});

test('a schema that does not close the object, or a template naming values it does not declare, is refused at start', (t) => {
  t.throws(() => UserConfigTemplate.from(template, { type: 'object', properties: schema.properties }), { message: /must be \{"type": "object", "additionalProperties": false/ });
  t.throws(() => UserConfigTemplate.from({ ...template, extra: '{{ secret }}' }, schema), { message: /\{\{ secret \}\} not in the schema's properties/ });
});

/** A plain (structural) per-user template: a scalar that is exactly {{ name }} takes the value typed. */
const USER_CONFIG_TEMPLATE = `display_name: per-user endpoint
max_workers: "{{ workers }}"
runtimes: [python, javascript, shell]
provider:
  type: local
log_level: info
`;

test('injection attempts (YAML, newlines, quotes, shell metacharacters) stay inside their one field and change nothing else', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-uc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rendering = UserConfigTemplate.from(YAML.parse(USER_CONFIG_TEMPLATE), { ...USER_CONFIG_SCHEMA, properties: { ...USER_CONFIG_SCHEMA.properties, note: { type: 'string' } } });
  const plain = UserConfigTemplate.from({ ...YAML.parse(USER_CONFIG_TEMPLATE), display_name: 'for {{ note }}' }, { ...USER_CONFIG_SCHEMA, properties: { ...USER_CONFIG_SCHEMA.properties, note: { type: 'string' } } });
  t.truthy(rendering);
  const attacks = [
    'x\nmax_workers: 500\nprovider: {type: slurm}',
    '"\nservice_url: http://evil.example\n#',
    '{{ workers }}',
    '$(touch /tmp/pwned); `id`; rm -rf ~ && echo | cat',
    'a: [b, {c: d}]\n---\nmax_workers: 9',
  ];
  for (const note of attacks) {
    const rendered = plain.render({ workers: 2, note });
    t.deepEqual(Object.keys(rendered).sort(), ['display_name', 'log_level', 'max_workers', 'provider', 'runtimes']);
    t.is(rendered.display_name, `for ${note}`);
    t.is(rendered.max_workers, 2);
    // Through a real config.yaml: written, read back and validated as the per-user endpoint will.
    const paths = endpointPaths('u', dir);
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.config, YAML.stringify({ ...rendered, service_url: 'http://127.0.0.1:1' }));
    const loaded = loadEndpointConfig(paths);
    t.is(loaded.maxWorkers, 2);
    t.is(loaded.serviceUrl, 'http://127.0.0.1:1');
    t.is(loaded.provider.type, 'local');
    t.is(loaded.displayName, `for ${note}`);
  }
});
