/** The oidc options, parsed once from the frozen config. */
import type { Config } from '../../config.js';
import { parseAlgorithms } from '../configProblems.js';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  requiredScopes: string[];
  groupsClaim: string;
  algorithms: string[];
  introspectionCacheTtlMs: number;
  jwksCooldownMs: number;
  timeoutMs: number;
  allowHttp: boolean;
  /** Also accept JWT access tokens typed `JWT` (not only RFC 9068 `at+jwt`). */
  acceptJwtTyp: boolean;
}

export function oidcSettings(config: Config): OidcSettings {
  return {
    issuer: config.oidcIssuer,
    clientId: config.oidcClientId,
    clientSecret: config.oidcClientSecret,
    audience: config.oidcAudience,
    requiredScopes: config.oidcRequiredScopes.split(/\s+/).filter(Boolean),
    groupsClaim: config.oidcGroupsClaim,
    algorithms: parseAlgorithms(config.oidcJwtAlgorithms),
    introspectionCacheTtlMs: config.oidcIntrospectionCacheTtl,
    jwksCooldownMs: config.oidcJwksCooldown,
    timeoutMs: config.oidcTimeout,
    allowHttp: config.oidcAllowHttp,
    acceptJwtTyp: config.oidcAcceptJwtTyp,
  };
}
