/**
 * A task's resource_specification: accepted by both submit routes, stored, and
 * handed to the endpoint with its lease; contradictory numbers refused at
 * submit; an mpi function's task refused without one.
 */
import { assertSchema, functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { lease, registerFunction, submitTo } from './support.js';

const MPI_FUNCTION = { runtime: 'mpi', name: 'ranks', source: '$PARSL_MPI_PREFIX hostname', entry_point: undefined, description: 'mpi' };

serviceTest('resource_specification: per-endpoint and batch submits store it and the lease hands it to the endpoint', async (t, live) => {
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const spec = { num_nodes: 2, ranks_per_node: 2, launcher_options: '--cpu-bind=cores' };
  const single = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra: { resource_specification: spec } });
  t.is(single.status, 200, JSON.stringify(single.body));
  const batch = await live.call('POST', '/v3/submit', {
    body: { tasks: [
      { endpoint_id: endpointId, function_id: functionId, payload: jsonPayload(2), resource_specification: { num_ranks: 3 } },
      { endpoint_id: endpointId, function_id: functionId, payload: jsonPayload(3) },
    ] },
  });
  t.is(batch.status, 200, JSON.stringify(batch.body));
  const leased = await lease(live, endpointId, credential, 10);
  assertSchema(t, 'endpoint-lease-response.json', leased.body);
  const byId = new Map<string, { resource_specification?: unknown }>(leased.body.tasks.map((task: { task_id: string }) => [task.task_id, task]));
  t.deepEqual(byId.get(single.body.tasks[functionId][0])?.resource_specification, spec);
  t.deepEqual(byId.get(batch.body.tasks[0].task_id)?.resource_specification, { num_ranks: 3 });
  t.false('resource_specification' in byId.get(batch.body.tasks[1].task_id)!, 'an ordinary task carries none');
});

serviceTest('resource_specification: numbers that contradict each other, or unknown keys, are refused with nothing stored', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const tooMany = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra: { resource_specification: { num_nodes: 2, ranks_per_node: 2, num_ranks: 5 } } });
  t.is(tooMany.status, 400);
  t.deepEqual(tooMany.body, {
    code: 'ResourceSpecificationInvalid',
    reason: "task 0's resource_specification: num_ranks 5 is more than num_nodes 2 × ranks_per_node 2",
    http_status_code: 400,
    details: { index: 0 },
  });
  const idleNodes = await live.call('POST', '/v3/submit', {
    body: { tasks: [
      { endpoint_id: endpointId, function_id: functionId, payload: jsonPayload(1) },
      { endpoint_id: endpointId, function_id: functionId, payload: jsonPayload(2), resource_specification: { num_nodes: 4, num_ranks: 2 } },
    ] },
  });
  t.is(idleNodes.status, 400);
  t.like(idleNodes.body, { code: 'ResourceSpecificationInvalid', reason: "task 1's resource_specification: num_ranks 2 leaves some of the 4 nodes without a rank", details: { index: 1 } });
  const unknown = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra: { resource_specification: { nodes: 2 } } });
  t.is(unknown.status, 400);
  t.is(unknown.body.code, 'RequestMalformed');
  const zero = await submitTo(live, endpointId, functionId, [jsonPayload(1)], { extra: { resource_specification: { num_nodes: 0 } } });
  t.is(zero.status, 400);
  t.is(Number((await live.db('tasks').count({ n: '*' }))[0].n), 0);
});

serviceTest('mpi functions: registered with runtime mpi; a task without resource_specification is refused, one with it accepted', async (t, live) => {
  const { endpointId, credential } = await functionAndEndpoint(live);
  const mpiId = await registerFunction(live, MPI_FUNCTION);
  const fn = await live.call('GET', `/v3/functions/${mpiId}`);
  t.like(fn.body, { runtime: 'mpi', source: '$PARSL_MPI_PREFIX hostname' });
  const bare = await submitTo(live, endpointId, mpiId, [jsonPayload()]);
  t.is(bare.status, 400);
  t.deepEqual(bare.body, {
    code: 'ResourceSpecificationInvalid',
    reason: `task 0 runs mpi function ${mpiId}, which needs a resource_specification (num_nodes, ranks_per_node or num_ranks)`,
    http_status_code: 400,
    details: { index: 0 },
  });
  const ok = await submitTo(live, endpointId, mpiId, [jsonPayload()], { extra: { resource_specification: { num_ranks: 2 } } });
  t.is(ok.status, 200, JSON.stringify(ok.body));
  const leased = await lease(live, endpointId, credential, 1);
  t.like(leased.body.functions[mpiId], { runtime: 'mpi' });
  t.deepEqual(leased.body.tasks[0].resource_specification, { num_ranks: 2 });
});
