/**
 * A submit's tasks share the body's user_runtime object, so the ledger keys and encodes it once
 * per submit (src/ledger/submitTasks.ts, sharedObjectEncodings); each task still gets the key of
 * its own settings and runtime, and its runtime stored as it came.
 */
import { testOnEachDatabase } from '../helpers/databases.js';
import { submitTasks, type NewTask } from '../../src/ledger/submitTasks.js';
import { userConfigKey } from '../../src/ledger/userConfigKey.js';
import type { UserRuntime } from '@funcx-ts/shared/wire/user-runtime.js';
import { alice, functionAndEndpoint, row } from './fixtures.js';

testOnEachDatabase('tasks sharing one runtime object, or with their own settings or runtime, each get their own user-config key', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const shared = { sdk: { name: 'funcx_ts', version: '1' }, python_version: '3.11.2' } as unknown as UserRuntime;
  const other = { sdk: { name: 'funcx_ts', version: '1' }, python_version: '3.12.0' } as unknown as UserRuntime;
  const settings = { account: 'abc' };
  const cases: { config?: Record<string, unknown>; runtime?: UserRuntime }[] = [
    { runtime: shared },
    { runtime: shared },
    { config: settings, runtime: shared },
    { config: settings },
    { runtime: other },
    {},
    { config: { account: 'xyz' }, runtime: shared },
  ];
  const tasks: NewTask[] = cases.map(({ config, runtime }, i) => ({
    functionId, endpointId, payload: JSON.stringify({ args: [i], kwargs: {} }), serializer: 'json',
    ...(config ? { userEndpointConfig: config } : {}), ...(runtime ? { userRuntime: runtime } : {}),
  }));
  const { taskIds } = await submitTasks(db, { submitter: alice.id, tasks });
  const stored = await Promise.all(taskIds.map((id) => row(db, id)));
  const keys = stored.map((task) => task.user_config_key as string);
  cases.forEach(({ config, runtime }, i) => {
    t.is(keys[i], userConfigKey(config, runtime), `task ${i}`);
    t.deepEqual(stored[i].user_runtime ? JSON.parse(stored[i].user_runtime) : undefined, runtime, `task ${i}'s runtime`);
  });
  t.is(keys[0], keys[1]);
  t.is(new Set(keys).size, 6); // every other pair of (settings, runtime) differs
});
