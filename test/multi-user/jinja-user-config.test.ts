/**
 * A per-user endpoint's config from a Jinja template (user_config_template.yaml.j2),
 * rendered by Jinja2's SandboxedEnvironment through a real python3: upstream's
 * documented forms (conditionals, filters, tuple unpacking, include/extends/import,
 * the _GC reserved variables), the values JSON-encoded so they cannot inject YAML
 * or template syntax, includes confined to the template folder, the sandbox, the
 * CPU and memory bounds, and errors that name the template line.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import YAML from 'yaml';
import { JinjaUserConfigTemplate, type MappedIdentity } from '../../endpoint/multiUser/jinjaUserConfig.js';
import { UserConfigInvalid } from '../../endpoint/multiUser/userConfig.js';
import { renderJinja, TemplateRenderError } from '../../endpoint/templates/jinjaRenderer.js';
import { loadEndpointConfig } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';

const CPYTHON_311 = { python: { version: '3.11.2', version_tuple: [3, 11, 2], implementation: 'CPython', compiler: 'GCC 12.2.0' }, globus_compute_sdk_version: '2.34.0', platform: { machine: 'x86_64', system: 'Linux' } };
const PYPY_39 = { python: { version: '3.9.16', version_tuple: [3, 9, 16], implementation: 'PyPy', compiler: 'GCC 12.2.0' }, globus_compute_sdk_version: '2.34.0', platform: { machine: 'x86_64', system: 'Linux' } };
const ALICE: MappedIdentity = { local: { uname: 'alice', uid: 1500, gid: 1500, groups: [1500, 1001], dir: '/home/alice', shell: '/bin/bash' }, globus: { id: 'alice@example.org' } };

/** A template folder with these files; removed after the test. */
function folder(t: ExecutionContext, files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funcx-j2-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function load(dir: string, schema?: object): JinjaUserConfigTemplate {
  if (schema) writeFileSync(path.join(dir, 'user_config_schema.json'), JSON.stringify(schema));
  return JinjaUserConfigTemplate.load(path.join(dir, 'user_config_template.yaml.j2'), path.join(dir, 'user_config_schema.json'), '/usr/bin/python3');
}

// The dynamic-Python-environments tutorial's form: the worker interpreter follows the submitter's Python.
const PYTHON_BY_RUNTIME = `{% set major, minor, micro = _GC.user_runtime.python.version_tuple %}
display_name: py{{ major }}{{ minor }} for {{ _GC.mapped_identity.local.uname }}
{% if _GC.user_runtime.python.implementation == '"PyPy"' %}
python: /usr/bin/pypy3
{% else %}
python: /usr/bin/python3
{% endif %}
runtimes: [python]
provider:
  type: local
`;

test('the worker Python follows _GC.user_runtime (tuple unpacking, JSON-encoded comparison) and the result loads as a config.yaml', async (t) => {
  const dir = folder(t, { 'user_config_template.yaml.j2': PYTHON_BY_RUNTIME });
  const template = load(dir);
  const cpython = await template.render({}, { userRuntime: CPYTHON_311, mappedIdentity: ALICE });
  const pypy = await template.render({}, { userRuntime: PYPY_39, mappedIdentity: ALICE });
  t.deepEqual(cpython, { display_name: 'py311 for alice', python: '/usr/bin/python3', runtimes: ['python'], provider: { type: 'local' } });
  t.deepEqual(pypy, { display_name: 'py39 for alice', python: '/usr/bin/pypy3', runtimes: ['python'], provider: { type: 'local' } });
  const paths = endpointPaths('u', dir);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, YAML.stringify({ ...pypy, service_url: 'http://127.0.0.1:1' }));
  t.is(loadEndpointConfig(paths).python, '/usr/bin/pypy3');
});

// The dynamic-containers tutorial's form, in this project's container keys: the image comes from
// user_endpoint_config, the engine and its options from the administrator; the schema checks the value.
const CONTAINER = `display_name: containers
runtimes: [python]
container:
  type: {{ container_type | default('"podman"') }}
  image: {{ container_uri }}
  options: [--runtime, runc]
`;
const CONTAINER_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { container_type: { enum: ['podman', 'docker', 'apptainer'] }, container_uri: { type: 'string' } },
};

