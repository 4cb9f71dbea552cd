/** What every `funcx` subcommand is: its words, usage, options, and what it does. */
import type { ParseArgsConfig } from 'node:util';
import { Client } from '../client.js';
import type { CliIo } from './io.js';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  io: CliIo;
  values: Values;
  positionals: string[];
  /** --json: one JSON document on stdout, for scripts. */
  json: boolean;
  /** A client from --service-url, the environment and FUNCX_HOME (made when first needed). */
  client(): Client;
}

export interface Command {
  /** The words that select it: 'run', 'task wait'. */
  name: string;
  /** Arguments after the words, as shown in usage. */
  synopsis: string;
  summary: string;
  options?: Options;
  /** How many positional arguments it takes. */
  positionals: { min: number; max: number };
  run(context: CommandContext): Promise<number>;
}

export const optionString = (values: Values, name: string): string | undefined => values[name] as string | undefined;
