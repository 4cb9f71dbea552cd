import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; secrets are redacted wherever they may appear. */
export function createLogger(level: string, name = 'funcx-service'): Logger {
  return pino({
    name,
    level,
    redact: ['req.headers.authorization', 'token', 'credential', '*.token', '*.credential'],
  });
}
