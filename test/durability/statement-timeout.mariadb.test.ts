/**
 * MariaDB may hold a statement instead of failing it (waiting for disk space, for a lock): each
 * session's max_statement_time (FUNCX_DATABASE_STATEMENT_TIMEOUT) ends the wait, and the answer is
 * 503 DatabaseUnavailable with Retry-After, not a hung request or a 500. Held here for real by a
 * table lock another connection keeps (a disk wait cannot be made to order on InnoDB); once it is
 * released the same request answers 200.
 */
import { openDatabase } from '../../src/db/connect.js';
import { MYSQL_BASE_URL } from '../helpers/databases.js';
import { testWithRealPart } from '../helpers/realPart.js';
import { functionAndEndpoint, startLiveService } from '../helpers/service.js';
import { submit } from '../helpers/tasks.js';

const mariadbTest = testWithRealPart('test/durability/statement-timeout.mariadb', MYSQL_BASE_URL ? undefined : 'no MariaDB (run through dist/scripts/run-tests.js, or set FUNCX_TEST_MYSQL_URL)', { requiredBy: 'FUNCX_TEST_REQUIRE_MARIADB' });

mariadbTest('a statement MariaDB holds past FUNCX_DATABASE_STATEMENT_TIMEOUT is answered 503 DatabaseUnavailable with Retry-After; 200 once released', async (t) => {
  t.timeout(180_000);
  const live = await startLiveService(t, 'mariadb', { databaseStatementTimeout: '1s' });
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const [taskId] = await submit(live, endpointId, functionId, [[1]]);

  // Another session (no statement limit) write-locks the tasks table and keeps the lock.
  const holder = openDatabase(live.database.url, { poolMax: 1 });
  t.teardown(() => holder.destroy());
  const connection = await holder.client.acquireConnection();
  t.teardown(() => holder.client.releaseConnection(connection));
  const query = (sql: string) => new Promise<void>((resolve, reject) => connection.query(sql, (error: Error | null) => (error ? reject(error) : resolve())));
  await query('LOCK TABLES tasks WRITE');

  const held = await live.call('GET', `/v2/tasks/${taskId}`);
  t.is(held.status, 503, JSON.stringify(held.body));
  t.is(held.body.code, 'DatabaseUnavailable');
  t.regex(held.body.reason, /did not finish in time/);
  t.is(held.headers.get('retry-after'), '5');

  await query('UNLOCK TABLES');
  const released = await live.call('GET', `/v2/tasks/${taskId}`);
  t.is(released.status, 200, JSON.stringify(released.body));
});
