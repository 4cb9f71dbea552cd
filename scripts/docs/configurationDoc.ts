/**
 * docs/configuration.md, rendered from the definitions: the service's options
 * (OPTIONS in src/config.ts) and an endpoint's config.yaml (its JSON Schema).
 * The prose around the tables lives here; the tables and the `funcx-service
 * config` listing are never written by hand, so the page cannot drift from the
 * code. `npm run docs:config` writes it; test/docs/configuration.test.ts fails
 * when the committed page differs from what this renders.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OPTIONS, describeOptions } from '../../src/config.js';
import { formatDuration } from '../../src/util/time.js';
import { packageRoot } from '../../src/util/paths.js';

interface OptionShape {
  env: string;
  file: string;
  kind: { type: string; choices?: readonly string[]; min?: number; max?: number };
  default: unknown;
  doc: string;
}

interface SchemaProperty {
  type?: string | string[];
  const?: unknown;
  $ref?: string;
  if?: SchemaProperty;
  then?: SchemaProperty;
  else?: SchemaProperty;
  enum?: unknown[];
  items?: SchemaProperty;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  properties?: Record<string, SchemaProperty>;
}

const MIB = 1024 * 1024;

/** Defaults computed from other options, shown as their rule. */
const DERIVED_DEFAULTS: Record<string, string> = {
  FUNCX_DATABASE_URL: 'sqlite://$FUNCX_HOME/funcx.sqlite3',
};

/** Tables by topic, in this order; an option lands in the first whose test it passes (new ones fall into "Service"). */
const GROUPS: { title: string; intro: string; test: (o: OptionShape) => boolean }[] = [
  {
    title: 'OpenID Connect (`FUNCX_AUTH_MODE=oidc`)',
    intro: 'Used only in oidc mode; the four marked required must then be set. How tokens are checked: [authentication.md](authentication.md).',
    test: (o) => o.env.startsWith('FUNCX_OIDC_'),
  },
  {
    title: 'HTTPS, proxies and limits',
    intro: 'What these protect against: [security.md](security.md).',
    test: (o) => /^FUNCX_(RATE_LIMIT|TLS|TRUST_PROXY|HEADERS_TIMEOUT|REQUEST_TIMEOUT|MAX_)/.test(o.env),
  },
  {
    title: 'Action Provider',
    intro: 'The Globus Actions API under its base path: [action-provider.md](action-provider.md).',
    test: (o) => o.env.startsWith('FUNCX_ACTION_PROVIDER_'),
  },
  { title: 'Service', intro: 'Where it listens, where it keeps its data, how the ledger behaves.', test: () => true },
];

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function bytes(n: number): string {
  return n >= MIB && n % MIB === 0 ? ` (${n / MIB} MiB)` : '';
}

function shownDefault(o: OptionShape): string {
  if (typeof o.default === 'function') return DERIVED_DEFAULTS[o.env] ? `\`${DERIVED_DEFAULTS[o.env]}\`` : 'derived (see meaning)';
  if (o.kind.type === 'duration') return `\`${formatDuration(o.default as number)}\``;
  if (o.default === '') return '—';
  if (typeof o.default === 'number') return `\`${o.default}\`${bytes(o.default)}`;
  return `\`${String(o.default)}\``;
}

function accepted(o: OptionShape): string {
  const { kind } = o;
  switch (kind.type) {
    case 'integer':
      return `${kind.min} – ${kind.max}${bytes(kind.max!)}`;
    case 'duration':
      return `${formatDuration(kind.min!)} – ${formatDuration(kind.max!)}`;
    case 'boolean':
      return 'true / false';
    default:
      return kind.choices ? kind.choices.join(', ') : 'text';
  }
}

