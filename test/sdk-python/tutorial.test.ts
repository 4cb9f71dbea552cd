/**
 * The seeds' tutorial in Python, as written (sdk/python/tests/test_tutorial.py),
 * with the funcx client against a real service, a real funcx-endpoint process
 * and its python3 workers.
 */
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { runPythonSuite } from './support.js';

serviceTest('the Python tutorial runs as written through the funcx client', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 2 } });
  await runPythonSuite(t, live, ['test_tutorial'], { endpointId: endpoint.endpointId, endpointWorkers: 2 });
});
