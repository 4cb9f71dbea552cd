/**
 * The owner's API token, needed to register (and re-register) an endpoint:
 * FUNCX_TOKEN, else the quickstart.json in FUNCX_HOME when it is for the same service.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { funcxHome } from './paths.js';

export function findUserToken(serviceUrl: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.FUNCX_TOKEN) return env.FUNCX_TOKEN;
  const quickstart = path.join(funcxHome(env), 'quickstart.json');
  if (existsSync(quickstart)) {
    const content = JSON.parse(readFileSync(quickstart, 'utf8')) as { service_url?: string; token?: string };
    if (content.token && content.service_url?.replace(/\/+$/, '') === serviceUrl) return content.token;
  }
  return undefined;
}
