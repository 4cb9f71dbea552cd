/**
 * What a login yields and a client stores: an access token, when it expires,
 * and (when granted) a refresh token to get the next one without the user.
 */
import * as oidc from 'openid-client';
import { LoginFailed } from './errors.js';
import type { Provider } from './provider.js';

export interface TokenSet {
  access_token: string;
  token_type: string;
  /** Epoch milliseconds; absent when the provider did not say. */
  expires_at?: number;
  refresh_token?: string;
  scope?: string;
}

/** Parameters a token request may repeat: the resource (audience) asked for. */
export interface TokenRequest {
  scope?: string;
  /** RFC 8707 resource indicator, e.g. the funcX service's audience. */
  resource?: string;
}

export function toTokenSet(response: oidc.TokenEndpointResponse, previous?: TokenSet): TokenSet {
  return {
    access_token: response.access_token,
    token_type: response.token_type,
    ...(typeof response.expires_in === 'number' ? { expires_at: Date.now() + response.expires_in * 1000 } : {}),
    // A provider that does not rotate refresh tokens answers without one: keep the old.
    ...(response.refresh_token ?? previous?.refresh_token ? { refresh_token: response.refresh_token ?? previous?.refresh_token } : {}),
    ...(response.scope ?? previous?.scope ? { scope: response.scope ?? previous?.scope } : {}),
  };
}

/** True when the access token has expired or will within `marginMs` (default one minute). */
export function isExpiring(tokens: TokenSet, marginMs = 60_000, nowMs = Date.now()): boolean {
  return tokens.expires_at !== undefined && tokens.expires_at - marginMs <= nowMs;
}

export async function refreshTokens(provider: Provider, tokens: TokenSet, request: TokenRequest = {}): Promise<TokenSet> {
  if (!tokens.refresh_token) throw new LoginFailed('the access token expired and there is no refresh token: log in again');
  try {
    const response = await oidc.refreshTokenGrant(provider, tokens.refresh_token, parameters(request));
    return toTokenSet(response, tokens);
  } catch (error) {
    throw new LoginFailed(`refreshing the access token failed (${describe(error)}): log in again`, { cause: error });
  }
}

/** The stored tokens if still good, else refreshed ones (`refreshed` says whether to store them again). */
export async function freshTokens(provider: Provider, tokens: TokenSet, request: TokenRequest = {}): Promise<{ tokens: TokenSet; refreshed: boolean }> {
  if (!isExpiring(tokens)) return { tokens, refreshed: false };
  return { tokens: await refreshTokens(provider, tokens, request), refreshed: true };
}

export function parameters(request: TokenRequest): Record<string, string> {
  return {
    ...(request.scope ? { scope: request.scope } : {}),
    ...(request.resource ? { resource: request.resource } : {}),
  };
}

export function describe(error: unknown): string {
  const e = error as { error?: string; error_description?: string; message?: string };
  return e.error ? `${e.error}${e.error_description ? `: ${e.error_description}` : ''}` : String(e.message ?? error);
}