test('a container image chosen per submission renders as one quoted value and loads as the endpoint\'s container; the schema refuses a wrong one', async (t) => {
  const dir = folder(t, { 'user_config_template.yaml.j2': CONTAINER });
  const template = load(dir, CONTAINER_SCHEMA);
  const paths = endpointPaths('u', dir);
  mkdirSync(paths.dir, { recursive: true });
  for (const image of ['localhost/worker:3.11', 'localhost/worker:3.12']) {
    const rendered = await template.render({ container_uri: image });
    t.deepEqual(rendered, { display_name: 'containers', runtimes: ['python'], container: { type: 'podman', image, options: ['--runtime', 'runc'] } });
    writeFileSync(paths.config, YAML.stringify({ ...rendered, service_url: 'http://127.0.0.1:1' }));
    t.like(loadEndpointConfig(paths).container, { type: 'podman', image, options: ['--runtime', 'runc'] });
  }
  await t.throwsAsync(template.render({ container_uri: 7 }), { instanceOf: UserConfigInvalid, message: 'user_endpoint_config refused by the endpoint\'s schema: /container_uri must be string' });
  await t.throwsAsync(template.render({ container_uri: 'x', container_type: 'lxc' }), { instanceOf: UserConfigInvalid, message: 'user_endpoint_config refused by the endpoint\'s schema: /container_type must be equal to one of the allowed values' });
});

test('values cannot inject YAML or template syntax: each stays one string in its one field', async (t) => {
  const dir = folder(t, { 'user_config_template.yaml.j2': 'display_name: {{ note }}\nmax_workers: 2\n' });
  const template = load(dir);
  const attacks = [
    'x\nmax_workers: 500\nprovider: {type: slurm}',
    '"\nservice_url: http://evil.example\n#',
    '{{ 7 * 7 }}{% include "/etc/passwd" %}',
    "{{ ''.__class__.__mro__ }}",
    'a: [b, {c: d}]\n---\nmax_workers: 9',
    '\\"; max_workers: 9 #',
  ];
  for (const note of attacks) {
    t.deepEqual(await template.render({ note }), { display_name: note, max_workers: 2 }, note);
  }
});

test('reserved names cannot be sent; a null in user_runtime or an absent identity does not crash rendering', async (t) => {
  const dir = folder(t, { 'user_config_template.yaml.j2': 'display_name: {{ _GC.user_runtime.globus_compute_sdk_version }}-{{ _GC.mapped_identity is none }}\n' });
  const template = load(dir);
  for (const name of ['_GC', 'parent_config', 'user_runtime', 'mapped_identity']) {
    await t.throwsAsync(template.render({ [name]: {} }), { instanceOf: UserConfigInvalid, message: `user_endpoint_config: "${name}" is a reserved name and cannot be sent` });
  }
  t.deepEqual(await template.render({}, { userRuntime: { globus_compute_sdk_version: null }, mappedIdentity: null }), { display_name: 'null-True' });
});

test('include, extends and import read the template folder only: ../, absolute paths and symlinks out are refused', async (t) => {
  const outside = folder(t, { 'secret.yaml': 'stolen: yes\n' });
  const dir = folder(t, {
    'base.yaml.j2': 'display_name: base\n{% block provider %}{% endblock %}\n',
    'parts/slurm.yaml.j2': 'provider:\n  type: slurm\n  partition: {{ partition }}\n',
    'macros.j2': '{% macro workers(n) %}max_workers: {{ n * 2 }}{% endmacro %}',
    'user_config_template.yaml.j2': '{% extends "base.yaml.j2" %}{% import "macros.j2" as m %}{% block provider %}{% include "parts/slurm.yaml.j2" %}\n{{ m.workers(2) }}{% endblock %}\n',
  });
  symlinkSync(path.join(outside, 'secret.yaml'), path.join(dir, 'link.yaml'));
  t.deepEqual(await load(dir).render({ partition: 'debug' }), { display_name: 'base', provider: { type: 'slurm', partition: 'debug' }, max_workers: 4 });
  for (const target of ['../' + path.basename(outside) + '/secret.yaml', path.join(outside, 'secret.yaml'), 'link.yaml']) {
    writeFileSync(path.join(dir, 'user_config_template.yaml.j2'), `display_name: x\n{% include ${JSON.stringify(target)} %}\n`);
    const error = await t.throwsAsync(load(dir).render({}), { instanceOf: UserConfigInvalid });
    t.regex(error.message, /^user_config_template\.yaml\.j2 did not render: user_config_template\.yaml\.j2 line 2: no template '.*' in the template folder$/, target);
  }
});

