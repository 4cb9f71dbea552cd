/**
 * Where the SDK and the `funcx` command find the service and a token. The one
 * module that reads the environment. For each value the first that is set wins:
 *
 * | value | 1. argument | 2. environment | 3. `funcx login` | 4. quickstart.json |
 * | --- | --- | --- | --- | --- |
 * | service URL | `serviceUrl` | `FUNCX_SERVICE_URL` | `$FUNCX_HOME/credentials.json` | `quickstart.json` (below) |
 * | token | `token` | `FUNCX_TOKEN` | `credentials.json` (if its URL is the service's) | `quickstart.json` (idem) |
 * | default endpoint | `endpointId` | `FUNCX_ENDPOINT_ID` | — | `quickstart.json` `endpoint_id` |
 *
 * FUNCX_HOME defaults to ~/.funcx. quickstart.json is what `funcx-service`
 * writes on first start (in its FUNCX_HOME), so a local service needs no
 * setup: without FUNCX_HOME the SDK looks in ./.funcx (the service's own
 * default home, i.e. `npm start` in this folder) before ~/.funcx, as the
 * Python client does.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationMissing } from './errors.js';

export interface ClientConfigOptions {
  serviceUrl?: string;
  token?: string;
  /** The endpoint used when a call names none (Executor, `funcx run`). */
  endpointId?: string;
  /** The environment to read (default process.env); tests and embedders pass their own. */
  env?: Record<string, string | undefined>;
}

export interface ClientConfig {
  serviceUrl: string;
  token: string;
  endpointId?: string;
  /** Where each value came from, for `funcx` error messages. */
  sources: { serviceUrl: string; token: string };
}

export interface StoredCredentials {
  service_url: string;
  token: string;
  identity?: string;
}

interface QuickstartFile {
  service_url?: string;
  token?: string;
  endpoint_id?: string;
}

export function funcxHome(env: Record<string, string | undefined> = process.env): string {
  return path.resolve(env.FUNCX_HOME || path.join(os.homedir(), '.funcx'));
}

export function credentialsPath(env: Record<string, string | undefined> = process.env): string {
  return path.join(funcxHome(env), 'credentials.json');
}

/** The quickstart.json to read: $FUNCX_HOME's, else ./.funcx's if it exists, else ~/.funcx's. */
export function quickstartPath(env: Record<string, string | undefined> = process.env): string {
  if (!env.FUNCX_HOME) {
    const local = path.resolve('.funcx', 'quickstart.json');
    if (existsSync(local)) return local;
  }
  return path.join(funcxHome(env), 'quickstart.json');
}

/** A JSON file, or undefined if it does not exist; a file that exists but does not parse is an error worth reporting. */
function readJsonFile<T>(file: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigurationMissing(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new ConfigurationMissing(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

const sameUrl = (a: string | undefined, b: string) => a !== undefined && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

interface Sources {
  env: Record<string, string | undefined>;
  credentialsFile: string;
  quickstartFile: string;
  credentials?: StoredCredentials;
  quickstart?: QuickstartFile;
}

function readSources(env: Record<string, string | undefined>): Sources {
  const credentialsFile = credentialsPath(env);
  const quickstartFile = quickstartPath(env);
  return { env, credentialsFile, quickstartFile, credentials: readJsonFile(credentialsFile), quickstart: readJsonFile(quickstartFile) };
}

function serviceUrlFrom(options: ClientConfigOptions, sources: Sources): { serviceUrl: string; source: string } {
  const candidates: [string | undefined, string][] = [
    [options.serviceUrl, 'argument'],
    [sources.env.FUNCX_SERVICE_URL, 'FUNCX_SERVICE_URL'],
    [sources.credentials?.service_url, sources.credentialsFile],
    [sources.quickstart?.service_url, sources.quickstartFile],
  ];
  const [serviceUrl, source] = candidates.find(([value]) => value) ?? [];
  if (!serviceUrl || !source) {
    throw new ConfigurationMissing(`no service URL: pass serviceUrl, set FUNCX_SERVICE_URL, run \`funcx login\`, or start a local service that writes ${sources.quickstartFile}`);
  }
  try {
    new URL(serviceUrl);
  } catch {
    throw new ConfigurationMissing(`the service URL from ${source} is not a URL: ${serviceUrl}`);
  }
  return { serviceUrl: serviceUrl.replace(/\/+$/, ''), source };
}

/** The service URL alone (for `funcx login`, which has no token yet). */
export function resolveServiceUrl(options: ClientConfigOptions = {}): string {
  return serviceUrlFrom(options, readSources(options.env ?? process.env)).serviceUrl;
}

export function resolveConfig(options: ClientConfigOptions = {}): ClientConfig {
  const sources = readSources(options.env ?? process.env);
  const { env, credentials, quickstart, credentialsFile, quickstartFile } = sources;
  const { serviceUrl, source: urlSource } = serviceUrlFrom(options, sources);
  // A stored token belongs to the service it was issued by: never send it to another URL.
  const tokenCandidates: [string | undefined, string][] = [
    [options.token, 'argument'],
    [env.FUNCX_TOKEN, 'FUNCX_TOKEN'],
    [sameUrl(credentials?.service_url, serviceUrl) ? credentials?.token : undefined, credentialsFile],
    [sameUrl(quickstart?.service_url, serviceUrl) ? quickstart?.token : undefined, quickstartFile],
  ];
  const [token, tokenSource] = tokenCandidates.find(([value]) => value) ?? [];
  if (!token || !tokenSource) {
    throw new ConfigurationMissing(`no token for ${serviceUrl}: pass token, set FUNCX_TOKEN, or run \`funcx login\``);
  }
  const endpointId = options.endpointId ?? env.FUNCX_ENDPOINT_ID ?? (sameUrl(quickstart?.service_url, serviceUrl) ? quickstart?.endpoint_id : undefined);
  return { serviceUrl, token, endpointId, sources: { serviceUrl: urlSource, token: tokenSource } };
}
