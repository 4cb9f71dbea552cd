/**
 * funcx 1.0.13's FuncXExecutor, unmodified, runs the seeds' headline example
 * (funcx-overview.rst) and the tutorial's functions against this service with
 * a private RabbitMQ: its submits ask for their result queue with
 * `create_websocket_queue` on POST /v2/submit, which declares it as 2.x's
 * `create_queue` does; a second executor reattaches with reload_tasks.
 */
import test from 'ava';
import { amqpSuite } from './amqpSuite.js';

const suite = amqpSuite('funcx 1.0 FuncXExecutor over AMQP');

if (suite) {
  test('funcx 1.0 FuncXExecutor runs the seeds\' example and the tutorial\'s functions, and a new executor reattaches with reload_tasks', async (t) => {
    const out = await suite.runScript(t, 'funcx_executor.py');
    t.is(out.hello, 'Hello World!');
    t.is(out.sum, 15);
    t.is(out.echo, 'Hello World');
    t.deepEqual(out.squares, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    t.regex(out.failure, /deterministic failure/);
    // Every task of the group comes back once: sum, echo, the ten squares with their results, and the failure.
    const reloaded = out.reloaded as Record<string, unknown>;
    t.is(Object.keys(reloaded).length, 13);
    for (const [taskId, value] of Object.entries(out.submitted as Record<string, number>)) t.is(reloaded[taskId], value);
    t.is(Object.values(reloaded).filter((value) => typeof value === 'string' && value.startsWith('failed:')).length, 1);
  });
}