test('the sandbox refuses Python internals, with the line', async (t) => {
  const dir = folder(t, { 'user_config_template.yaml.j2': "display_name: x\nnote: {{ ''.__class__.__mro__[1].__subclasses__() }}\n" });
  const error = await t.throwsAsync(load(dir).render({}), { instanceOf: UserConfigInvalid });
  t.is(error.message, 'user_config_template.yaml.j2 did not render: user_config_template.yaml.j2 line 2: access to attribute \'__class__\' of \'str\' object is unsafe.');
});

test('known template-injection payloads reach nothing of Python: each is refused with its line', async (t) => {
  const payloads = [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ range.__self__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ _GC.__class__ }}",
    "{{ _GC.parent_config.__class__.__base__.__subclasses__() }}",
  ];
  for (const payload of payloads) {
    const dir = folder(t, { 'user_config_template.yaml.j2': `display_name: x\nnote: "{{ 1 }}"\n# ${payload.replace(/\{\{|\}\}/g, '')}\nprobe: ${payload}\n` });
    const error = await t.throwsAsync(load(dir).render({}), { instanceOf: UserConfigInvalid }, payload);
    t.regex(error.message, /line 4: (access to attribute '\w+' of '\w+' object is unsafe\.|'function object' has no attribute '__self__')$/, payload);
  }
});

test('an included template that does not parse, a template that uses an undefined value or renders invalid YAML is refused with its line, no stack trace', async (t) => {
  const cases: [string, string][] = [
    ['display_name: x\n{% include "part.j2" %}\n', "user_config_template.yaml.j2 did not render: part.j2 line 2: Expected an expression, got 'end of statement block'"],
    ['display_name: x\n\nmax_workers: {{ workers }}\n', "user_config_template.yaml.j2 did not render: user_config_template.yaml.j2 line 3: 'workers' is undefined"],
    ['display_name: x\nprovider: [unclosed\n', 'user_config_template.yaml.j2 rendered invalid YAML at rendered line 2: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['- a\n- b\n', 'user_config_template.yaml.j2 rendered no mapping (a config.yaml is key: value lines)'],
  ];
  for (const [text, message] of cases) {
    // An included template compiles only when it is rendered: its syntax error is a rendering error.
    const dir = folder(t, { 'user_config_template.yaml.j2': text, 'part.j2': 'max_workers: 1\n{% if %}\n' });
    const error = await t.throwsAsync(load(dir).render({}), { instanceOf: UserConfigInvalid });
    t.is(error.message, message);
    t.notRegex(error.message, /Traceback|File "/);
  }
});

test('rendering is bounded: CPU time and memory limits end a runaway template with a named error', async (t) => {
  const dir = folder(t, {
    'spin.j2': '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}',
    'huge.j2': "{{ 'x' * 4000000000 }}",
  });
  const spin = await t.throwsAsync(renderJinja({ templateFile: path.join(dir, 'spin.j2'), variables: {}, limits: { cpuSeconds: 1, timeoutMs: 120_000 } }), { instanceOf: TemplateRenderError });
  // The CPU limit ends it (SIGXCPU), long before the wall-clock timeout would.
  t.is(spin.message, 'template: rendering used more than 1 s of CPU');
  const huge = await t.throwsAsync(renderJinja({ templateFile: path.join(dir, 'huge.j2'), variables: {}, limits: { memoryBytes: 256 * 1024 * 1024 } }), { instanceOf: TemplateRenderError });
  // The address-space limit makes it a MemoryError inside the renderer, not an output overflow.
  t.is(huge.message, 'huge.j2: rendering ran out of its memory limit');
});

test('at start-up, a template that does not compile or a python3 without jinja2 is refused, named', (t) => {
  const dir = folder(t, { 'user_config_template.yaml.j2': 'display_name: x\n\n{% for x in %}\n' });
  t.throws(() => load(dir), { message: `user config template ${path.join(dir, 'user_config_template.yaml.j2')}: user_config_template.yaml.j2 line 3: Expected an expression, got 'end of statement block'` });
  writeFileSync(path.join(dir, 'user_config_template.yaml.j2'), 'display_name: x\n');
  // A python3 whose import path has no jinja2: Debian's, without its site packages (-S).
  const bare = path.join(dir, 'bare-python3');
  writeFileSync(bare, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n', { mode: 0o755 });
  t.throws(() => JinjaUserConfigTemplate.load(path.join(dir, 'user_config_template.yaml.j2'), undefined, bare), { message: /: \/usr\/bin\/python3 has no jinja2 module \(Debian: apt-get install python3-jinja2\)$/ });
  t.throws(() => JinjaUserConfigTemplate.load(path.join(dir, 'user_config_template.yaml.j2'), undefined, '/no/such/python3'), { message: /could not run \/no\/such\/python3/ });
});
