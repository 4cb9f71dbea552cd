/**
 * The OpenID provider a client logs in with, discovered through openid-client.
 * A CLI is usually a public client (no secret: PKCE and the device grant);
 * headless use (client credentials) needs a confidential one.
 */
import * as oidc from 'openid-client';
import { LoginFailed } from './errors.js';

export interface ProviderOptions {
  /** The issuer URL (its /.well-known/openid-configuration is read). */
  issuer: string;
  clientId: string;
  /** Only for confidential clients (client credentials); sent with client_secret_post. */
  clientSecret?: string;
  /** Allow an http:// issuer: tests and development only. */
  allowHttp?: boolean;
  /** Limit on each call to the provider (default 30 s). */
  timeoutMs?: number;
  /** The fetch to call the provider with: the SDK's proxy- and CA-aware one (sdk/transport/connections.ts); default Node's. */
  fetch?: oidc.CustomFetch;
}

export type Provider = oidc.Configuration;

export async function connectProvider(options: ProviderOptions): Promise<Provider> {
  const auth = options.clientSecret ? oidc.ClientSecretPost(options.clientSecret) : oidc.None();
  try {
    return await oidc.discovery(new URL(options.issuer), options.clientId, options.clientSecret, auth, {
      timeout: Math.ceil((options.timeoutMs ?? 30_000) / 1000),
      execute: options.allowHttp ? [oidc.allowInsecureRequests] : [],
      ...(options.fetch ? { [oidc.customFetch]: options.fetch } : {}),
    });
  } catch (error) {
    throw new LoginFailed(`cannot reach the identity provider ${options.issuer}: ${(error as Error).message}`, { cause: error });
  }
}

/** What a client remembers of a provider after logging in: enough to renew a token without discovery. */
export interface KnownProviderOptions extends Omit<ProviderOptions, 'issuer'> {
  issuer: string;
  tokenEndpoint: string;
}

/** A provider from remembered metadata (no discovery request): the token endpoint is all refresh and client credentials need. */
export function knownProvider(options: KnownProviderOptions): Provider {
  const auth = options.clientSecret ? oidc.ClientSecretPost(options.clientSecret) : oidc.None();
  const provider = new oidc.Configuration({ issuer: options.issuer, token_endpoint: options.tokenEndpoint }, options.clientId, options.clientSecret, auth);
  provider.timeout = Math.ceil((options.timeoutMs ?? 30_000) / 1000);
  if (options.allowHttp) oidc.allowInsecureRequests(provider);
  if (options.fetch) provider[oidc.customFetch] = options.fetch;
  return provider;
}
