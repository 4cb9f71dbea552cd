/**
 * The setup every upstream-executor-over-AMQP suite shares: one private RabbitMQ for the file
 * (started before its tests, stopped after), a live service publishing results to it, a real
 * endpoint, and an unmodified upstream Python script run against both.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { startLiveService, type LiveService } from '../helpers/service.js';
import { startEndpointProcess } from '../helpers/endpointProcess.js';
import { rabbitmqMissing, startRabbitMq, type PrivateRabbit } from '../helpers/rabbitmq.js';
import { runUpstreamPython, upstreamMissing } from '../helpers/upstreamSdks.js';
import { requireRealPart } from '../helpers/realPart.js';

export interface AmqpSuite {
  /** A live service (SQLite) whose results go to this file's RabbitMQ. */
  liveService(t: ExecutionContext): Promise<LiveService>;
  /** Runs test/upstream/SCRIPT against a live service and an endpoint; the JSON of its last line. */
  runScript(t: ExecutionContext, script: string): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the script's own JSON, checked field by field
}

/** The suite's helpers, or undefined when the upstream SDKs or RabbitMQ are missing (then one skipped/failing test stands for the suite). */
export function amqpSuite(suite: string): AmqpSuite | undefined {
  if (!requireRealPart(suite, upstreamMissing() ?? rabbitmqMissing())) return undefined;
  let rabbit: PrivateRabbit | undefined;
  test.before(async () => {
    rabbit = await startRabbitMq();
  });
  test.after.always(async () => {
    await rabbit?.stop();
  });
  const liveService = (t: ExecutionContext) => startLiveService(t, 'sqlite', { amqpUrl: rabbit!.amqpUrl, amqpManagementUrl: rabbit!.managementUrl });
  return {
    liveService,
    runScript: async (t, script) => {
      const live = await liveService(t);
      const endpoint = await startEndpointProcess(t, live, { config: { max_workers: 2, python: '/usr/bin/python3' } });
      const home = mkdtempSync(path.join(tmpdir(), 'funcx-upstream-'));
      t.teardown(() => rmSync(home, { recursive: true, force: true }));
      const stdout = await runUpstreamPython(t, path.join(packageRoot(), 'test', 'upstream', script), [], {
        FUNCX_URL: live.url, FUNCX_TOKEN: live.adminToken, FUNCX_ENDPOINT_ID: endpoint.endpointId, HOME: home,
      });
      return JSON.parse(stdout.trim().split('\n').pop()!);
    },
  };
}
