/**
 * The Python client's FuncXClient against a real service and endpoint:
 * both serializers, remote exceptions rebuilt as their classes, typed errors
 * with the service's codes, TaskPending and cancellation, retries through a
 * flaky proxy, registration, configuration from quickstart.json, endpoint status.
 */
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { runPythonSuite } from './support.js';

serviceTest('the Python client: serializers, errors, registration and configuration', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 2 } });
  await runPythonSuite(t, live, ['test_serializers', 'test_errors', 'test_registration', 'test_config', 'test_endpoints', 'test_tasks', 'test_round_trip'], { endpointId: endpoint.endpointId, endpointWorkers: 2 });
});
