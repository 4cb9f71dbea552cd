#!/usr/bin/env -S node --single-threaded-gc --no-memory-reducer
/**
 * funcx-service: serve | migrate | token create|list|revoke | config
 * The contract other tools rely on; see docs/deployment.md "Running the service".
 * Exit codes: 0 ok, 1 failure (bad configuration, database), 2 usage.
 */
import { dispatch, EXIT_USAGE, UsageError, type CommandTable } from '@funcx-ts/shared/cli/commandTable.js';
import { ConfigError, asError } from '../errors.js';
import { describeOptions, loadConfig, redactUrl } from '../config.js';
import { openDatabase } from '../db/connect.js';
import { migrateLatest } from '../db/migrate.js';
import { packageVersion } from '../util/version.js';
import type { ServiceCommand } from './command.js';
import { serveCommand } from './commands/serve.js';
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './commands/tokens.js';

const migrateCommand: ServiceCommand = {
  name: 'migrate',
  synopsis: '',
  summary: 'apply database migrations and exit',
  positionals: { min: 0, max: 0 },
  async run() {
    const config = loadConfig();
    const db = openDatabase(config.databaseUrl, { poolMax: config.databasePoolMax });
    try {
      const applied = await migrateLatest(db);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await db.destroy();
    }
    return 0;
  },
};

const configCommand: ServiceCommand = {
  name: 'config',
  synopsis: '',
  summary: 'list every configuration option and its default',
  positionals: { min: 0, max: 0 },
  async run() {
    console.log(describeOptions());
    return 0;
  },
};

const TABLE: CommandTable<ServiceCommand> = {
  program: 'funcx-service',
  commands: [serveCommand, migrateCommand, tokenCreateCommand, tokenListCommand, tokenRevokeCommand, configCommand],
  version: packageVersion,
  footer: `Configuration comes from FUNCX_* environment variables and an optional
FUNCX_CONFIG_FILE (JSON or YAML); see \`funcx-service config\`. Exit codes: 0 ok, 1 failure, 2 usage.`,
};

async function main(argv: string[]): Promise<number> {
  const dispatched = dispatch(TABLE, argv);
  switch (dispatched.kind) {
    case 'print':
      console.log(dispatched.text);
      return 0;
    case 'usage-error':
      // No command at all: the usage on stdout, as `funcx-service` always printed it.
      if (dispatched.message === undefined) console.log(dispatched.usage);
      else console.error(`funcx-service: ${dispatched.message}\n\n${dispatched.usage}`);
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
      console.error(`funcx-service: ${error.message}${error.usage ? `\n\n${error.usage}` : ''}`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    if (error instanceof ConfigError) console.error(`funcx-service: ${error.message}`);
    else console.error(`funcx-service: ${redactUrl(asError(error).stack ?? String(error))}`);
    process.exitCode = 1;
  },
);
