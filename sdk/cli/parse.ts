/** Turning command-line text into values, with usage errors that say what was wrong. */
import { optionString, type Values } from './command.js';
import { UsageError } from './io.js';

/** An integer option (undefined if absent); below `min` or not an integer is a usage error. */
export function integerOption(values: Values, name: string, min: number): number | undefined {
  const text = optionString(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer of at least ${min}, not ${JSON.stringify(text)}`);
  return value;
}

/** A number of seconds (undefined if absent). */
export function secondsOption(values: Values, name: string): number | undefined {
  const text = optionString(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${name} must be a positive number of seconds, not ${JSON.stringify(text)}`);
  return value;
}

/** One JSON value from the command line; `what` names it in the error. */
export function jsonArgument(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${what} must be JSON (a string needs its quotes: '"text"'), not ${text}`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A task, function or endpoint id from the command line. Checked here so that a word that is
 * not an id (often the output of a command that failed, `$(funcx run ...)`) is named as such,
 * rather than sent to the service and answered with a schema path.
 */
export function idArgument(text: string, kind: 'task' | 'task group' | 'function' | 'endpoint'): string {
  if (!UUID.test(text)) throw new UsageError(`not ${kind === 'endpoint' ? 'an' : 'a'} ${kind} id: ${quoted(text)}`);
  return text.toLowerCase();
}

function quoted(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return `'${shown.replace(/'/g, "\\'")}'`;
}
