import { pino, type DestinationStream, type Logger } from 'pino';
import { build as prettyStream } from 'pino-pretty';
import { colourWanted } from '@funcx-ts/shared/cli/colour.js';
import { REDACTED_LOG_PATHS } from '@funcx-ts/shared/logRedaction.js';
import { LogLineBatch, type LineSink } from './logLineBatch.js';

export type { Logger };

export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * Structured JSON logs on stdout (or `destination`); secrets are redacted wherever they may appear.
 * `format` pretty (or auto on a terminal) prints the same records human-readable, in this thread
 * (pino-pretty as a stream, not a transport worker), so nothing is lost when the process exits;
 * in colour unless NO_COLOR is set (a convention of the environment, read here, not a FUNCX_ option).
 */
export function createLogger(level: string, name = 'funcx-service', destination?: DestinationStream, format: LogFormat = 'json'): Logger {
  const redact = [...REDACTED_LOG_PATHS];
  const pretty = !destination && (format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true));
  if (pretty) return pino({ name, level, redact }, prettyStream({ colorize: colourWanted(process.stdout, process.env), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
  // stdout written asynchronously: a synchronous write blocks the event loop whenever the pipe is
  // full (a slow reader), which the peers bench's profile showed at 7% of the service's CPU. Lines
  // are gathered for 20 ms and written together (src/logLineBatch.ts); what is left goes out at exit.
  return pino({ name, level, redact }, destination ?? new LogLineBatch(stdoutDestination()));
}

/** Lines waiting for a log file that cannot take them (a full disk) are kept up to this much, then dropped. */
const MAX_UNWRITTEN_LOG_BYTES = 8 * 1024 * 1024;

/**
 * stdout, which may be a log file (`funcx-endpoint start` detached). A failed write (ENOSPC
 * on a full disk) must not stop the process: without a listener the stream's 'error' would be
 * thrown. The unwritten lines stay buffered (bounded) and go out with the next line once there is room.
 */
function stdoutDestination(): DestinationStream & LineSink {
  const stream = pino.destination({ dest: 1, sync: false, maxLength: MAX_UNWRITTEN_LOG_BYTES });
  stream.on('error', () => {
    // Nowhere to report it: stdout is the log. The next log line writes the buffered ones again.
  });
  return stream;
}
