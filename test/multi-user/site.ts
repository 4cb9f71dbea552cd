/**
 * A site for multi-user endpoint tests (as root): a live service, throwaway
 * accounts (alice, bob, and a system one), a multi-user endpoint `site` with
 * identity mapping, a template and a schema, started with `funcx-endpoint
 * start`, and the functions and tokens the tests use. Everything is stopped
 * and removed at teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import YAML from 'yaml';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { ENDPOINT_CLI, waitFor } from '../helpers/endpointProcess.js';
import { waitForTasks } from '../helpers/tasks.js';
import { throwawayAccount } from '../helpers/localAccounts.js';
import { configTemplate } from '../../endpoint/config.js';
import { endpointPaths } from '../../endpoint/paths.js';
import { readIdentity } from '../../endpoint/identity.js';
import type { LocalAccount } from '../../endpoint/multiUser/accounts.js';

const WHOAMI = `
def whoami(peek=None):
    import os, pwd
    with open('written-by-task.txt', 'w') as f:
        f.write('x')
    mask = os.umask(0)
    os.umask(mask)
    out = {'uid': os.getuid(), 'euid': os.geteuid(), 'gid': os.getgid(), 'user': pwd.getpwuid(os.getuid()).pw_name,
           'file_uid': os.stat('written-by-task.txt').st_uid, 'cwd': os.getcwd(), 'home': os.environ.get('HOME'),
           'umask': mask, 'ppid_env_has_token': 'FUNCX_TOKEN' in os.environ}
    if peek:
        try:
            os.listdir(peek)
            out['peek'] = 'readable'
        except PermissionError:
            out['peek'] = 'denied'
    return out
`;
const SLOW = `
def slow(seconds):
    import os, time
    time.sleep(seconds)
    return os.getuid()
`;

export interface Site {
  live: LiveService;
  endpointId: string;
  dir: string;
  mep: ChildProcess;
  output(): string;
  whoami: string;
  slow: string;
  shellId: string;
  tokens: Record<string, string>;
  accounts: Record<string, LocalAccount>;
}

/** A Jinja template (and optionally its schema) instead of the default structural one. */
export interface SiteTemplate {
  name: string;
  text: string;
  schema?: Record<string, unknown>;
}