function serviceTables(): string {
  const options = Object.values(OPTIONS as Record<string, OptionShape>);
  const placed = new Map<string, OptionShape[]>(GROUPS.map((g) => [g.title, []]));
  for (const o of options) placed.get(GROUPS.find((g) => g.test(o))!.title)!.push(o);
  // Service first: it is what everyone sets.
  const order = [GROUPS.at(-1)!, ...GROUPS.slice(0, -1)];
  return order
    .map((g) => {
      const rows = placed.get(g.title)!.map((o) => `| \`${o.env}\` | \`${o.file}\` | ${shownDefault(o)} | ${cell(accepted(o))} | ${cell(o.doc)} |`);
      return [`### ${g.title}`, '', g.intro, '', '| variable | file key | default | accepted | meaning |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
    })
    .join('\n\n');
}

function schemaType(p: SchemaProperty): string {
  if (p.enum) return p.enum.map((v) => (v === null ? 'null' : String(v))).join(', ');
  const types = Array.isArray(p.type) ? p.type : p.type ? [p.type] : [];
  const shown = types.map((t) => (t === 'array' && p.items ? `list of ${schemaType(p.items)}` : t));
  let text = shown.join(' or ');
  if (types.includes('string') && types.includes('number') && !p.enum) text = 'duration (`30s`, `5m`) or seconds';
  if (p.minimum !== undefined && p.maximum !== undefined) text += ` (${p.minimum} – ${p.maximum})`;
  else if (p.minimum !== undefined) text += ` (≥ ${p.minimum})`;
  if (p.pattern) text += ` matching \`${p.pattern}\``;
  return text;
}

/** config.yaml defaults computed at start (endpoint/config.ts, endpoint/providers/settings.ts), shown as their rule. */
const ENDPOINT_DERIVED_DEFAULTS: Record<string, string> = {
  display_name: 'the endpoint\'s name',
  max_workers: 'two per core of this machine',
  'provider.max_workers_per_node': 'the cores of this machine',
  'provider.connect_address': 'listen_address; this host\'s name when that is 0.0.0.0 or ::',
};

const PROVIDER_TYPES = ['local', 'slurm', 'pbs', 'gridengine'];

function schemaDefault(p: SchemaProperty, key: string): string {
  if (ENDPOINT_DERIVED_DEFAULTS[key]) return ENDPOINT_DERIVED_DEFAULTS[key];
  if (p.default === undefined) return '—';
  if (typeof p.default === 'object' && p.default !== null && !Array.isArray(p.default)) return '—';
  return `\`${JSON.stringify(p.default)}\``;
}

function schemaRows(properties: Record<string, SchemaProperty>, prefix: string, shownDefault = (p: SchemaProperty, key: string) => schemaDefault(p, key)): string[] {
  return Object.entries(properties).map(
    ([key, p]) => `| \`${prefix}${key}\` | ${cell(schemaType(p))} | ${cell(shownDefault(p, prefix + key))} | ${cell(p.description ?? '')} |`,
  );
}

/**
 * Each provider key's default by provider type, from the schema's if/then/else chain on `type` (the
 * branch without a type is local's). Key → type → default.
 */
function providerDefaults(provider: SchemaProperty, defs: Record<string, SchemaProperty>): Map<string, Map<string, unknown>> {
  const found = new Map<string, Map<string, unknown>>();
  const take = (type: string, branch: SchemaProperty | undefined) => {
    if (!branch) return;
    const referenced = branch.$ref ? defs[branch.$ref.replace('#/$defs/', '')] : undefined;
    for (const [key, p] of [...Object.entries(referenced?.properties ?? {}), ...Object.entries(branch.properties ?? {})]) {
      if (p.default === undefined) continue;
      if (!found.has(key)) found.set(key, new Map());
      found.get(key)!.set(type, p.default);
    }
  };
  let node: SchemaProperty | undefined = provider;
  while (node?.if) {
    take(String(node.if.properties?.type?.const ?? 'local'), node.then);
    node = node.else;
  }
  take('local', node);
  return found;
}

/** `"0.0.0.0"`, or by type when they differ: local: `"127.0.0.1"`; slurm, pbs, gridengine: `"0.0.0.0"`. */
function perTypeDefault(byType: Map<string, unknown> | undefined): string | undefined {
  if (!byType) return undefined;
  const groups = new Map<string, string[]>();
  for (const type of PROVIDER_TYPES) {
    if (!byType.has(type)) continue;
    const shown = `\`${JSON.stringify(byType.get(type))}\``;
    groups.set(shown, [...(groups.get(shown) ?? []), type]);
  }
  if (groups.size === 1 && [...groups.values()][0].length === PROVIDER_TYPES.length) return [...groups.keys()][0];
  return [...groups].map(([shown, types]) => `${types.join(', ')}: ${shown}`).join('; ');
}

function endpointTables(): string {
  const schema = JSON.parse(readFileSync(path.join(packageRoot(), 'schemas', 'endpoint-config.json'), 'utf8')) as SchemaProperty & { required?: string[]; $defs?: Record<string, SchemaProperty> };
  const { provider, ...top } = schema.properties!;
  const byType = providerDefaults(provider, schema.$defs ?? {});
  const header = ['| key | type | default | meaning |', '| --- | --- | --- | --- |'];
  return [
    `Required: ${(schema.required ?? []).map((k) => `\`${k}\``).join(', ')}. Unknown keys are errors.`,
    '',
    ...header,
    ...schemaRows(top, ''),
    '',
    `### \`provider\``,
    '',
    cell(provider.description ?? ''),
    '',
    'Defaults differ by provider type; a type not named has no default for the key (its keys are refused for other types). A local provider without `max_blocks` runs workers in the agent and takes no block key.',
    '',
    ...header,
    ...schemaRows(provider.properties ?? {}, 'provider.', (p, key) => perTypeDefault(byType.get(key.slice('provider.'.length))) ?? schemaDefault(p, key)),
  ].join('\n');
}

