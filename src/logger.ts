import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Keys that hold secrets wherever they appear at the top level or one level down (tokens, credentials, client secrets). */
const SECRET_KEYS = ['token', 'credential', 'access_token', 'refresh_token', 'id_token', 'client_secret', 'clientSecret', 'oidcClientSecret', 'authorization', 'password'];

/** Structured JSON logs on stdout (or `destination`); secrets are redacted wherever they may appear. */
export function createLogger(level: string, name = 'funcx-service', destination?: DestinationStream): Logger {
  const redact = ['req.headers.authorization', 'req.headers.cookie', ...SECRET_KEYS, ...SECRET_KEYS.map((key) => `*.${key}`)];
  return destination ? pino({ name, level, redact }, destination) : pino({ name, level, redact });
}
