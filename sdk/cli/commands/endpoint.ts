/** `funcx endpoint list` and `funcx endpoint status [ID]`, as tables. */
import { optionString, type Command } from '../command.js';
import { EXIT_OK, UsageError, print, printJson } from '../io.js';
import { renderRecord } from '../../table.js';
import { idArgument } from '../parse.js';

export const endpointListCommand: Command = {
  name: 'endpoint list',
  synopsis: '[--role owner|any]',
  summary: 'your endpoints (--role any: also those shared with you, and public ones)',
  options: { role: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run({ io, values, json, client }) {
    const role = optionString(values, 'role');
    if (role !== undefined && role !== 'owner' && role !== 'any') throw new UsageError('--role must be owner or any');
    const endpoints = await client().listEndpoints({ role });
    if (json) printJson(io, [...endpoints]);
    else print(io, String(endpoints));
    return EXIT_OK;
  },
};

export const endpointStatusCommand: Command = {
  name: 'endpoint status',
  synopsis: '[ENDPOINT_ID]   (default: FUNCX_ENDPOINT_ID or quickstart.json)',
  summary: "an endpoint's state and why (online, offline, lost, failed), workers, blocks, tasks, latest heartbeat",
  positionals: { min: 0, max: 1 },
  async run({ io, positionals, json, client }) {
    const fx = client();
    const status = await fx.getEndpointStatus(fx.endpointOrDefault(positionals[0] === undefined ? undefined : idArgument(positionals[0], 'endpoint')));
    if (json) {
      printJson(io, status);
      return EXIT_OK;
    }
    const latest = status.logs[0];
    print(io, renderRecord([
      ['endpoint_id', status.endpoint_id],
      ['status', status.status],
      ...(status.state !== undefined ? [
        ['state', status.state],
        ['why', status.state_detail ?? ''],
        ['since', status.state_since ?? ''],
      ] as [string, string][] : []),
      ['total_workers', status.total_workers],
      ['idle_workers', status.idle_workers],
      ['outstanding_tasks', status.outstanding_tasks],
      ['pending_tasks', status.pending_tasks],
      ['last_heartbeat_at', status.last_heartbeat_at ?? 'never'],
      ['hostname', latest?.hostname ?? ''],
      ['runtimes', latest?.runtimes?.map((r) => `${r.name} ${r.version}`).join(', ') ?? ''],
      // With blocks: what the scheduler says of each (PENDING (Resources), RUNNING).
      ...(status.blocks ?? []).map((block): [string, string] => [`block ${block.block_id}`, `${block.scheduler_state}${block.job_id ? ` (job ${block.job_id})` : ''}`]),
      ...(status.last_error !== undefined ? [['last_error', status.last_error ?? ''] as [string, string]] : []),
      // A multi-user endpoint: one line per per-user endpoint (yours; all for its administrator).
      ...(status.user_endpoints ?? []).map((user): [string, string] => [
        `user_endpoint ${user.endpoint_id}`,
        `${user.status} for ${user.identity}${user.last_error ? ` (error: ${user.last_error})` : ''}`,
      ]),
    ]));
    return EXIT_OK;
  },
};
