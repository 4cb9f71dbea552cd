/**
 * Logging in to a service in oidc mode (`funcx login`): the service's GET
 * /v2/version `oidc` block names the issuer, the audience (asked for as an
 * RFC 8707 resource), the scopes, and the public client registered for the
 * CLI. A person logs in with a browser (authorization code + PKCE) or on
 * another device (device authorization grant), asking for offline_access so
 * the token can be renewed; headless use takes a confidential client's
 * credentials. What is returned is stored in credentials.json for
 * storedLogin.ts to renew.
 */
import { browserLogin, clientCredentialsLogin, connectProvider, deviceLogin, knownProvider, type DevicePrompt, type Provider, type TokenSet } from './auth/index.js';
import type { CustomFetch } from 'openid-client';
import type { StoredOidcLogin } from './config.js';
import { InvalidArgument } from './errors.js';

/** The `oidc` block of GET /v2/version (schemas/version.json). */
export interface OidcHints {
  issuer: string;
  audience: string;
  scopes: string[];
  client_id?: string;
}

export type OidcLoginMethod = 'browser' | 'device' | 'client_credentials';

export interface OidcLoginOptions {
  method: OidcLoginMethod;
  /** The client to log in as; default the service's advertised CLI client. Required for client_credentials. */
  clientId?: string;
  /** client_credentials only. */
  clientSecret?: string;
  /** browser: shows the user the URL to open (and may open it). */
  showUrl(url: string): void | Promise<void>;
  /** device: shows where to go and the code to enter. */
  showDeviceCode(prompt: DevicePrompt): void | Promise<void>;
  signal?: AbortSignal;
  /** How to reach the provider (the site's proxy, its CAs): default Node's fetch. */
  fetch?: CustomFetch;
}

export interface OidcLogin {
  token: string;
  oidc: StoredOidcLogin;
}

/**
 * Plain http to the provider only on this machine (a development provider):
 * anywhere else tokens and codes would cross the network in the clear.
 */
export function httpAllowedFor(issuer: string): boolean {
  const host = new URL(issuer).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function oidcLogin(hints: OidcHints, options: OidcLoginOptions): Promise<OidcLogin> {
  const clientId = options.clientId ?? (options.method === 'client_credentials' ? undefined : hints.client_id);
  if (!clientId) {
    throw new InvalidArgument(options.method === 'client_credentials'
      ? 'a client credentials login needs a client id'
      : 'the service names no client for command-line logins (its FUNCX_OIDC_LOGIN_CLIENT_ID is unset): pass --client-id');
  }
  const provider = await connectProvider({ issuer: hints.issuer, clientId, clientSecret: options.clientSecret, allowHttp: httpAllowedFor(hints.issuer), fetch: options.fetch });
  const resource = hints.audience || undefined;
  // A person's login also asks for openid (who logged in) and offline_access (a refresh token); a client's only for the service's scopes.
  const scopes = options.method === 'client_credentials' ? hints.scopes : ['openid', 'offline_access', ...hints.scopes];
  const scope = [...new Set(scopes)].join(' ') || undefined;
  const request = { ...(scope ? { scope } : {}), ...(resource ? { resource } : {}) };
  let tokens: TokenSet;
  let grant: StoredOidcLogin['grant'];
  if (options.method === 'client_credentials') {
    tokens = await clientCredentialsLogin(provider, request);
    grant = 'client_credentials';
  } else if (options.method === 'device') {
    tokens = await deviceLogin(provider, { ...request, prompt: options.showDeviceCode, signal: options.signal });
    grant = 'device_code';
  } else {
    tokens = await browserLogin(provider, { ...request, openBrowser: options.showUrl, signal: options.signal });
    grant = 'authorization_code';
  }
  return {
    token: tokens.access_token,
    oidc: {
      issuer: hints.issuer,
      token_endpoint: tokenEndpointOf(provider),
      client_id: clientId,
      grant,
      ...storedTokenFields(tokens),
      ...(resource ? { resource } : {}),
      ...(scope ? { scope } : {}),
      ...(options.method === 'client_credentials' && options.clientSecret ? { client_secret: options.clientSecret } : {}),
    },
  };
}

/** The parts of a token set kept beside the access token (expiry in seconds, as the file stores it). */
export function storedTokenFields(tokens: TokenSet): Pick<StoredOidcLogin, 'expires_at' | 'refresh_token'> {
  return {
    ...(tokens.expires_at !== undefined ? { expires_at: Math.floor(tokens.expires_at / 1000) } : {}),
    ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
  };
}

/** The provider to renew a stored login with, from what was stored (no discovery). */
export function providerForStoredLogin(login: StoredOidcLogin, fetch?: CustomFetch): Provider {
  return knownProvider({
    issuer: login.issuer,
    tokenEndpoint: login.token_endpoint,
    clientId: login.client_id,
    clientSecret: login.client_secret,
    allowHttp: httpAllowedFor(login.issuer),
    fetch,
  });
}

function tokenEndpointOf(provider: Provider): string {
  const endpoint = provider.serverMetadata().token_endpoint;
  if (!endpoint) throw new InvalidArgument('the identity provider advertises no token endpoint');
  return endpoint;
}
