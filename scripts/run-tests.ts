/**
 * `npm test` after build and lint: starts a private MariaDB when `mariadbd` is
 * installed (so every suite also runs on MariaDB), runs ava, and always stops
 * the server and removes its files, whatever happens to the tests.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startMariaDb, type MariaDbServer } from '../test/helpers/mariadb.js';
import { packageRoot } from '../src/util/paths.js';
import { partRequired } from '../test/helpers/requiredParts.js';

const root = packageRoot();
let server: MariaDbServer | undefined;
const env = { ...process.env };

if (process.env.FUNCX_TEST_MYSQL_URL) {
  console.log(`MariaDB suites: using FUNCX_TEST_MYSQL_URL`);
} else {
  try {
    server = await startMariaDb();
    env.FUNCX_TEST_MYSQL_URL = server.url;
    console.log(`MariaDB suites: private server at ${server.url}`);
  } catch (error) {
    const banner = '!'.repeat(78);
    // CI (.ci/run) sets FUNCX_TEST_REQUIRE_ALL=1: there the concurrency suites only truly race
    // on MariaDB, so a server that cannot start fails the run instead of quietly skipping them.
    if (partRequired('FUNCX_TEST_REQUIRE_MARIADB')) {
      console.log(`${banner}\n!! MariaDB could not start and it is required (FUNCX_TEST_REQUIRE_ALL or FUNCX_TEST_REQUIRE_MARIADB): FAILING\n!! ${(error as Error).message}\n${banner}`);
      process.exit(1);
    }
    console.log(`${banner}\n!! MariaDB suites SKIPPED: ${(error as Error).message.split('\n')[0]}\n${banner}`);
  }
}

const stopServer = async () => {
  const s = server;
  server = undefined;
  await s?.stop();
};

const ava = spawn(process.execPath, [path.join(root, 'node_modules/ava/entrypoints/cli.mjs'), ...process.argv.slice(2)], {
  cwd: root,
  env,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    ava.kill(signal);
  });
}
const code = await new Promise<number>((resolve) => ava.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await stopServer();
process.exit(code);
