/**
 * The Python client with asyncio (awaitable executor futures, AsyncFuncXClient in a real event
 * loop) and live output (follow_output, sync and async), against a real service and endpoint.
 */
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { runPythonSuite } from './support.js';

serviceTest('the Python client: asyncio and live output', async (t, live) => {
  // Two workers: a test holds one on a gate while the other runs the rest.
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 2 } });
  await runPythonSuite(t, live, ['test_async_and_output'], { endpointId: endpoint.endpointId });
});
