#!/usr/bin/env node
/**
 * `funcx`: the user's command line. Exit codes: 0 ok, 1 remote failure (the
 * service refused, could not be reached, or a task failed), 2 usage.
 * `--json` on every command prints one JSON document for scripts.
 */
import { parseArgs } from 'node:util';
import { LoginFailed } from '../auth/errors.js';
import { Client } from '../client.js';
import { ConfigurationMissing, FuncxError, InvalidArgument, RemoteException, ServiceError } from '../errors.js';
import type { Command, Options } from './command.js';
import { endpointListCommand, endpointStatusCommand } from './commands/endpoint.js';
import { functionRegisterCommand, functionSearchCommand } from './commands/function.js';
import { loginCommand } from './commands/login.js';
import { runCommand } from './commands/run.js';
import { taskGetCommand, taskWaitCommand } from './commands/task.js';
import { endpointTasksCommand, taskListCommand } from './commands/taskList.js';
import { taskCancelCommand } from './commands/taskCancel.js';
import { packageVersion } from '../version.js';
import { EXIT_OK, EXIT_REMOTE_FAILURE, EXIT_USAGE, UsageError, print, printError, type CliIo } from './io.js';

const COMMANDS: Command[] = [
  loginCommand, functionRegisterCommand, functionSearchCommand, runCommand,
  taskGetCommand, taskWaitCommand, taskListCommand, taskCancelCommand, endpointListCommand, endpointStatusCommand, endpointTasksCommand,
];

/** Options every command takes. */
const COMMON_OPTIONS: Options = {
  json: { type: 'boolean' },
  'service-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function usage(command?: Command): string {
  if (command) return `usage: funcx ${command.name} ${command.synopsis} [--json] [--service-url URL]\n  ${command.summary}`;
  return [
    'usage: funcx COMMAND [ARGS] [--json] [--service-url URL]      funcx --version',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(17)} ${c.summary}`),
    '',
    'The service and token come from --service-url, FUNCX_SERVICE_URL / FUNCX_TOKEN, `funcx login`,',
    'or $FUNCX_HOME/quickstart.json (FUNCX_HOME defaults to ~/.funcx). Exit codes: 0 ok, 1 remote failure, 2 usage.',
  ].join('\n');
}

function findCommand(argv: string[]): { command?: Command; rest: string[] } {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return { rest: argv };
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    (argv.length === 0 ? printError : print)(io, usage());
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  if (argv[0] === '--version' || argv[0] === 'version') {
    print(io, `funcx ${packageVersion()}`);
    return EXIT_OK;
  }
  const { command, rest } = findCommand(argv);
  let json = argv.includes('--json');
  try {
    if (!command) throw new UsageError(`unknown command: funcx ${argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}`, usage());
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...COMMON_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError((error as Error).message, usage(command));
    }
    const { values, positionals } = parsed;
    if (values.help) {
      print(io, usage(command));
      return EXIT_OK;
    }
    json = values.json === true;
    if (positionals.length < command.positionals.min || positionals.length > command.positionals.max) {
      throw new UsageError(`${command.name}: wrong number of arguments`, usage(command));
    }
    let client: Client | undefined;
    return await command.run({
      io,
      values,
      positionals,
      json,
      client: () => (client ??= new Client({ serviceUrl: values['service-url'] as string | undefined, env: io.env, caller: 'cli' })),
    });
  } catch (error) {
    return reportError(io, error, json);
  }
}

function reportError(io: CliIo, error: unknown, json: boolean): number {
  // A bad argument the SDK refused, or no service/token configured: the caller's to fix, like a usage error.
  const isUsage = error instanceof UsageError || error instanceof InvalidArgument || error instanceof ConfigurationMissing;
  const code = isUsage ? EXIT_USAGE : EXIT_REMOTE_FAILURE;
  if (json) {
    const body: Record<string, unknown> = { code: error instanceof FuncxError || error instanceof LoginFailed ? error.code : isUsage ? 'UsageError' : 'Error', message: (error as Error).message };
    if (error instanceof ServiceError) Object.assign(body, { status: error.status, request_id: error.requestId });
    if (error instanceof RemoteException) body.traceback = error.remoteTraceback;
    printError(io, JSON.stringify({ error: body }));
  } else {
    printError(io, `funcx: ${(error as Error).message}`);
    if (error instanceof UsageError && error.usage) printError(io, error.usage);
    // A failed login (refused by the identity provider, or cancelled) is the user's news, not a bug: no stack.
    if (!(error instanceof FuncxError) && !(error instanceof LoginFailed) && !isUsage) printError(io, (error as Error).stack ?? '');
  }
  return code;
}

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = EXIT_REMOTE_FAILURE;
  },
);
