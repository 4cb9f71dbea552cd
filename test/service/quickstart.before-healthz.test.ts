/**
 * The service answers no request before $FUNCX_HOME/quickstart.json is written: a tool that
 * polls /healthz and then reads the file never finds it missing. The port is bound first
 * (FUNCX_PORT, or port 0), the answers wait for the end of start-up.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';
import { freePort } from '../helpers/mariadb.js';
import { MYSQL_BASE_URL, migratedDatabase } from '../helpers/databases.js';
import { waitFor } from '../helpers/endpointProcess.js';

test('no request is answered before quickstart.json is written: /healthz waits while the admin token cannot be stored yet', async (t) => {
  if (!MYSQL_BASE_URL) {
    console.warn('SKIPPED: quickstart-before-healthz needs the MariaDB of the test run (LOCK TABLES holds the token insert)');
    t.pass();
    return;
  }
  t.timeout(120_000);
  const { db, database } = await migratedDatabase(t, 'mariadb');
  // Another session holds api_tokens: the service's first start cannot store the quickstart token yet.
  const locker = database.open();
  const connection = await locker.client.acquireConnection();
  await connection.promise().query('LOCK TABLES api_tokens WRITE');
  let locked = true;
  const unlock = async () => {
    if (!locked) return;
    locked = false;
    await connection.promise().query('UNLOCK TABLES');
    await locker.client.releaseConnection(connection);
  };
  t.teardown(unlock);
  const home = path.join(database.dir, 'home');
  const file = path.join(home, 'quickstart.json');
  const port = await freePort();
  const config = loadConfig({}, { host: '127.0.0.1', port, home, databaseUrl: database.url, logLevel: 'silent' });
  const starting = startService(config, { db, logger: createLogger('silent') });
  t.teardown(async () => (await starting.catch(() => undefined))?.close());
  await waitFor(async () => {
    const [rows] = await locker.raw("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'insert into `api_tokens`%'") as [{ n: number }[]];
    return Number(rows[0].n) > 0;
  }, 'the service to wait to store its token', 60_000);
  t.false(existsSync(file));
  // The port is bound already; the answer must wait for the file.
  const answered = fetch(`http://127.0.0.1:${port}/healthz`).then((response) => ({ status: response.status, fileThen: existsSync(file) }));
  const early = await Promise.race([answered, new Promise((resolve) => setTimeout(() => resolve('no answer yet'), 1500))]);
  t.is(early, 'no answer yet');
  await unlock();
  t.deepEqual(await answered, { status: 200, fileThen: true });
  t.is((await starting).port, port, 'FUNCX_PORT is kept');
});

test('port 0 still works: the service listens on a port of its own and quickstart.json names it', async (t) => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'funcx-quickstart-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const config = loadConfig({}, { host: '127.0.0.1', port: 0, home, logLevel: 'silent' });
  const service = await startService(config, { logger: createLogger('silent') });
  t.teardown(() => service.close());
  t.true(service.port > 0);
  t.is((JSON.parse(readFileSync(path.join(home, 'quickstart.json'), 'utf8')) as { service_url: string }).service_url, `http://127.0.0.1:${service.port}`);
  t.is((await fetch(`http://127.0.0.1:${service.port}/healthz`)).status, 200);
});