export function renderConfigurationDoc(): string {
  return `<!-- Generated by \`npm run docs:config\` from src/config.ts and schemas/endpoint-config.json
     (prose: scripts/docs/configurationDoc.ts). Do not edit by hand: test/docs/configuration.test.ts
     fails when this file differs from what the script writes. -->
# Configuration

Every option of the service (\`funcx-service\`) and of an endpoint's \`config.yaml\`
(\`funcx-endpoint\`). The SDKs' settings are in [sdk.md](sdk.md#sdk-configuration).

## The service

### Where values come from

For each option, the first of these that is set wins:

1. its environment variable (an empty value counts as unset);
2. the config file named by \`FUNCX_CONFIG_FILE\`: JSON or YAML, a mapping of the *file keys*
   below to values (an unknown key is an error);
3. its default.

All values are checked when the service (or \`funcx-service migrate\` / \`token create\`) starts,
and every bad one is reported at once, naming where it came from, e.g.
\`FUNCX_PORT="http": expected a whole number\`. The service does not start with a bad value.
\`src/config.ts\` is the only module that reads the environment.

* **Durations** take \`500ms\`, \`30s\`, \`5m\`, \`2h\`, \`14d\`, or a bare number of seconds
  (\`90\` = \`90s\`; decimals allowed: \`1.5m\`).
* **Booleans** take \`true\`/\`false\`, \`1\`/\`0\`, \`yes\`/\`no\`, \`on\`/\`off\`.
* **Sizes** are whole numbers of bytes.

\`\`\`yaml
# /etc/funcx/service.yaml, used with FUNCX_CONFIG_FILE=/etc/funcx/service.yaml
host: 0.0.0.0
port: 8080
database_url: mysql://funcx:secret@db.example.org:3306/funcx
public_url: https://funcx.example.org
retention: 30d
lease_timeout: 2m
\`\`\`

${serviceTables()}

### How the options work together

* **Leases and heartbeats.** The endpoint agent heartbeats every \`heartbeat_period\` (its default
  is 10 s) and each heartbeat renews the leases it lists for \`FUNCX_LEASE_TIMEOUT\`. Keep the
  lease timeout several heartbeats long; an agent whose \`heartbeat_period\` exceeds a third of the
  lease (the \`lease_seconds\` it is told) warns once and heartbeats every \`lease_seconds\`/3. A
  dead endpoint's tasks come back \`FUNCX_LEASE_TIMEOUT\` + up to \`FUNCX_REAP_INTERVAL\` after its
  last heartbeat, and fail with \`EndpointLost\` after \`FUNCX_MAX_RETRIES\` + 1 lost attempts.
* **Online.** \`FUNCX_ENDPOINT_OFFLINE_AFTER\` should also exceed the heartbeat period, and be at
  least the agents' \`poll_wait\` + 5 s (60 s against 50 s): then an idle agent's polls stand for
  its heartbeats, which it sends only every 5 minutes while nothing changes
  ([api.md](api.md#post-v3endpointsendpoint_idlease--long-poll-for-work)).
* **Sizes.** \`FUNCX_MAX_BODY_BYTES\` bounds a whole request, so it must exceed
  \`FUNCX_MAX_PAYLOAD_BYTES\` and \`FUNCX_MAX_RESULT_BYTES\` plus 1 KiB (payloads and results travel
  JSON-encoded inside request bodies), or the service does not start. A result between the
  result limit and the body limit is accepted and fails its task with \`TaskResultTooLarge\`; a
  single request over the body limit is refused whole (\`413 RequestBodyTooLarge\`). On
  MySQL/MariaDB set \`max_allowed_packet\` above the payload and result limits.
* **Retention.** Finished tasks and results, remembered submissions (the idempotency window) and
  tasks that never found an endpoint (failed as \`TaskExpired\`) are all governed by
  \`FUNCX_RETENTION\`, checked every \`FUNCX_PURGE_INTERVAL\`.
* **Replicas.** Long-polls (\`lease\`, \`tasks/wait\`) are woken at once by events in their own
  process; events in other replicas reach them as described in
  [deployment.md](deployment.md#running-a-fleet-of-replicas). Which options must match across
  replicas is listed there too.
* **Database pool.** \`FUNCX_DATABASE_POOL_MAX\` counts MySQL connections per replica; a
  long-poll uses a connection only while it queries, not while it waits.
* **\`FUNCX_PUBLIC_URL\`** only affects what \`quickstart.json\` says; with \`FUNCX_HOST=0.0.0.0\`
  the default URL uses \`127.0.0.1\`.
* **Files.** \`FUNCX_HOME\` is created with mode 0700 and the SQLite database files with 0600:
  they hold function sources, payloads and results. \`quickstart.json\` is 0600.

## An endpoint's \`config.yaml\`

\`funcx-endpoint configure NAME\` writes \`$FUNCX_HOME/NAME/config.yaml\` with every key
commented; \`funcx-endpoint start NAME\` validates it against \`schemas/endpoint-config.json\`
and names every bad key. Durations take the same forms as the service's. More on blocks and
providers: [providers.md](providers.md).

${endpointTables()}

## \`funcx-service config\`

The same options as the command lists them:

\`\`\`
${describeOptions()}
\`\`\`
`;
}
