/** The Python client's MPIFunction, ShellFunction and resource_specification (Batch, FuncXExecutor) against a real service and endpoint. */
import test from 'ava';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { runPythonSuite } from './support.js';

test('Python client: MPIFunction and resource_specification reach the endpoint\'s launcher prefix', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const endpoint = await startEndpointProcess(t, live, { config: { runtimes: ['mpi', 'shell', 'python'], mpi: { launcher: 'mpirun' } } });
  await runPythonSuite(t, live, ['test_mpi'], { endpointId: endpoint.endpointId });
});
