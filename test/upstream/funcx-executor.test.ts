/**
 * funcx 1.0.13's FuncXExecutor, unmodified, runs the seeds' headline example
 * (funcx-overview.rst) and the tutorial's functions against this service with
 * a private RabbitMQ: its submits ask for their result queue with
 * `create_websocket_queue` on POST /v2/submit, which declares it as 2.x's
 * `create_queue` does; a second executor reattaches with reload_tasks.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { startLiveService } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { rabbitmqMissing, startRabbitMq, type PrivateRabbit } from '../helpers/rabbitmq.js';
import { runUpstreamPython, upstreamMissing } from '../helpers/upstreamSdks.js';
import { requireRealPart } from '../helpers/realPart.js';

const SCRIPT = path.join(packageRoot(), 'test', 'upstream', 'funcx_executor.py');
const missing = upstreamMissing() ?? rabbitmqMissing();
let rabbit: PrivateRabbit | undefined;

if (requireRealPart('funcx 1.0 FuncXExecutor over AMQP', missing)) {
  test.before(async () => {
    rabbit = await startRabbitMq();
  });
  test.after.always(async () => {
    await rabbit?.stop();
  });

  test('funcx 1.0 FuncXExecutor runs the seeds\' example and the tutorial\'s functions, and a new executor reattaches with reload_tasks', async (t) => {
    const live = await startLiveService(t, 'sqlite', { amqpUrl: rabbit!.amqpUrl, amqpManagementUrl: rabbit!.managementUrl });
    const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 2, python: '/usr/bin/python3' } });
    const home = mkdtempSync(path.join(tmpdir(), 'funcx-upstream-'));
    t.teardown(() => rmSync(home, { recursive: true, force: true }));
    const stdout = await runUpstreamPython(t, SCRIPT, [], {
      FUNCX_URL: live.url, FUNCX_TOKEN: live.adminToken, FUNCX_ENDPOINT_ID: endpoint.endpointId, HOME: home,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
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
