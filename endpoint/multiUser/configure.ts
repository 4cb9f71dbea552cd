/**
 * `funcx-endpoint configure NAME --multi-user`: config.yaml (where the service
 * is, who may submit, heartbeats) plus multi_user.yaml (identity mapping,
 * limits, idle time), and the per-user template and its schema, each file
 * documented where its defaults are.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configTemplate } from '../config.js';
import { multiUserFile } from './settings.js';
import type { EndpointPaths } from '../paths.js';

export function multiUserTemplate(name: string): string {
  return `# Multi-user endpoint "${name}" (docs/multi-user-endpoints.md). Run by root:
#   funcx-endpoint start ${name}
# It runs no task itself: for each user with tasks waiting, it maps the user's
# identity to a local account and starts a per-user endpoint as that account.

# Every authenticated user may submit (otherwise: the owner and config.yaml's allowed_groups).
allow_any_user: false

# From the service's identity to a local account, tried in this order; the
# first rule that names an account wins. No rule: the task fails with
# IdentityNotMapped and nothing starts. Root and accounts below uid_floor are
# never a target, whatever a rule says.
identity_mapping:
  # identity -> account
  exact: {}
  #   "alice@example.org": alice
  # source: claims in braces ({username}, {email}, {identity}, or any claim by
  # name); match: a regular expression the whole source must match; output:
  # the account, {0} being the first capture group.
  expressions: []
  #   - source: "{username}"
  #     match: "([a-z0-9_]+)@example\\\\.org"
  #     output: "{0}"
  # A program (no shell) reading {"identity", "username", "email", "claims"}
  # as JSON on stdin and printing {"local_user": "NAME"} or {"local_user": null}.
  # command:
  #   argv: [/usr/local/sbin/funcx-map-identity]
  #   timeout: 5s
uid_floor: 1000

# A per-user endpoint with no task for this long stops (the next task starts it again).
idle_shutdown_after: 10m
# At most this many per-user endpoint processes at once.
max_user_endpoints: 64

# Every per-user endpoint runs with this umask and these limits (prlimit
# names: nofile, nproc, as and fsize in bytes, cpu in seconds), in a clean
# environment: HOME, USER, LOGNAME, SHELL of the account, PATH, plus these.
umask: "077"
limits: {}
#   nofile: 4096
#   nproc: 1024
environment: {}

# What users may choose: the per-user endpoint's config.yaml as a Jinja
# template (include/extends/import read files of this folder only), and the
# JSON Schema the user's values (user_endpoint_config) must pass first. A plain
# .yaml template instead substitutes {{ name }} structurally (the schema must
# then say "additionalProperties": false). Unset: user_config_template.yaml.j2
# when it exists, else user_config_template.yaml.
user_config_template: user_config_template.yaml.j2
user_config_schema: user_config_schema.json
# The python3 whose jinja2 module renders .j2 templates (Debian: python3-jinja2).
template_python: python3
`;
}

export const USER_CONFIG_TEMPLATE = `{#
  The config.yaml of each per-user endpoint, rendered with Jinja (Jinja2's
  sandbox, through python3 with its jinja2 module) for each user and set of
  values (docs/multi-user-endpoints.md). See funcx-endpoint configure's
  comments for every key. service_url, ca_file, idle_shutdown_after and
  sharing come from the multi-user endpoint itself.

  A user's values (user_endpoint_config) arrive JSON-encoded: a string is
  "\\"text\\"" (so it lands in the YAML as one quoted value; compare with
  '"text"'), numbers as numbers. user_config_schema.json checks them first.
  Reserved: _GC.user_runtime (the submitter's python.version_tuple,
  python.implementation, SDK version, platform; strings JSON-encoded too),
  _GC.mapped_identity.local.{uname, uid, gid, groups, dir, shell},
  _GC.mapped_identity.globus.id, _GC.parent_config (this endpoint's config.yaml).
  Try it: funcx-endpoint render-user-config NAME --user-options '{"workers": 2}'
#}
display_name: per-user endpoint for {{ _GC.mapped_identity.local.uname }}
max_workers: {{ workers | default(1) }}
runtimes: [python, javascript, shell]
provider:
  type: local
{#- A Slurm site might offer instead:
provider:
  type: slurm
  partition: {{ partition | default('"debug"') }}
  walltime: {{ walltime | default('"00:30:00"') }}
  max_workers_per_node: {{ workers | default(1) }}
  max_blocks: 2
#}
log_level: info
`;

export const USER_CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  description: 'What users may set in user_endpoint_config; nothing else is accepted.',
  type: 'object',
  additionalProperties: false,
  properties: {
    workers: { type: 'integer', minimum: 1, maximum: 8 },
    partition: { type: 'string', enum: ['debug', 'batch'] },
    walltime: { type: 'string', pattern: '^[0-9]{1,3}:[0-5][0-9]:[0-5][0-9]$' },
  },
};

export function writeMultiUserTemplates(paths: EndpointPaths, serviceUrl: string): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.config, configTemplate({ name: paths.name, serviceUrl }), { mode: 0o600 });
  writeFileSync(multiUserFile(paths), multiUserTemplate(paths.name), { mode: 0o600 });
  writeFileSync(path.join(paths.dir, 'user_config_template.yaml.j2'), USER_CONFIG_TEMPLATE, { mode: 0o600 });
  writeFileSync(path.join(paths.dir, 'user_config_schema.json'), JSON.stringify(USER_CONFIG_SCHEMA, null, 2) + '\n', { mode: 0o600 });
}
