/**
 * `funcx login`: obtain a token, check it against the service, store it.
 *
 * How the token is obtained depends on the service's auth mode (GET
 * /v2/version `auth_mode`), through one seam: a LoginFlow.
 * - `local`: the token is issued by `funcx-service token create` (or is the
 *   quickstart admin token); the user passes it (--token, stdin, or a prompt).
 * - `oidc`: not implemented yet. An OpenID Connect device-code or PKCE flow
 *   belongs here as another LoginFlow (discover the issuer, get an access
 *   token, return it); the rest (verify, store) stays as it is. Until then an
 *   access token obtained elsewhere can be given with --token.
 */
import { Client } from './client.js';
import { storeCredentials } from './credentials.js';
import { InvalidArgument } from './errors.js';
import { HttpTransport } from './http.js';

export interface LoginContext {
  serviceUrl: string;
  /** A token the user gave on the command line. */
  token?: string;
  /** Reads a secret from the user (stdin or a hidden prompt). */
  readSecret(prompt: string): Promise<string>;
}

/** Obtains a token for the service; one implementation per auth mode. */
export interface LoginFlow {
  readonly name: string;
  obtainToken(context: LoginContext): Promise<string>;
}

/** local auth: the token is given, or read. */
export const localTokenFlow: LoginFlow = {
  name: 'local token',
  async obtainToken(context) {
    const token = (context.token ?? (await context.readSecret(`token for ${context.serviceUrl}: `))).trim();
    if (!token) throw new InvalidArgument('no token given (pass --token, pipe it on stdin, or type it at the prompt)');
    return token;
  },
};

/** The flow for an auth mode; modes without their own flow accept a given token, as local does. */
export function loginFlowFor(authMode: string | undefined, context: LoginContext): LoginFlow {
  if (authMode === 'oidc' && context.token === undefined) {
    throw new InvalidArgument('this service uses OpenID Connect, and the interactive OIDC login is not implemented yet: pass an access token with --token');
  }
  return localTokenFlow;
}

export interface LoginResult {
  serviceUrl: string;
  authMode?: string;
  file: string;
}

export async function login(context: LoginContext, env: Record<string, string | undefined> = process.env): Promise<LoginResult> {
  // /v2/version needs no token; it says how this service authenticates.
  const version = await new HttpTransport(context.serviceUrl, '').request<{ auth_mode?: string }>('GET', '/v2/version', { idempotent: true });
  const flow = loginFlowFor(version.auth_mode, context);
  const token = await flow.obtainToken(context);
  // Verified before it is stored: a typo fails now (UserUnauthenticated), not at the next command.
  await new Client({ serviceUrl: context.serviceUrl, token, env }).listEndpoints();
  const file = storeCredentials({ service_url: context.serviceUrl, token }, env);
  return { serviceUrl: context.serviceUrl, authMode: version.auth_mode, file };
}
