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
 * HTTPS to the service is verified against the system's CAs, or only against
 * the PEM file given as `caFile` / FUNCX_CA_FILE / SSL_CERT_FILE (a private
 * CA; NODE_EXTRA_CA_CERTS adds one to the system's); it is never turned off.
 * Requests go through HTTPS_PROXY / HTTP_PROXY (or `proxy`) unless NO_PROXY
 * names the host (sdk/transport/).
 *
 * `funcx login --client-credentials` takes its client id and secret from
 * options, else FUNCX_CLIENT_ID / FUNCX_CLIENT_SECRET. A token from
 * credentials.json that came from an OpenID Connect login is renewed when it
 * expires (storedLogin.ts); a token given as an argument or in FUNCX_TOKEN never is.
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
  /** PEM file of the CA(s) to trust for the service instead of the system store (else FUNCX_CA_FILE, SSL_CERT_FILE; NODE_EXTRA_CA_CERTS adds to it). */
  caFile?: string;
  /** The proxy to reach the service through, overriding HTTPS_PROXY / HTTP_PROXY (NO_PROXY still applies); see sdk/transport/. */
  proxy?: string;
  /** Who is asking, for the missing-configuration message: 'sdk' (default) says `serviceUrl`/`token`, 'cli' `--service-url`/`funcx login`. */
  caller?: 'sdk' | 'cli';
}

export interface ClientConfig {
  serviceUrl: string;
  token: string;
  endpointId?: string;
  /** Where each value came from, for `funcx` error messages. */
  sources: { serviceUrl: string; token: string };
  /** A CA file to verify the service's certificate against (certificate checks are never turned off). */
  caFile?: string;
  /** When the token is an OpenID Connect login's from credentials.json: the file and what it holds, so the token can be renewed. */
  storedLogin?: { file: string; credentials: StoredCredentials & { oidc: StoredOidcLogin } };
}

export interface StoredCredentials {
  service_url: string;
  token: string;
  identity?: string;
  /** Present after an OpenID Connect login: how to renew `token` without the user. */
  oidc?: StoredOidcLogin;
}

/** What `funcx login` keeps of an OpenID Connect login (read by the TypeScript and the Python client). */
export interface StoredOidcLogin {
  issuer: string;
  /** The provider's token endpoint, so renewing needs no discovery (the Python client relies on it). */
  token_endpoint: string;
  client_id: string;
  /** How the token was obtained; client_credentials logins are renewed by running that grant again. */
  grant: 'authorization_code' | 'device_code' | 'client_credentials';
  /** When the access token expires, in seconds since the epoch (as a JWT's exp); absent if the provider did not say. */
  expires_at?: number;
  refresh_token?: string;
  /** The resource indicator (the service's audience) and scopes asked for, asked for again when renewing. */
  resource?: string;
  scope?: string;
  /** client_credentials only: the client's secret (the file is 0600, like a refresh token, which is as powerful). */
  client_secret?: string;
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

/** credentials.json as it is now (undefined if absent): a stored login re-reads it before renewing its token. */
export function readCredentialsFile(file: string): StoredCredentials | undefined {
  return readJsonFile<StoredCredentials>(file);
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
    const pass = options.caller === 'cli' ? 'pass --service-url' : 'pass serviceUrl';
    throw new ConfigurationMissing(`no service URL: ${pass}, set FUNCX_SERVICE_URL, run \`funcx login\`, or start a local service that writes ${sources.quickstartFile}`);
  }
  try {
    new URL(serviceUrl);
  } catch {
    throw new ConfigurationMissing(`the service URL from ${source} is not a URL: ${serviceUrl}`);
  }
  return { serviceUrl: serviceUrl.replace(/\/+$/, ''), source };
}

/** The CA file to trust for the service, checked now so a typo fails with its name, not as a TLS error later. */
export function resolveCaFile(options: ClientConfigOptions = {}, env: Record<string, string | undefined> = options.env ?? process.env): string | undefined {
  const [caFile, source] = options.caFile ? [options.caFile, 'caFile'] : env.FUNCX_CA_FILE ? [env.FUNCX_CA_FILE, 'FUNCX_CA_FILE'] : [];
  if (!caFile) return undefined;
  if (!existsSync(caFile)) throw new ConfigurationMissing(`${source}: ${caFile} does not exist`);
  return path.resolve(caFile);
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
    const ways = options.caller === 'cli' ? 'run `funcx login` (or set FUNCX_TOKEN)' : 'pass token, set FUNCX_TOKEN, or run `funcx login`';
    throw new ConfigurationMissing(`no token for ${serviceUrl}: ${ways}`);
  }
  const storedLogin = tokenSource === credentialsFile && credentials?.oidc ? { file: credentialsFile, credentials: credentials as StoredCredentials & { oidc: StoredOidcLogin } } : undefined;
  const endpointId = options.endpointId ?? env.FUNCX_ENDPOINT_ID ?? (sameUrl(quickstart?.service_url, serviceUrl) ? quickstart?.endpoint_id : undefined);
  const caFile = resolveCaFile(options, env);
  return {
    serviceUrl, token, endpointId, sources: { serviceUrl: urlSource, token: tokenSource }, ...(storedLogin ? { storedLogin } : {}), ...(caFile ? { caFile } : {}),
  };
}

/** A confidential client for `funcx login --client-credentials`: options, else FUNCX_CLIENT_ID / FUNCX_CLIENT_SECRET. */
export function resolveClientCredentials(
  options: { clientId?: string; clientSecret?: string },
  env: Record<string, string | undefined> = process.env,
): { clientId: string; clientSecret: string } {
  const clientId = options.clientId || env.FUNCX_CLIENT_ID;
  const clientSecret = options.clientSecret || env.FUNCX_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new ConfigurationMissing('a client credentials login needs a client id and secret: pass --client-id and --client-secret, or set FUNCX_CLIENT_ID and FUNCX_CLIENT_SECRET');
  }
  return { clientId, clientSecret };
}
