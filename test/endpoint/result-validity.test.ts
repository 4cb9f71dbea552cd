/**
 * A result the service would refuse must not hold up the results posted with
 * or after it: exception fields from user code are made schema-valid before
 * they are spooled, and a batch the service refuses (400) is split until the
 * offending result is alone, which is then reported as a failure it accepts.
 */
import test from 'ava';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess, waitFor } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';
import { acceptableException } from '../../endpoint/agent/index.js';
import { endpointPaths } from '../../endpoint/paths.js';

const LONG_NAME = `def fail(kind):
    if kind == "fail":
        raise type("E" * 300, (Exception,), {})("a long-named exception")
    return "ok"
`;

test('exception fields are coerced to what the results schema accepts', (t) => {
  const coerced = acceptableException({ type: 7, message: { nested: true }, traceback: 42, serialized: 'abc' });
  t.deepEqual(coerced, { type: '7', message: '{"nested":true}', serialized: 'abc' });
  t.is(acceptableException({ type: 'X'.repeat(300), message: 'm' }).type.length, 256);
  t.is(acceptableException({ type: '', message: 'm' }).type, 'Exception');
  t.is(acceptableException(undefined).message, '');
  // Cut by code points, so no half of a surrogate pair is left at the end.
  t.is(Array.from(acceptableException({ type: '😀'.repeat(300), message: '' }).type).length, 256);
});

serviceTest('a Python exception with a 300-character class name fails the task, and later results still arrive', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 1 } });
  const fn = await registerPython(live, LONG_NAME, 'fail');
  const [failing] = await submit(live, endpoint.endpointId, fn, [['fail']]);
  const first = await waitForTasks(live, [failing], 60_000);
  t.is(first[failing].status, 'failed', JSON.stringify(first[failing]));
  const exception = JSON.parse(JSON.stringify(first[failing].exception));
  t.true(exception.type.length <= 256);
  t.true(exception.type.endsWith('E'.repeat(100)) || exception.type.includes('E'.repeat(200)), exception.type);
  t.regex(exception.message, /a long-named exception/);

  const [after] = await submit(live, endpoint.endpointId, fn, [['pass']]);
  const second = await waitForTasks(live, [after], 60_000);
  t.is(second[after].status, 'success');
  t.is(JSON.parse(second[after].result), 'ok');
});

serviceTest('a spooled result the service refuses (400) is isolated and does not block later results', async (t, live) => {
  const home = path.join(live.database.dir, 'endpoints');
  const paths = endpointPaths('test-endpoint', home);
  mkdirSync(paths.spool, { recursive: true });
  // Left by an earlier run: the service refuses it whatever its content (not a uuid).
  const bogus = { task_id: 'not-a-task-id', lease_token: 'token', attempt: 1, status: 'success', result: '1', result_serializer: 'json' };
  writeFileSync(path.join(paths.spool, 'not-a-task-id.1.json'), JSON.stringify(bogus));

  const endpoint = await startEndpointProcess(t, live, { home });
  const fn = await registerPython(live, LONG_NAME, 'fail');
  const [taskId] = await submit(live, endpoint.endpointId, fn, [['pass']]);
  const done = await waitForTasks(live, [taskId], 60_000);
  t.is(done[taskId].status, 'success');
  t.regex(endpoint.output(), /refused this result as malformed/);
  await waitFor(() => readdirSync(paths.spool).length === 0, 'the spool to empty');
});
