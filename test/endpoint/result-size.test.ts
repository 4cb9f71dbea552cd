/**
 * max_result_bytes: a result larger than the endpoint's limit fails the task
 * with TaskResultTooLarge on the endpoint, before it is spooled or sent.
 */
import test from 'ava';
import YAML from 'yaml';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { configTemplate, DEFAULT_MAX_RESULT_BYTES } from '../../endpoint/config.js';

test('the config template documents max_result_bytes with the service default', (t) => {
  const template = configTemplate({ name: 'x', serviceUrl: 'http://127.0.0.1:1' });
  t.is(YAML.parse(template).max_result_bytes, DEFAULT_MAX_RESULT_BYTES);
  t.is(DEFAULT_MAX_RESULT_BYTES, 10 * 1024 * 1024);
  t.regex(template, /TaskResultTooLarge/);
});

serviceTest('a result over max_result_bytes fails with TaskResultTooLarge; a smaller one succeeds', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live, { config: { max_result_bytes: 1000 } });
  const fn = await registerPython(live, 'def text(n):\n    return "x" * n\n', 'text');
  const [large, small] = await submit(live, endpoint.endpointId, fn, [[5000], [100]]);
  const done = await waitForTasks(live, [large, small], 60_000);
  t.is(done[large].status, 'failed');
  t.is(done[large].exception.type, 'TaskResultTooLarge');
  t.regex(done[large].exception.message, /max_result_bytes/); // decided by the endpoint, not the service
  t.is(done[small].status, 'success');
  t.is(JSON.parse(done[small].result), 'x'.repeat(100));
});
