/**
 * An endpoint is read with its allowed functions and groups, and a function with its sharing
 * groups, in one statement each (src/db/jsonArray.ts): a submit's checks cost MariaDB one round
 * trip, not two or three. The lists come back whole and in order at the schemas' largest sizes
 * (MariaDB's JSON_ARRAYAGG is cut at the session's group_concat_max_len), and empty as [].
 */
import { randomUUID } from 'node:crypto';
import { testOnEachDatabase } from '../helpers/databases.js';
import { countStatements } from '../helpers/statementCount.js';
import { loadEndpoint, registerEndpoint } from '../../src/registry/endpoints.js';
import { loadFunctions, registerFunction } from '../../src/registry/functions.js';
import { alice } from '../ledger/fixtures.js';

testOnEachDatabase('an endpoint with 1,000 allowed functions and 64 groups, and a function with 64 groups, are each one statement, their lists whole and sorted; none is []', async (t, db) => {
  const allowedFunctions = Array.from({ length: 1000 }, () => randomUUID());
  const allowedGroups = Array.from({ length: 64 }, (_, i) => `group-${String(63 - i).padStart(2, '0')}-${'x'.repeat(110)}`);
  const { endpoint_id: endpointId } = await registerEndpoint(db, alice, { name: 'wide', allowed_functions: allowedFunctions, allowed_groups: allowedGroups });
  const { endpoint_id: bareId } = await registerEndpoint(db, alice, { name: 'bare' });
  const sharedId = await registerFunction(db, alice.id, { runtime: 'python', source: 'def f():\n    pass\n', entry_point: 'f', group_ids: allowedGroups });
  const privateId = await registerFunction(db, alice.id, { runtime: 'python', source: 'def g():\n    pass\n', entry_point: 'g' });

  const wide = await countStatements(db, () => loadEndpoint(db, endpointId));
  t.is(wide.count, 1);
  t.deepEqual(wide.result!.allowed_functions, [...allowedFunctions].sort());
  t.deepEqual(wide.result!.allowed_groups, [...allowedGroups].sort());
  t.false('allowed_functions_json' in wide.result!); // the folded columns stay inside the read

  const bare = await loadEndpoint(db, bareId);
  t.deepEqual([bare!.allowed_functions, bare!.allowed_groups], [[], []]);
  t.is(await loadEndpoint(db, randomUUID()), undefined);

  const functions = await countStatements(db, () => loadFunctions(db, [sharedId, privateId]));
  t.is(functions.count, 1);
  t.deepEqual(functions.result.get(sharedId)!.group_ids, [...allowedGroups].sort());
  t.deepEqual(functions.result.get(privateId)!.group_ids, []);
  t.false('group_ids_json' in functions.result.get(sharedId)!);
});
