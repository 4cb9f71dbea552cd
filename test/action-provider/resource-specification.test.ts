/**
 * The Action Provider's input carries a resource_specification per task (V3
 * tasks, V2 top level and V2 tasks): stored with the tasks and handed to the
 * endpoint with their leases; a contradictory one is refused with the
 * submit's own code; an mpi function without one is refused.
 */
import { serviceTest } from '../helpers/service.js';
import { lease, registerEndpoint } from '../api/support.js';
import { DOUBLE, ap, newCaller, registerPythonAs } from './support.js';

serviceTest('Action Provider: resource_specification in V3 and V2 input reaches the endpoint; a bad one is refused', async (t, live) => {
  const alice = await newCaller(live);
  const { endpointId, credential } = await registerEndpoint(live, {}, alice.token);
  const fn = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const run = (requestId: string, body: unknown) => ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: { request_id: requestId, body } });

  const v3 = await run('v3', { endpoint_id: endpointId, tasks: [{ function_id: fn, args: [1], resource_specification: { num_nodes: 2, ranks_per_node: 2 } }, { function_id: fn, args: [2] }] });
  t.is(v3.status, 202, JSON.stringify(v3.body));
  const v2 = await run('v2', { endpoint: endpointId, function: fn, args: [3], resource_specification: { num_ranks: 4 }, tasks: [{ endpoint: endpointId, function: fn, args: [4], resource_specification: { num_ranks: 1 } }] });
  t.is(v2.status, 202, JSON.stringify(v2.body));
  const leased = await lease(live, endpointId, credential, 10);
  const specs = leased.body.tasks.map((task: { payload: string; resource_specification?: unknown }) => [JSON.parse(task.payload).args[0], task.resource_specification ?? null]);
  t.deepEqual(specs.sort((a: [number], b: [number]) => a[0] - b[0]), [[1, { num_nodes: 2, ranks_per_node: 2 }], [2, null], [3, { num_ranks: 4 }], [4, { num_ranks: 1 }]]);

  const bad = await run('bad', { endpoint_id: endpointId, tasks: [{ function_id: fn, resource_specification: { num_nodes: 1, ranks_per_node: 1, num_ranks: 2 } }] });
  t.deepEqual([bad.status, bad.body.code], [400, 'ResourceSpecificationInvalid']);
  t.is(bad.body.description, "task 0's resource_specification: num_ranks 2 is more than num_nodes 1 × ranks_per_node 1");
  const mpi = await live.call('POST', '/v3/functions', { token: alice.token, body: { runtime: 'mpi', source: '$PARSL_MPI_PREFIX hostname' } });
  const bare = await run('bare', { endpoint_id: endpointId, tasks: [{ function_id: mpi.body.function_uuid }] });
  t.deepEqual([bare.status, bare.body.code], [400, 'ResourceSpecificationInvalid']);
});
