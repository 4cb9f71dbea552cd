/**
 * The seeds' tutorial, function by function, through a real service, a real
 * `funcx-endpoint` process and real python3 workers.
 */
import { execFileSync } from 'node:child_process';
import { serviceTest } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { registerPython, submit, waitForTasks } from '../helpers/tasks.js';

const python = (code: string, input = '') => execFileSync('python3', ['-c', code], { input, encoding: 'utf8' }).trim();
const picklePayload = (argsLiteral: string) =>
  python(`import pickle, base64; print(base64.b64encode(pickle.dumps((${argsLiteral}, {}))).decode())`);

serviceTest('every tutorial function runs on a python endpoint', async (t, live) => {
  const endpoint = await startEndpointProcess(t, live);
  const fns = {
    hello: await registerPython(live, 'def hello_world():\n    return "Hello World!"\n', 'hello_world'),
    sum: await registerPython(live, 'def funcx_sum(items):\n    return sum(items)\n', 'funcx_sum'),
    date: await registerPython(live, 'def funcx_date():\n    from datetime import date\n    return date.today()\n', 'funcx_date'),
    echo: await registerPython(live, 'def funcx_echo(name):\n    import os\n    return os.popen("echo Hello %s" % name).read()\n', 'funcx_echo'),
    failing: await registerPython(live, 'def failing():\n    raise Exception("deterministic failure")\n', 'failing'),
    pi: await registerPython(live, [
      'def pi(num_points):',
      '    from random import random',
      '    inside = 0',
      '    for i in range(num_points):',
      '        x, y = random(), random()',
      '        if x**2 + y**2 < 1:',
      '            inside += 1',
      '    return (inside*4 / num_points)',
    ].join('\n') + '\n', 'pi'),
    squared: await registerPython(live, 'def squared(x):\n    return x**2\n', 'squared'),
  };
  const [hello] = await submit(live, endpoint.endpointId, fns.hello, [[]]);
  const [sum] = await submit(live, endpoint.endpointId, fns.sum, [[[1, 2, 3, 4, 5]]]);
  const [echo] = await submit(live, endpoint.endpointId, fns.echo, [['World']]);
  const [failing] = await submit(live, endpoint.endpointId, fns.failing, [[]]);
  const pis = await submit(live, endpoint.endpointId, fns.pi, [[10 ** 5], [10 ** 5], [10 ** 5]]);
  const squares = await submit(live, endpoint.endpointId, fns.squared, Array.from({ length: 10 }, (_, x) => [x]));
  const [datePickled] = await submit(live, endpoint.endpointId, fns.date, [], { serializer: 'pickle', payloads: [picklePayload('()')] });
  const [dateJson] = await submit(live, endpoint.endpointId, fns.date, [[]]);

  const done = await waitForTasks(live, [hello, sum, echo, failing, ...pis, ...squares, datePickled, dateJson]);
  t.is(JSON.parse(done[hello].result), 'Hello World!');
  t.is(JSON.parse(done[sum].result), 15);
  t.is(JSON.parse(done[echo].result), 'Hello World\n');
  t.is(done[failing].status, 'failed');
  t.is(done[failing].exception.type, 'Exception');
  t.is(done[failing].exception.message, 'deterministic failure');
  t.regex(done[failing].exception.traceback, /deterministic failure/);
  for (const id of pis) {
    const estimate = JSON.parse(done[id].result);
    t.true(estimate > 3 && estimate < 3.3, `pi estimate ${estimate}`);
  }
  t.deepEqual(squares.map((id) => JSON.parse(done[id].result)), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
  // pickle round-trips Python objects: the tutorial's date.today() comes back a datetime.date
  t.is(done[datePickled].result_serializer, 'pickle');
  t.is(python('import pickle, base64, sys; print(type(pickle.loads(base64.b64decode(sys.stdin.read()))).__name__)', done[datePickled].result), 'date');
  // json cannot carry a date: a clear error naming the type
  t.is(done[dateJson].status, 'failed');
  t.regex(`${done[dateJson].exception.type}: ${done[dateJson].exception.message}`, /date/);
});
