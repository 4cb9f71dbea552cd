/** What every `funcx` subcommand is: its words, usage, options, and what it does. */
import type { CommandEntry, Values } from '@funcx-ts/shared/cli/commandTable.js';
import { Client } from '../client.js';
import type { CliIo } from './io.js';

export { optionString, type Options, type Values } from '@funcx-ts/shared/cli/commandTable.js';

export interface CommandContext {
  io: CliIo;
  values: Values;
  positionals: string[];
  /** --json: one JSON document on stdout, for scripts. */
  json: boolean;
  /** A client from --service-url, the environment and FUNCX_HOME (made when first needed). */
  client(): Client;
}

/** A `funcx` subcommand: its entry in the command table (words, usage, options; see shared/cli/commandTable.ts) and what it does. */
export interface Command extends CommandEntry {
  run(context: CommandContext): Promise<number>;
}
