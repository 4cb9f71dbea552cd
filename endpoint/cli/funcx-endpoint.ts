#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=1024
/**
 * funcx-endpoint: configure | start | stop | restart | list | delete | enable-on-boot |
 * disable-on-boot | diagnose | render-user-config. As users of funcX / Globus Compute know it. Endpoints live in
 * $FUNCX_HOME/NAME (FUNCX_HOME defaults to ~/.funcx). Exit codes: 0 ok, 1 failure, 2 usage,
 * 3 the service refused the endpoint's credential (a supervisor must not restart it),
 * 4 a local file could not be written (disk full, over quota or read-only; localDiskFull.ts).
 */
import { dispatch, EXIT_USAGE, UsageError, type CommandTable, type RunnableCommand } from '@funcx-ts/shared/cli/commandTable.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { packageVersion } from '../version.js';
import { EndpointConfigError } from '../config.js';
import { CredentialRefused, EXIT_CREDENTIAL_REFUSED } from '../errors.js';
import { RegistrationNeedsToken } from '../registration.js';
import { EndpointAlreadyRunning } from '../run.js';
import { EXIT_LOCAL_DISK_FULL, localDiskFullLine } from '../localDiskFull.js';
import { MultiUserNeedsRoot } from '../multiUser/run.js';
import { configureCommand } from './commands/configure.js';
import { restartCommand, startCommand, stopCommand } from './commands/lifecycle.js';
import { deleteCommand, listCommand } from './commands/manage.js';
import { disableOnBootCommand, enableOnBootCommand } from './commands/boot.js';
import { diagnoseCommand } from './commands/diagnose.js';
import { renderUserConfigCommand } from './commands/renderUserConfig.js';
import { EndpointVersionTooOld } from '../transport/versionCheck.js';

const TABLE: CommandTable<RunnableCommand> = {
  program: 'funcx-endpoint',
  commands: [configureCommand, startCommand, stopCommand, restartCommand, listCommand, deleteCommand, enableOnBootCommand, disableOnBootCommand, diagnoseCommand, renderUserConfigCommand],
  version: packageVersion,
  footer: `FUNCX_HOME (default ~/.funcx) holds the endpoints. Registering needs the
owner's API token: FUNCX_TOKEN, or FUNCX_HOME/quickstart.json.
Exit codes: 0 ok, 1 failure, 2 usage, 3 the service refused the endpoint's credential,
4 a local file could not be written (disk full, over quota or read-only).`,
};

async function main(argv: string[]): Promise<number> {
  const dispatched = dispatch(TABLE, argv);
  switch (dispatched.kind) {
    case 'print':
      console.log(dispatched.text);
      return 0;
    case 'usage-error':
      console.error(dispatched.message === undefined ? dispatched.usage : `funcx-endpoint: ${dispatched.message}\n\n${dispatched.usage}`);
      return EXIT_USAGE;
    case 'run':
      return dispatched.command.run(dispatched.values, dispatched.positionals);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (error instanceof UsageError) {
      console.error(`funcx-endpoint: ${error.message}${error.usage ? `\n\n${error.usage}` : ''}`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    const diskFull = localDiskFullLine(error);
    if (diskFull !== undefined) {
      console.error(`funcx-endpoint: ${diskFull}`);
      process.exitCode = EXIT_LOCAL_DISK_FULL;
      return;
    }
    if (error instanceof EndpointConfigError) console.error(`funcx-endpoint: bad configuration in ${error.message}`);
    else if (error instanceof CredentialRefused) console.error(`funcx-endpoint: ${error.message}`);
    else if (error instanceof RegistrationNeedsToken || error instanceof EndpointAlreadyRunning || error instanceof MultiUserNeedsRoot || error instanceof EndpointVersionTooOld) console.error(`funcx-endpoint: ${error.message}`);
    else console.error(`funcx-endpoint: ${asError(error).stack}`);
    process.exitCode = error instanceof CredentialRefused ? EXIT_CREDENTIAL_REFUSED : 1;
  },
);