export async function startSite(t: ExecutionContext, options: { idle?: string; leaseTimeout?: string; provider?: Record<string, unknown>; environment?: Record<string, string>; template?: SiteTemplate; auditLogPath?: string; command?: string[] } = {}): Promise<Site> {
  const live = await startLiveService(t, 'sqlite', { leaseTimeout: options.leaseTimeout ?? '60s', endpointOfflineAfter: '5s' });
  const accounts = {
    alice: await throwawayAccount(t),
    bob: await throwawayAccount(t),
    system: await throwawayAccount(t, { system: true }),
  };
  const home = path.join(live.database.dir, 'mep-home');
  const paths = endpointPaths('site', home);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, YAML.stringify({
    ...YAML.parse(configTemplate({ name: 'site', serviceUrl: live.url })),
    heartbeat_period: '500ms', poll_wait: '2s', log_level: 'debug',
    ...(options.auditLogPath ? { audit_log_path: options.auditLogPath } : {}),
  }));
  const mapper = path.join(paths.dir, 'map-identity.sh');
  // The command maps carol@ by reading its JSON input, and hangs for hang@ (timed out).
  writeFileSync(mapper, `#!/bin/sh
input=$(cat)
case "$input" in
  *'"identity":"hang@example.org"'*) sleep 300 ;;
  *'"identity":"carol@example.org"'*) echo '{"local_user": "${accounts.bob.name}"}' ;;
  *) echo '{"local_user": null}' ;;
esac
`);
  chmodSync(mapper, 0o755);
  writeFileSync(path.join(paths.dir, 'multi_user.yaml'), YAML.stringify({
    allow_any_user: true,
    identity_mapping: {
      exact: {
        'root-wanted@example.org': 'root',
        'system@example.org': accounts.system.name,
      },
      expressions: [{ source: '{username}', match: '(fxu[0-9a-f]{8})@example\\.org', output: '{0}' }],
      command: { argv: [mapper], timeout: '3s' }, // a shell script: well under 3 s even on a loaded machine
    },
    uid_floor: 1000,
    idle_shutdown_after: options.idle ?? '10m',
    umask: '027',
    limits: { nofile: 512 },
    environment: options.environment ?? {},
    ...(options.template ? { user_config_template: options.template.name, template_python: '/usr/bin/python3' } : {}),
  }));
  if (options.template) {
    writeFileSync(path.join(paths.dir, options.template.name), options.template.text);
    if (options.template.schema) writeFileSync(path.join(paths.dir, 'user_config_schema.json'), JSON.stringify(options.template.schema));
  } else writeStructuralTemplate(paths.dir, options.provider);

  // `command`: how funcx-endpoint is run (default: this tree's node and CLI; the release suite passes the single file).
  const [program, ...programArgs] = options.command ?? [process.execPath, ENDPOINT_CLI];
  const mep = spawn(program!, [...programArgs, 'start', 'site', '--exit-with-parent'], {
    env: { ...process.env, FUNCX_HOME: home, FUNCX_TOKEN: live.adminToken },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  mep.stdout!.on('data', (chunk) => (output += chunk));
  mep.stderr!.on('data', (chunk) => (output += chunk));
  const closed = new Promise((resolve) => mep.once('close', resolve));
  t.teardown(async () => {
    // SIGTERM: the multi-user endpoint stops its per-user endpoints (they drain), then exits.
    try {
      process.kill(mep.pid!, 'SIGTERM');
    } catch {
      // gone
    }
    const killer = setTimeout(() => {
      try {
        process.kill(-mep.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 30_000);
    await closed;
    clearTimeout(killer);
  });
  await waitFor(() => output.includes('"msg":"endpoint started"') || mep.exitCode !== null, 'the multi-user endpoint to start', 60_000);
  if (mep.exitCode !== null) throw new Error(`multi-user endpoint exited:\n${output}`);

  const fn = async (body: Record<string, unknown>) => (await live.call('POST', '/v3/functions', { body: { public: true, ...body } })).body.function_uuid as string;
  const tokens: Record<string, string> = {};
  for (const [who, identity] of Object.entries({
    alice: `${accounts.alice.name}@example.org`, bob: `${accounts.bob.name}@example.org`, carol: 'carol@example.org',
    nobody: 'nobody@example.org', root: 'root-wanted@example.org', system: 'system@example.org', hang: 'hang@example.org',
  })) tokens[who] = await live.tokenFor(identity);
  return {
    live, endpointId: readIdentity(paths)!.endpoint_id, dir: paths.dir, mep, output: () => output, accounts, tokens,
    whoami: await fn({ runtime: 'python', source: WHOAMI, entry_point: 'whoami' }),
    slow: await fn({ runtime: 'python', source: SLOW, entry_point: 'slow' }),
    shellId: await fn({ runtime: 'shell', source: 'id -un; id -u' }),
  };
}

/** The default per-user template of these tests: plain YAML, substituted structurally. */
function writeStructuralTemplate(dir: string, provider?: Record<string, unknown>): void {
  writeFileSync(path.join(dir, 'user_config_template.yaml'), YAML.stringify({
    display_name: 'per-user for {{ note }}',
    max_workers: '{{ workers }}',
    heartbeat_period: '500ms',
    poll_wait: '2s',
    grace_period: '2s',
    runtimes: ['python', 'shell'],
    provider: provider ?? { type: 'local' },
    log_level: 'debug',
  }));
  writeFileSync(path.join(dir, 'user_config_schema.json'), JSON.stringify({
    type: 'object',
    additionalProperties: false,
    properties: { workers: { type: 'integer', minimum: 1, maximum: 4, default: 1 }, note: { type: 'string', maxLength: 200, default: 'you' } },
  }));
}

export async function run(site: Site, who: string, functionId: string, args: unknown[], config?: Record<string, unknown>, runtime?: Record<string, unknown>): Promise<string> {
  const response = await site.live.call('POST', `/v3/endpoints/${site.endpointId}/submit`, {
    token: site.tokens[who],
    body: { tasks: { [functionId]: [JSON.stringify({ args, kwargs: {} })] }, ...(config ? { user_endpoint_config: config } : {}), ...(runtime ? { user_runtime: runtime } : {}) },
  });
  if (response.status !== 200) throw new Error(`submit failed: ${JSON.stringify(response.body)}`);
  return response.body.tasks[functionId][0];
}

export async function result(site: Site, who: string, taskId: string) {
  const done = (await waitForTasks(site.live, [taskId], 120_000, site.tokens[who]))[taskId];
  return done;
}

export async function userEndpoints(site: Site): Promise<{ endpoint_id: string; pid: number; local_user: string }[]> {
  const status = await site.live.call('GET', `/v3/endpoints/${site.endpointId}/status`);
  return status.body.logs?.[0]?.details?.user_endpoints ?? [];
}

/**
 * The per-user endpoints once the multi-user endpoint's heartbeats report them as `until` wants:
 * it reports them every heartbeat period, so one that started and ran a task a moment ago may not
 * be in its last report yet.
 */
export async function userEndpointsOnceReported(site: Site, until: (list: Awaited<ReturnType<typeof userEndpoints>>) => boolean, what: string) {
  let list = await userEndpoints(site);
  await waitFor(async () => until((list = await userEndpoints(site))), what, 60_000);
  return list;
}
