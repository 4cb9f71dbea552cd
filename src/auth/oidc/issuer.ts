/**
 * The provider's metadata, discovered lazily through openid-client and then
 * kept: the service starts (and endpoints keep polling with their own
 * credentials) while the provider is down; user requests get 503 until
 * discovery succeeds.
 */
import * as oidc from 'openid-client';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { IdentityProviderUnavailable, asError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { OidcSettings } from './settings.js';

export interface Issuer {
  configuration: oidc.Configuration;
  /** The provider's key set; an unknown kid refetches it, at most once per cooldown. */
  keys: JWTVerifyGetKey;
}

export class IssuerConnection {
  private discovering?: Promise<Issuer>;

  constructor(private readonly settings: OidcSettings, private readonly logger: Logger) {}

  issuer(): Promise<Issuer> {
    this.discovering ??= this.discover().catch((error: unknown) => {
      this.discovering = undefined; // try again on the next request
      this.logger.error({ err: asError(error), issuer: this.settings.issuer }, 'OpenID Connect discovery failed');
      throw new IdentityProviderUnavailable('the identity provider cannot be reached; try again shortly', { cause: error });
    });
    return this.discovering;
  }

  private async discover(): Promise<Issuer> {
    const { settings } = this;
    const configuration = await oidc.discovery(
      new URL(settings.issuer),
      settings.clientId,
      settings.clientSecret,
      oidc.ClientSecretPost(settings.clientSecret),
      { timeout: Math.ceil(settings.timeoutMs / 1000), execute: settings.allowHttp ? [oidc.allowInsecureRequests] : [] },
    );
    const { jwks_uri: jwksUri } = configuration.serverMetadata();
    if (!jwksUri) throw new Error('the provider publishes no jwks_uri');
    const jwksUrl = new URL(jwksUri);
    if (jwksUrl.protocol !== 'https:' && !settings.allowHttp) throw new Error(`jwks_uri ${jwksUri} is not https`);
    const keys = createRemoteJWKSet(jwksUrl, {
      timeoutDuration: settings.timeoutMs,
      cooldownDuration: settings.jwksCooldownMs,
      cacheMaxAge: 10 * 60 * 1000,
    });
    this.logger.info({ issuer: settings.issuer, jwksUri }, 'OpenID Connect provider discovered');
    return { configuration, keys };
  }
}
