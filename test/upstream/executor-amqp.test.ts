/**
 * globus_compute_sdk.Executor 2.34.0, unmodified, gets its results over AMQP
 * from a private RabbitMQ: the service declares each task group's queue,
 * hands each user credentials that read only their own queues, and publishes
 * every finished task in the upstream Result message format.
 */
import test from 'ava';
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { assertSchema } from '../helpers/service.js';
import { amqpSuite } from './amqpSuite.js';

const suite = amqpSuite('upstream Executor over AMQP');

if (suite) {
  test('globus_compute_sdk.Executor submits (one call, five at once, a failure), its results arriving over AMQP', async (t) => {
    const out = await suite.runScript(t, 'upstream_executor.py');
    t.is(out.submit, 42);
    t.deepEqual(out.map, [0, 2, 4, 6, 8]);
    t.regex(out.failure, /ValueError: executor failure/);
  });

  test('each user\'s AMQP credentials read only their own result queues', async (t) => {
    const live = await suite.liveService(t);
    const alice = await live.call('GET', '/v2/get_amqp_result_connection_url');
    assertSchema(t, 'upstream-amqp-connection.json', alice.body);
    const bobToken = await live.tokenFor('bob');
    const bob = await live.call('GET', '/v2/get_amqp_result_connection_url', { token: bobToken });
    t.not(bob.body.queue_prefix, alice.body.queue_prefix);
    t.false(bob.body.connection_url.includes('guest'));

    // Alice's task group queue, declared by a submit asking for it (create_queue), as the Executor's do.
    const fn = await live.call('POST', '/v2/functions', { body: { function_name: 'f', function_code: '9\n04\nabcdef' } });
    const ep = await live.call('POST', '/v3/endpoints', { body: { name: 'no-agent' } });
    const payload = '6\n11\n[1]5\n11\n{}';
    const submitted = await live.call('POST', `/v3/endpoints/${ep.body.endpoint_id}/submit`, { body: { create_queue: true, tasks: { [fn.body.function_uuid]: [payload] } } });
    const group = submitted.body.task_group_id as string;
    const taskId = submitted.body.tasks[fn.body.function_uuid][0] as string;
    const aliceQueue = `${alice.body.queue_prefix}${group}`;

    const bobConnection = await amqp.connect(bob.body.connection_url);
    t.teardown(() => bobConnection.close().catch(() => undefined));
    const bobChannel = await bobConnection.createChannel();
    bobChannel.on('error', () => undefined);
    await t.throwsAsync(bobChannel.consume(aliceQueue, () => undefined), { message: /ACCESS_REFUSED/ });
    // Nor may a user make queues or publish.
    const again = await bobConnection.createChannel();
    again.on('error', () => undefined);
    await t.throwsAsync(again.assertQueue(`${bob.body.queue_prefix}${randomUUID()}`), { message: /ACCESS_REFUSED/ });

    // Alice (the admin token's identity) may consume hers, with the newest password (each answer rotates it);
    // a cancel is published there as a failed Result, in the upstream message format.
    const latest = await live.call('GET', '/v2/get_amqp_result_connection_url');
    const aliceConnection = await amqp.connect(latest.body.connection_url);
    t.teardown(() => aliceConnection.close().catch(() => undefined));
    const aliceChannel = await aliceConnection.createChannel();
    const received = new Promise<Buffer>((resolve) => {
      void aliceChannel.consume(aliceQueue, (message) => message && resolve(message.content));
    });
    t.is((await live.call('POST', `/v3/tasks/${taskId}/cancel`)).status, 200);
    const body = await received;
    t.is(body[0], 1); // messagepack protocol version 1
    t.deepEqual(JSON.parse(body.subarray(1).toString('utf8')), {
      message_type: 'result',
      data: {
        task_id: taskId, data: 'TaskCancelled: the task was cancelled by its submitter', details: null,
        error_details: { code: 'TaskCancelled', user_message: 'the task was cancelled by its submitter' }, task_statuses: null,
      },
    });
  });
}
