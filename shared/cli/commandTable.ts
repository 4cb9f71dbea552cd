/**
 * A command table for the three command lines (funcx, funcx-endpoint, funcx-service): each
 * command is an entry (its words, synopsis, summary, options, how many arguments), and
 * `dispatch` turns argv into one of three outcomes, so that every program has the same
 * manners:
 *
 *   - `--help` / `-h` anywhere (on the program, a group such as `funcx task`, or a command)
 *     prints usage on stdout, exits 0, and runs nothing;
 *   - an unknown command, an unknown option or a wrong number of arguments is a usage error
 *     (exit 2) with the command's usage, never a stack trace;
 *   - otherwise the command runs with its parsed options.
 *
 * Dependency-free (node:util only) and importing nothing of src/, endpoint/ or sdk/: every
 * part may use it, and it can move into a shared package as is.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export const EXIT_OK = 0;
export const EXIT_USAGE = 2;

/** Bad command line: exit 2 with the message and the command's usage. */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
  }
}

/** What a table needs of a command; each program's commands add their own `run`. */
export interface CommandEntry {
  /** The words that select it: 'serve', 'token create'. */
  name: string;
  /** Arguments after the words, as shown in usage. */
  synopsis: string;
  summary: string;
  options?: Options;
  /** Options that must be given (a usage error names the first one missing). */
  required?: readonly string[];
  /** How many positional arguments it takes. */
  positionals: { min: number; max: number };
}

/** A command that runs with its parsed options and arguments (funcx-service, funcx-endpoint). */
export interface RunnableCommand extends CommandEntry {
  run(values: Values, positionals: string[]): Promise<number>;
}

export interface CommandTable<C extends CommandEntry> {
  program: string;
  commands: readonly C[];
  /** Options every command takes (`--help` is added), and how they read in usage. */
  commonOptions?: Options;
  commonSynopsis?: string;
  /** Printed by `--version` and `version`. */
  version: () => string;
  /** Lines under the command list in the program's usage (environment, exit codes). */
  footer?: string;
}

export type Dispatched<C> =
  /** Print `text` on stdout and exit 0 (help, version). */
  | { kind: 'print'; text: string }
  /** Exit 2: print the message (absent when no command was given) and the usage on stderr. */
  | { kind: 'usage-error'; message?: string; usage: string }
  | { kind: 'run'; command: C; values: Values; positionals: string[] };

const HELP: Options = { help: { type: 'boolean', short: 'h' } };
const isHelp = (word: string) => word === '--help' || word === '-h';

/** The program's usage: every command (or only a group's, such as `funcx task`'s), one line each with its synopsis under it. */
export function programUsage<C extends CommandEntry>(table: CommandTable<C>, group?: string): string {
  const commands = group ? table.commands.filter((c) => c.name.startsWith(`${group} `)) : table.commands;
  const common = table.commonSynopsis ? ` ${table.commonSynopsis}` : '';
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    group ? `usage: ${table.program} ${group} COMMAND [ARGS]${common}` : `usage: ${table.program} COMMAND [ARGS]${common}      ${table.program} --version`,
    '',
    ...commands.flatMap((c) => [`  ${c.name.padEnd(width)}${c.summary}`, ...(c.synopsis ? [`  ${' '.repeat(width)}  ${c.name} ${c.synopsis}`] : [])]),
    ...(table.footer && !group ? ['', table.footer] : []),
  ].join('\n');
}

export function commandUsage<C extends CommandEntry>(table: CommandTable<C>, command: C): string {
  const common = table.commonSynopsis ? ` ${table.commonSynopsis}` : '';
  return `usage: ${table.program} ${command.name}${command.synopsis ? ` ${command.synopsis}` : ''}${common}\n  ${command.summary}`;
}

/** The command whose words begin argv (the longest such name), and the arguments after them. */
function findCommand<C extends CommandEntry>(commands: readonly C[], argv: string[]): { command?: C; rest: string[] } {
  const longest = Math.max(...commands.map((c) => c.name.split(' ').length));
  for (let words = longest; words >= 1; words--) {
    const name = argv.slice(0, words).join(' ');
    const command = commands.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return { rest: argv };
}

export function dispatch<C extends CommandEntry>(table: CommandTable<C>, argv: string[]): Dispatched<C> {
  const [first] = argv;
  if (first === undefined) return { kind: 'usage-error', usage: programUsage(table) };
  if (first === 'help' || isHelp(first)) return { kind: 'print', text: programUsage(table) };
  if (first === '--version' || first === 'version') return { kind: 'print', text: `${table.program} ${table.version()}` };
  const { command, rest } = findCommand(table.commands, argv);
  if (!command) {
    // A group's first word ('funcx task', 'funcx-service token'): its own commands' usage.
    if (table.commands.some((c) => c.name.startsWith(`${first} `))) {
      const usage = programUsage(table, first);
      if (argv.slice(1).some(isHelp)) return { kind: 'print', text: usage };
      const second = argv.slice(1).find((a) => !a.startsWith('-'));
      return { kind: 'usage-error', message: second ? `unknown command "${first} ${second}"` : `${first}: name one of its commands`, usage };
    }
    return { kind: 'usage-error', message: `unknown ${first.startsWith('-') ? 'option' : 'command'} "${first}"`, usage: programUsage(table) };
  }
  const usage = commandUsage(table, command);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...table.commonOptions, ...HELP, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    // --help wins over a mistake elsewhere on the line: the user asked how to write it.
    if (rest.some(isHelp)) return { kind: 'print', text: usage };
    return { kind: 'usage-error', message: `${command.name}: ${(error as Error).message}`, usage };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'print', text: usage };
  const missing = command.required?.find((name) => values[name] === undefined);
  if (missing) return { kind: 'usage-error', message: `${command.name}: --${missing} is required`, usage };
  if (positionals.length < command.positionals.min || positionals.length > command.positionals.max) {
    return { kind: 'usage-error', message: `${command.name}: wrong number of arguments`, usage };
  }
  return { kind: 'run', command, values, positionals };
}

/** A string option's value (undefined if absent). */
export const optionString = (values: Values, name: string): string | undefined => values[name] as string | undefined;
