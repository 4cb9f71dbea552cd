#!/usr/bin/env node
/**
 * funcx-service: serve | migrate | token create | config
 * The contract other tools rely on; see docs/deployment.md "Running the service".
 */
import { parseArgs } from 'node:util';
import { ConfigError, asError } from '../errors.js';
import { describeOptions, loadConfig, redactUrl } from '../config.js';
import { openDatabase } from '../db/connect.js';
import { migrateLatest } from '../db/migrate.js';
import { createToken } from '../registry/tokens.js';
import { packageVersion } from '../util/version.js';
import { startService } from '../service.js';
import { launchLocalEndpoint, type LocalEndpoint } from '../../endpoint/localLauncher.js';

const USAGE = `usage: funcx-service <command>

  serve [--local-endpoint NAME]      start the service (applies migrations first); with
                                     --local-endpoint, also a local endpoint (npm start)
  migrate                            apply database migrations and exit
  token create --user NAME [--group G ...] [--description TEXT]
                                     print a new API token for that identity
  config                             list every configuration option and its default
  --version                          print the version

Configuration comes from FUNCX_* environment variables and an optional
FUNCX_CONFIG_FILE (JSON or YAML); see \`funcx-service config\`.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'migrate': {
      const config = loadConfig();
      const db = openDatabase(config.databaseUrl, { poolMax: config.databasePoolMax });
      try {
        const applied = await migrateLatest(db);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await db.destroy();
      }
      return 0;
    }
    case 'token':
      return token(rest);
    case '--version':
    case 'version':
      console.log(`funcx-service ${packageVersion()}`);
      return 0;
    case 'config':
      console.log(describeOptions());
      return 0;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`funcx-service: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

async function token(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { user: { type: 'string' }, group: { type: 'string', multiple: true }, description: { type: 'string' } },
  });
  if (positionals[0] !== 'create' || !values.user) {
    console.error('usage: funcx-service token create --user NAME [--group G ...] [--description TEXT]');
    return 2;
  }
  const config = loadConfig();
  if (config.authMode !== 'local') {
    console.error(`FUNCX_AUTH_MODE=${config.authMode}: users bring access tokens from the identity provider; local API tokens are not accepted`);
    return 2;
  }
  const db = openDatabase(config.databaseUrl, { poolMax: config.databasePoolMax });
  try {
    await migrateLatest(db);
    const { token } = await createToken(db, { identity: values.user, groups: values.group ?? [], description: values.description });
    console.log(token);
  } finally {
    await db.destroy();
  }
  return 0;
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'local-endpoint': { type: 'string' } } });
  const config = loadConfig();
  const service = await startService(config);
  let endpoint: LocalEndpoint | undefined;
  let signals = 0;
  // Handlers before the first line is printed: a supervisor (or a test) may send SIGTERM as soon as it reads it,
  // and without a handler that signal would kill the process without a graceful stop.
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        console.error(`funcx-service: second ${signal}, exiting now`);
        endpoint?.kill();
        process.exit(1);
      }
      console.error(`funcx-service: ${signal}, stopping (send again to force)`);
      // The endpoint first: it posts its last results to the service.
      (endpoint?.stop() ?? Promise.resolve())
        .then(() => service.close())
        .then(resolve, (error) => {
          console.error(asError(error));
          process.exit(1);
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  if (service.quickstart) {
    console.error(`funcx service at ${service.url}; credentials for clients in ${service.quickstart.file}`);
  }
  const endpointName = values['local-endpoint'];
  if (endpointName) {
    if (!service.quickstart) throw new Error('--local-endpoint needs quickstart.json (FUNCX_WRITE_QUICKSTART=true) for its token');
    try {
      endpoint = await launchLocalEndpoint({
        name: endpointName,
        home: config.home,
        serviceUrl: service.url,
        quickstartFile: service.quickstart.file,
        logger: service.deps.logger,
      });
      console.error(`local endpoint "${endpointName}" is ${endpoint.endpointId} (in ${service.quickstart.file})`);
    } catch (error) {
      await service.close();
      throw error;
    }
  }
  endpoint?.child.once('exit', (code, signal) => {
    if (signals === 0) console.error(`funcx-service: the local endpoint exited (${signal ?? code}); the service keeps running`);
  });
  await stopped;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (error instanceof ConfigError) console.error(`funcx-service: ${error.message}`);
    else console.error(`funcx-service: ${redactUrl(asError(error).stack ?? String(error))}`);
    process.exitCode = 1;
  },
);
