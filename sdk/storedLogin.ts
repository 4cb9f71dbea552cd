/**
 * A token from `funcx login`'s OpenID Connect login, kept fresh: the
 * transport asks for it before every call (http.ts TokenSource). Shortly
 * before the access token expires, and once when the service refuses it,
 * it is renewed: with the refresh token (browser and device logins), or by
 * running the client credentials grant again (headless logins), and
 * credentials.json is rewritten atomically (0600) so the next process starts
 * with the new token.
 *
 * Providers rotate refresh tokens, so a refresh token is good once: before
 * renewing, the file is read again, and a token another process (or Client)
 * has already renewed is taken instead of spending a stale refresh token.
 * Renewals in this process are one at a time (one shared promise), and across processes
 * one at a time too (a lock file beside credentials.json, sdk/fileLock.ts), so the file is
 * read again only once the other process has written its renewal.
 */
import type { CustomFetch } from 'openid-client';
import { clientCredentialsLogin, LoginFailed, refreshTokens, type TokenSet } from './auth/index.js';
import { readCredentialsFile, type StoredCredentials, type StoredOidcLogin } from './config.js';
import { writeCredentialsFile } from './credentials.js';
import { LoginExpired } from './errors.js';
import { withFileLock } from './fileLock.js';
import type { TokenSource } from './http.js';
import { providerForStoredLogin, storedTokenFields } from './oidcLogin.js';

type OidcCredentials = StoredCredentials & { oidc: StoredOidcLogin };

/** Renew this long before the access token expires, so a call in flight does not carry a token that lapses. */
const RENEW_MARGIN_MS = 60_000;

export class StoredLogin implements TokenSource {
  private renewing?: Promise<string>;

  /** `fetch`: how to reach the provider (the client's proxy and CAs, sdk/transport/); default Node's. */
  constructor(readonly file: string, private credentials: OidcCredentials, private readonly now: () => number = Date.now, private readonly fetch?: CustomFetch) {}

  async current(): Promise<string> {
    return this.expiring(this.credentials) ? this.renew(this.credentials.token) : this.credentials.token;
  }

  async renewAfterRejection(rejected: string): Promise<string | undefined> {
    // A login with nothing to renew it with cannot do better than the token refused.
    if (!this.credentials.oidc.refresh_token && this.credentials.oidc.grant !== 'client_credentials') return undefined;
    return this.renew(rejected);
  }

  private renew(stale: string): Promise<string> {
    this.renewing ??= this.renewNow(stale).finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async renewNow(stale: string): Promise<string> {
    if (this.credentials.token !== stale && !this.expiring(this.credentials)) return this.credentials.token;
    return withFileLock(this.file, () => this.renewLocked(stale));
  }

  private async renewLocked(stale: string): Promise<string> {
    const onDisk = readCredentialsFile(this.file);
    if (onDisk?.oidc && sameLogin(onDisk, this.credentials)) {
      if (onDisk.token !== stale && !this.expiring(onDisk as OidcCredentials)) {
        this.credentials = onDisk as OidcCredentials;
        return onDisk.token;
      }
      this.credentials = onDisk as OidcCredentials; // its refresh token is the latest one
    }
    const login = this.credentials.oidc;
    const provider = providerForStoredLogin(login, this.fetch);
    const request = { ...(login.scope ? { scope: login.scope } : {}), ...(login.resource ? { resource: login.resource } : {}) };
    let tokens: TokenSet;
    try {
      tokens = login.grant === 'client_credentials'
        ? await clientCredentialsLogin(provider, request)
        : await refreshTokens(provider, asTokenSet(this.credentials), request);
    } catch (error) {
      if (!(error instanceof LoginFailed)) throw error;
      throw new LoginExpired(`${error.message.replace(/: log in again$/, '')}: run \`funcx login\` again`, { cause: error });
    }
    const { expires_at: _oldExpiry, refresh_token: _oldRefresh, ...kept } = login;
    this.credentials = { ...this.credentials, token: tokens.access_token, oidc: { ...kept, ...storedTokenFields(tokens) } };
    writeCredentialsFile(this.file, this.credentials);
    return tokens.access_token;
  }

  private expiring(credentials: OidcCredentials): boolean {
    const expiresAt = credentials.oidc.expires_at;
    return expiresAt !== undefined && expiresAt * 1000 - RENEW_MARGIN_MS <= this.now();
  }
}

/** A login for the same service, provider and client (the file may since hold a login for another service). */
function sameLogin(a: StoredCredentials, b: OidcCredentials): boolean {
  return a.service_url === b.service_url && a.oidc?.issuer === b.oidc.issuer && a.oidc?.client_id === b.oidc.client_id;
}

function asTokenSet(credentials: OidcCredentials): TokenSet {
  return {
    access_token: credentials.token,
    token_type: 'bearer',
    ...(credentials.oidc.expires_at !== undefined ? { expires_at: credentials.oidc.expires_at * 1000 } : {}),
    ...(credentials.oidc.refresh_token ? { refresh_token: credentials.oidc.refresh_token } : {}),
  };
}
