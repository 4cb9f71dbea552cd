import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { testOnEachEmptyDatabase } from '../helpers/databases.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../migrations/index.js';

const SERVICE_CLI = fileURLToPath(new URL('../../src/cli/funcx-service.js', import.meta.url));
const run = promisify(execFile);

testOnEachEmptyDatabase('three replicas running `funcx-service migrate` on a fresh database at once apply each migration once', async (t, database) => {
  const env = { ...process.env, FUNCX_DATABASE_URL: database.url, FUNCX_HOME: database.dir };
  const outputs = await Promise.all([1, 2, 3].map(() => run(process.execPath, [SERVICE_CLI, 'migrate'], { env })));
  const applying = outputs.filter((o) => o.stdout.startsWith('applied:'));
  t.is(applying.length, 1, outputs.map((o) => o.stdout + o.stderr).join('\n'));
  t.is(outputs.filter((o) => o.stdout.trim() === 'database is up to date').length, 2);
  const db = database.open();
  t.deepEqual(await db('knex_migrations').pluck('name'), MIGRATIONS.map((m) => m.name));
  t.deepEqual(await migrateLatest(db), []);
});
