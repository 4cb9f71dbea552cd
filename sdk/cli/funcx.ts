#!/usr/bin/env node
/**
 * `funcx`: the user's command line. Exit codes: 0 ok, 1 remote failure (the
 * service refused, could not be reached, or a task failed), 2 usage.
 * `--json` on every command prints one JSON document for scripts.
 */
import { dispatch, type CommandTable } from '@funcx-ts/shared/cli/commandTable.js';
import { LoginFailed } from '../auth/errors.js';
import { Client } from '../client.js';
import { ConfigurationMissing, FuncxError, InvalidArgument, RemoteException, ServiceError } from '../errors.js';
import type { Command, Options } from './command.js';
import { endpointListCommand, endpointStatusCommand } from './commands/endpoint.js';
import { functionRegisterCommand, functionSearchCommand } from './commands/function.js';
import { loginCommand } from './commands/login.js';
import { runCommand } from './commands/run.js';
import { taskGetCommand, taskWaitCommand } from './commands/task.js';
import { taskLogsCommand } from './commands/taskLogs.js';
import { taskStatusCommand } from './commands/taskStatus.js';
import { endpointTasksCommand, taskListCommand } from './commands/taskList.js';
import { taskCancelCommand } from './commands/taskCancel.js';
import { packageVersion } from '../version.js';
import { EXIT_OK, EXIT_REMOTE_FAILURE, EXIT_USAGE, UsageError, print, printError, type CliIo } from './io.js';

const COMMANDS: Command[] = [
  loginCommand, functionRegisterCommand, functionSearchCommand, runCommand,
  taskGetCommand, taskWaitCommand, taskStatusCommand, taskLogsCommand, taskListCommand, taskCancelCommand, endpointListCommand, endpointStatusCommand, endpointTasksCommand,
];

const TABLE: CommandTable<Command> = {
  program: 'funcx',
  commands: COMMANDS,
  /** Options every command takes. */
  commonOptions: {
    json: { type: 'boolean' },
    'service-url': { type: 'string' },
  } satisfies Options,
  commonSynopsis: '[--json] [--service-url URL]',
  version: packageVersion,
  footer: [
    'The service and token come from --service-url, FUNCX_SERVICE_URL / FUNCX_TOKEN, `funcx login`,',
    'or $FUNCX_HOME/quickstart.json (FUNCX_HOME defaults to ~/.funcx). Exit codes: 0 ok, 1 remote failure, 2 usage.',
  ].join('\n'),
};

export async function main(argv: string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json');
  try {
    const dispatched = dispatch(TABLE, argv);
    if (dispatched.kind === 'print') {
      print(io, dispatched.text);
      return EXIT_OK;
    }
    if (dispatched.kind === 'usage-error') {
      if (dispatched.message === undefined) {
        printError(io, dispatched.usage);
        return EXIT_USAGE;
      }
      throw new UsageError(dispatched.message, dispatched.usage);
    }
    const { command, values, positionals } = dispatched;
    json = values.json === true;
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
