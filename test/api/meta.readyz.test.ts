/** /readyz: ready only when the database answers and every migration this build knows is applied. */
import { assertSchema, serviceTest } from '../helpers/service.js';
import { MIGRATIONS } from '../../migrations/index.js';

serviceTest('readyz is ready once migrated, and 503 DatabaseUnavailable naming a migration the database lacks', async (t, live) => {
  const ready = await live.call('GET', '/readyz', { token: '' });
  t.is(ready.status, 200);
  t.like(ready.body, { status: 'ready' });

  // As if this replica's build were ahead of the database: its last migration is not recorded.
  const last = MIGRATIONS[MIGRATIONS.length - 1].name;
  const removed = await live.db('knex_migrations').where({ name: last }).delete();
  t.is(removed, 1);
  const behind = await live.call('GET', '/readyz', { token: '' });
  t.is(behind.status, 503);
  assertSchema(t, 'error.json', behind.body);
  t.is(behind.body.code, 'DatabaseUnavailable');
  t.true(behind.body.reason.includes(last), behind.body.reason);
  t.is(behind.headers.get('retry-after'), '5');
  // Liveness is not readiness: the process itself is fine.
  t.is((await live.call('GET', '/healthz', { token: '' })).status, 200);
});
