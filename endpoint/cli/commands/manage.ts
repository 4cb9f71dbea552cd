/** `funcx-endpoint list` and `funcx-endpoint delete NAME`. */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { RunnableCommand } from '@funcx-ts/shared/cli/commandTable.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { loadEndpointConfig } from '../../config.js';
import { endpointPaths, funcxHome, type EndpointPaths } from '../../paths.js';
import { endpointState } from '../../pidfile.js';
import { readLastWord } from '../../lastWord.js';
import { readIdentity } from '../../identity.js';
import { findUserToken } from '../../userToken.js';
import { ServiceClient } from '../../client.js';
import { type Connections, serviceConnections } from '../../transport/serviceConnections.js';
import { ServiceRejected } from '../../errors.js';
import { stop } from './lifecycle.js';

export const listCommand: RunnableCommand = {
  name: 'list',
  synopsis: '',
  summary: 'every endpoint with its id and state',
  positionals: { min: 0, max: 0 },
  run: async () => list(),
};

export const deleteCommand: RunnableCommand = {
  name: 'delete',
  synopsis: 'NAME [--force]',
  summary: 'delete here and on the service (--force stops it first)',
  options: { force: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  run: async (values, [name]) => remove(endpointPaths(name), values.force === true),
};

function list(): number {
  const home = funcxHome();
  const names = existsSync(home)
    ? readdirSync(home, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(path.join(home, entry.name, 'config.yaml')))
        .map((entry) => entry.name)
        .sort()
    : [];
  if (names.length === 0) {
    console.log(`no endpoints in ${home}; create one with: funcx-endpoint configure NAME`);
    return 0;
  }
  const rows = names.map((name) => {
    const paths = endpointPaths(name, home);
    return [readIdentity(paths)?.endpoint_id ?? '-', endpointState(paths), name, localWhy(paths)];
  });
  const widths = [36, 12, Math.max(13, ...rows.map((r) => r[2].length))];
  console.log(['Endpoint ID'.padEnd(widths[0]), 'Status'.padEnd(widths[1]), 'Endpoint Name'.padEnd(widths[2]), 'Why'].join('  ').trimEnd());
  for (const [id, state, name, why] of rows) console.log([id.padEnd(widths[0]), state.padEnd(widths[1]), name.padEnd(widths[2]), why].join('  ').trimEnd());
  return 0;
}

async function remove(paths: EndpointPaths, force: boolean): Promise<number> {
  if (!existsSync(paths.dir)) {
    console.error(`no endpoint "${paths.name}" in ${path.dirname(paths.dir)}`);
    return 1;
  }
  if (endpointState(paths) === 'Running') {
    if (!force) {
      console.error(`endpoint "${paths.name}" is running; stop it first, or pass --force`);
      return 1;
    }
    await stop(paths);
  }
  const identity = readIdentity(paths);
  if (identity) {
    const token = findUserToken(identity.service_url);
    if (!token) {
      console.error('deleting on the service needs the owner\'s API token (FUNCX_TOKEN); nothing was deleted');
      return 1;
    }
    try {
      // Through the same proxy and CA as the agent (config.yaml's proxy and ca_file, when the file still loads).
      await new ServiceClient(identity.service_url, { connections: deletionConnections(paths) }).deleteEndpoint(token, identity.endpoint_id);
    } catch (error) {
      const gone = error instanceof ServiceRejected && error.status === 404;
      if (!gone && !force) {
        console.error(`could not delete endpoint ${identity.endpoint_id} on the service: ${asError(error).message}\n(--force deletes it here anyway)`);
        return 1;
      }
    }
  }
  rmSync(paths.dir, { recursive: true, force: true });
  console.log(`endpoint "${paths.name}" deleted`);
  return 0;
}

/** Why a stopped endpoint stopped, from its own files (its last word: lastWord.ts); empty while it runs. */
function localWhy(paths: EndpointPaths): string {
  const state = endpointState(paths);
  if (state === 'Running') return '';
  if (state === 'Disconnected') return 'the agent died without a word (its pidfile is left): killed, or its host rebooted';
  const word = readLastWord(paths);
  if (!word) return '';
  return `${word.state === 'failed' ? 'failed' : 'offline'} since ${word.at}: ${word.detail}`;
}

/** The agent's proxy and CA for a deletion; a config that no longer loads falls back to the environment's. */
function deletionConnections(paths: EndpointPaths): Connections {
  let settings: { proxy: string | null; caFile: string | null } = { proxy: null, caFile: null };
  try {
    settings = loadEndpointConfig(paths);
  } catch {
    // deleting must work even when config.yaml is broken or gone
  }
  return serviceConnections(paths.config, settings);
}
