/**
 * `funcx login`: obtain a token, check it against the service, store it.
 *
 * How the token is obtained depends on the service's auth mode (GET
 * /v2/version `auth_mode`), through one seam: a LoginFlow.
 * - `local`: the token is issued by `funcx-service token create` (or is the
 *   quickstart admin token); the user passes it (--token, stdin, or a prompt).
 * - `oidc`: an OpenID Connect login (oidcLogin.ts) at the provider the
 *   service names in its `oidc` block: browser (authorization code + PKCE,
 *   the default), device (device authorization grant), or client
 *   credentials (headless). What renews the token is stored with it. An
 *   access token obtained elsewhere can still be given with --token; it is
 *   stored as is and never renewed.
 */
import { Client } from './client.js';
import { resolveClientCredentials, type StoredOidcLogin } from './config.js';
import { storeCredentials } from './credentials.js';
import { InvalidArgument, SdkVersionTooOld } from './errors.js';
import { DEFAULT_RETRY, HttpTransport } from './http.js';
import { oidcLogin, type OidcHints, type OidcLoginOptions } from './oidcLogin.js';
import { sdkConnections } from './transport/sdkConnections.js';
import { versionProblem } from './transport/versionCompat.js';
import { packageVersion } from './version.js';

export interface LoginContext {
  serviceUrl: string;
  /** A token the user gave on the command line. */
  token?: string;
  /** Reads a secret from the user (stdin or a hidden prompt). */
  readSecret(prompt: string): Promise<string>;
  /** oidc mode: how to log in (method default 'browser'), and how to talk to the user meanwhile. */
  oidc?: Omit<OidcLoginOptions, 'method'> & { method?: OidcLoginOptions['method'] };
}

/** A token, and for an OpenID Connect login what renews it. */
export interface ObtainedToken {
  token: string;
  oidc?: StoredOidcLogin;
}

/** Obtains a token for the service; one implementation per auth mode. */
export interface LoginFlow {
  readonly name: string;
  obtainToken(context: LoginContext, env: Record<string, string | undefined>): Promise<ObtainedToken>;
}

/** local auth (and any token given outright): the token is given, or read. */
export const localTokenFlow: LoginFlow = {
  name: 'token',
  async obtainToken(context) {
    const token = (context.token ?? (await context.readSecret(`token for ${context.serviceUrl}: `))).trim();
    if (!token) throw new InvalidArgument('no token given (pass --token, pipe it on stdin, or type it at the prompt)');
    return { token };
  },
};

/** oidc auth: a login at the service's identity provider. */
export function oidcFlow(hints: OidcHints): LoginFlow {
  return {
    name: 'oidc',
    async obtainToken(context, env) {
      const options = context.oidc;
      if (!options) throw new InvalidArgument('this service uses OpenID Connect: an interactive login needs a way to show the user where to log in');
      const method = options.method ?? 'browser';
      if (method === 'client_credentials') {
        const { clientId, clientSecret } = resolveClientCredentials({ clientId: options.clientId, clientSecret: options.clientSecret }, env);
        return oidcLogin(hints, { ...options, method, clientId, clientSecret });
      }
      return oidcLogin(hints, { ...options, method });
    },
  };
}

/** The flow for an auth mode: a token given outright is taken as it is; oidc without one logs in at the provider. */
export function loginFlowFor(authMode: string | undefined, context: LoginContext, hints?: OidcHints): LoginFlow {
  const method = context.oidc?.method;
  if (context.token !== undefined) {
    if (method && method !== 'browser') throw new InvalidArgument('--token cannot be combined with another way of logging in');
    return localTokenFlow;
  }
  if (authMode !== 'oidc') {
    if (method && method !== 'browser') throw new InvalidArgument(`this service uses ${authMode ?? 'local'} tokens, not OpenID Connect: pass the token with --token, on stdin, or at the prompt`);
    return localTokenFlow;
  }
  if (!hints) throw new InvalidArgument('this service is in oidc mode but does not say where to log in (no oidc block on /v2/version): pass an access token with --token');
  return oidcFlow(hints);
}

export interface LoginResult {
  serviceUrl: string;
  authMode?: string;
  file: string;
  /** 'token' or 'oidc'. */
  flow: string;
  /** oidc: how the token was obtained, and whether it can be renewed without the user. */
  grant?: StoredOidcLogin['grant'];
  renewable?: boolean;
}

export async function login(context: LoginContext, env: Record<string, string | undefined> = process.env): Promise<LoginResult> {
  // /v2/version needs no token; it says how this service authenticates, and in oidc mode where to log in.
  const connections = sdkConnections({ env });
  const version = await new HttpTransport(context.serviceUrl, '', DEFAULT_RETRY, { connections }).request<{ auth_mode?: string; oidc?: OidcHints }>('GET', '/v2/version', { idempotent: true });
  // A service that no longer serves this SDK says so before anyone logs in (names both versions; read leniently).
  const tooOld = versionProblem(version, 'sdk', packageVersion(), 'npm install funcx-ts@latest');
  if (tooOld) throw new SdkVersionTooOld(tooOld);
  const flow = loginFlowFor(version.auth_mode, context, version.oidc);
  // The provider is reached the way the service is: through the site's proxy, trusting its CAs.
  const obtained = await flow.obtainToken(context.oidc ? { ...context, oidc: { fetch: connections.fetch, ...context.oidc } } : context, env);
  // Verified before it is stored: a typo fails now (UserUnauthenticated), not at the next command.
  await new Client({ serviceUrl: context.serviceUrl, token: obtained.token, env }).listEndpoints();
  const file = storeCredentials({ service_url: context.serviceUrl, token: obtained.token, ...(obtained.oidc ? { oidc: obtained.oidc } : {}) }, env);
  return {
    serviceUrl: context.serviceUrl,
    authMode: version.auth_mode,
    file,
    flow: flow.name,
    ...(obtained.oidc ? { grant: obtained.oidc.grant, renewable: obtained.oidc.grant === 'client_credentials' || obtained.oidc.refresh_token !== undefined } : {}),
  };
}
