/**
 * FuncXExecutor (concurrent.futures) against a real service and endpoint:
 * futures, batching, one waiting thread, exceptions, map, shutdown and cancel.
 */
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { runPythonSuite } from './support.js';

serviceTest('FuncXExecutor runs futures on an endpoint', async (t, live) => {
  // Two workers: the tests hold at most one on a gate while the other runs the rest.
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 2 } });
  await runPythonSuite(t, live, ['test_executor'], { endpointId: endpoint.endpointId });
});
