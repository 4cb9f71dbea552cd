/**
 * What every funcX-TS log (the service's, the endpoint's) redacts: pino `redact` paths for the keys
 * that hold secrets wherever they appear at the top level or one level down (tokens, credentials,
 * client secrets), and the request's Authorization and Cookie headers.
 */
const SECRET_KEYS = ['token', 'credential', 'access_token', 'refresh_token', 'id_token', 'client_secret', 'clientSecret', 'oidcClientSecret', 'metricsToken', 'authorization', 'password'];

export const REDACTED_LOG_PATHS: readonly string[] = ['req.headers.authorization', 'req.headers.cookie', ...SECRET_KEYS, ...SECRET_KEYS.map((key) => `*.${key}`)];
