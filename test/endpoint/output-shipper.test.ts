/**
 * The agent's live-output shipper against a real service: text pushed faster than it is sent
 * keeps at most 1 MiB unsent per task (the oldest dropped, the offsets still true, so the service
 * records the gap), a task's last text goes out on finish, and a lease the service refuses
 * stops the sending for that task.
 */
import test from 'ava';
import { startLiveService } from '../helpers/service.js';
import { functionAndEndpoint, jsonPayload } from '../helpers/service.js';
import { lease, submitOk } from '../api/support.js';
import { MAX_PENDING_BYTES, OutputShipper } from '../../endpoint/outputShipper.js';
import { ServiceClient } from '../../endpoint/client.js';
import { createLogger } from '../../src/logger.js';
import { eventually } from '../helpers/within.js';

test('output shipper: 3 MiB pushed at once keeps the newest 1 MiB; finish sends it with its true offset', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [task] = (await lease(live, endpointId, credential, 1)).body.tasks;
  const shipper = new OutputShipper({ client: new ServiceClient(live.url), credential, endpointId, log: createLogger('silent') });
  t.teardown(() => shipper.close());

  const line = 'ż'.repeat(511) + 'x\n'; // 1 KiB with two-byte characters: a cut must not split one
  for (let i = 0; i < 3 * 1024; i++) shipper.push(taskId, task.lease_token, line);
  await shipper.finish(taskId);

  const output = (await live.call('GET', `/v3/tasks/${taskId}/output`)).body;
  t.is(output.next_offset, 3 * 1024 * 1024);
  t.is(output.dropped, 3 * 1024 * 1024 - MAX_PENDING_BYTES);
  t.is(Buffer.byteLength(output.text), MAX_PENDING_BYTES);
  t.is(output.text, line.repeat(1024));
});

test('output shipper: a refused lease stops the sending for that task', async (t) => {
  const live = await startLiveService(t, 'sqlite');
  const { functionId, endpointId, credential } = await functionAndEndpoint(live);
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  await lease(live, endpointId, credential, 1);
  const client = new ServiceClient(live.url);
  const posts: string[][] = [];
  const postOutput = client.postOutput.bind(client);
  client.postOutput = async (...args) => {
    const answer = await postOutput(...args);
    posts.push(answer.refused);
    return answer;
  };
  const shipper = new OutputShipper({ client, credential, endpointId, log: createLogger('silent') });
  t.teardown(() => shipper.close());
  shipper.push(taskId, 'not-the-lease', 'a\n');
  await eventually(30_000, 'the first post', () => posts.length > 0);
  shipper.push(taskId, 'not-the-lease', 'b\n'); // after the refusal: not taken
  await shipper.finish(taskId);
  t.deepEqual(posts, [[taskId]]);
  t.is((await live.call('GET', `/v3/tasks/${taskId}/output`)).body.text, '');
});
