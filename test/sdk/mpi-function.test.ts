/**
 * The TS SDK's MPI surface against a real service and endpoint: an
 * MPIFunction registers with runtime mpi; run, batch.add and the Executor
 * send a resourceSpecification, and the task's $PARSL_MPI_PREFIX shows the
 * launcher built from it. The command only echoes the prefix, so no MPI is
 * needed here (test/mpi/ runs real ranks).
 */
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { Executor, MPIFunction, RemoteException, type ShellResult } from '../../sdk/index.js';
import { clientFor, settle } from './support.js';
import test from 'ava';

test('MPIFunction: registered as mpi; run, batch and Executor carry the resource specification to $PARSL_MPI_PREFIX', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const endpoint = await startEndpointProcess(t, live, { config: { runtimes: ['mpi', 'python'], mpi: { launcher: 'mpirun', options: ['--bind-to', 'none'] } } });
  const client = clientFor(live, { endpointId: endpoint.endpointId });
  const echo = new MPIFunction('echo "$PARSL_MPI_PREFIX {what}"');
  const functionId = await client.registerFunction(echo);
  t.like(await client.getFunction(functionId), { runtime: 'mpi', name: 'mpi-function' });

  const ran = await client.run({ functionId, kwargs: { what: 'run' }, resourceSpecification: { num_ranks: 3 } });
  const batch = client.createBatch();
  batch.add({ functionId, kwargs: { what: 'batch' }, resourceSpecification: { ranks_per_node: 2, launcher_options: '-x FOO' } });
  const [batched] = await client.batchRun(batch);
  await settle(client, [ran, batched]);
  t.is(((await client.getResult(ran)) as ShellResult).stdout, 'mpirun -n 3 --host localhost:3 --bind-to none run\n');
  t.is(((await client.getResult(batched)) as ShellResult).stdout, 'mpirun -n 2 --host localhost:2 --bind-to none -x FOO batch\n');

  // The service refuses an MPI call without a specification, before anything runs.
  await t.throwsAsync(client.run({ functionId, kwargs: { what: 'bare' } }), { message: /needs a resource_specification/ });

  const executor = new Executor({ client, resourceSpecification: { num_nodes: 1, num_ranks: 4 } });
  try {
    const result = await executor.submitWithKwargs<ShellResult>(echo, [], { what: 'executor' });
    t.is(result.stdout, 'mpirun -n 4 --host localhost:4 --bind-to none executor\n');
    // More nodes than the endpoint's one: the endpoint fails the task at once.
    executor.resourceSpecification = { num_nodes: 2 };
    const error = await t.throwsAsync(executor.submitWithKwargs(echo, [], { what: 'too big' }), { instanceOf: RemoteException });
    t.is(error?.remoteType, 'ResourceSpecificationUnsatisfiable');
  } finally {
    await executor.shutdown();
  }
});
