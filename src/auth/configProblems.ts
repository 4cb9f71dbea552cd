/**
 * Checks that span several auth options (config.ts checks each value alone):
 * oidc mode needs an issuer, client credentials and an audience, and only
 * asymmetric JWT algorithms — `none` and HS* would let anyone who knows the
 * provider's public key (everyone) mint tokens.
 */
export const ASYMMETRIC_JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export function authConfigProblems(values: Record<string, unknown>): string[] {
  const consoleClient = String(values.oidcConsoleClientId ?? '');
  if (values.authMode !== 'oidc') {
    return consoleClient ? ['FUNCX_OIDC_CONSOLE_CLIENT_ID: only with FUNCX_AUTH_MODE=oidc (with local tokens the console asks for a pasted API token)'] : [];
  }
  const problems: string[] = [];
  // It goes into a URL the browser builds and onto a page: a client id is a short printable token.
  if (consoleClient && !/^[\x21-\x7e]{1,255}$/.test(consoleClient)) {
    problems.push(`FUNCX_OIDC_CONSOLE_CLIENT_ID=${JSON.stringify(consoleClient)}: expected a client id (1 to 255 printable characters, no spaces)`);
  }
  const issuer = String(values.oidcIssuer ?? '');
  if (!issuer) {
    problems.push('FUNCX_OIDC_ISSUER: required when FUNCX_AUTH_MODE=oidc (the provider\'s issuer URL)');
  } else {
    let url: URL | undefined;
    try {
      url = new URL(issuer);
    } catch {
      problems.push(`FUNCX_OIDC_ISSUER=${JSON.stringify(issuer)}: not a URL`);
    }
    if (url && url.protocol !== 'https:' && !(url.protocol === 'http:' && values.oidcAllowHttp === true)) {
      problems.push(`FUNCX_OIDC_ISSUER=${JSON.stringify(issuer)}: must be https:// (set FUNCX_OIDC_ALLOW_HTTP=true for a development provider over http)`);
    }
  }
  if (!values.oidcClientId) problems.push('FUNCX_OIDC_CLIENT_ID: required when FUNCX_AUTH_MODE=oidc (the service\'s client at the provider, for token introspection)');
  if (!values.oidcClientSecret) problems.push('FUNCX_OIDC_CLIENT_SECRET: required when FUNCX_AUTH_MODE=oidc');
  if (!values.oidcAudience) problems.push('FUNCX_OIDC_AUDIENCE: required when FUNCX_AUTH_MODE=oidc (tokens issued for other services must not work here)');
  const algorithms = parseAlgorithms(String(values.oidcJwtAlgorithms ?? ''));
  const unknown = algorithms.filter((alg) => !(ASYMMETRIC_JWT_ALGORITHMS as readonly string[]).includes(alg));
  if (algorithms.length === 0 || unknown.length > 0) {
    problems.push(`FUNCX_OIDC_JWT_ALGORITHMS=${JSON.stringify(values.oidcJwtAlgorithms)}: expected a comma-separated list of ${ASYMMETRIC_JWT_ALGORITHMS.join(', ')}` +
      (unknown.length > 0 ? ` (not allowed: ${unknown.join(', ')})` : ''));
  }
  return problems;
}

export function parseAlgorithms(text: string): string[] {
  return text.split(',').map((alg) => alg.trim()).filter(Boolean);
}
