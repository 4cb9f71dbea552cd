/** Size limits are the service's: payload, tasks per submit, request body; a refused submit stores nothing. */
import { functionAndEndpoint, jsonPayload, serviceTest } from '../helpers/service.js';
import { submitTo, taskCount } from './support.js';

const LIMITS = { maxPayloadBytes: 2000, maxResultBytes: 2000, maxBatchTasks: 5, maxBodyBytes: 4096 };

serviceTest('a payload over maxPayloadBytes is TaskPayloadTooLarge, naming which task', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const big = await submitTo(live, endpointId, functionId, [jsonPayload(1), 'x'.repeat(2001)]);
  t.is(big.status, 413);
  t.deepEqual(big.body, { code: 'TaskPayloadTooLarge', reason: "task 1's payload is 2001 bytes; the limit is 2000", http_status_code: 413, details: { index: 1, size: 2001 } });
  // Bytes, not characters: 1000 two-byte characters are 2000 bytes (accepted), 1001 are over.
  t.is((await submitTo(live, endpointId, functionId, ['é'.repeat(1000)])).status, 200);
  const multibyte = await submitTo(live, endpointId, functionId, ['é'.repeat(1001)]);
  t.deepEqual(multibyte.body, { code: 'TaskPayloadTooLarge', reason: "task 0's payload is 2002 bytes; the limit is 2000", http_status_code: 413, details: { index: 0, size: 2002 } });
  const batch = await live.call('POST', '/v3/submit', { body: { tasks: [{ endpoint_id: endpointId, function_id: functionId, payload: 'y'.repeat(2001) }] } });
  t.is(batch.body.code, 'TaskPayloadTooLarge');
  t.is(await taskCount(live), 1);
}, LIMITS);

serviceTest('more tasks than maxBatchTasks in one submit is BatchRunTooLarge; exactly the limit is fine', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const many = await submitTo(live, endpointId, functionId, Array(6).fill(jsonPayload(1)));
  t.is(many.status, 413);
  t.deepEqual(many.body, { code: 'BatchRunTooLarge', reason: '6 tasks in one submit; the limit is 5', http_status_code: 413 });
  const mixed = await live.call('POST', '/v3/submit', {
    body: { tasks: Array.from({ length: 6 }, () => ({ endpoint_id: endpointId, function_id: functionId, payload: jsonPayload(1) })) },
  });
  t.deepEqual(mixed.body, { code: 'BatchRunTooLarge', reason: '6 tasks in one submit; the limit is 5', http_status_code: 413 });
  t.is(await taskCount(live), 0);
  t.is((await submitTo(live, endpointId, functionId, Array(5).fill(jsonPayload(1)))).status, 200);
  t.is(await taskCount(live), 5);
}, LIMITS);

serviceTest('a request body over maxBodyBytes is RequestBodyTooLarge, declared or streamed', async (t, live) => {
  const { functionId, endpointId } = await functionAndEndpoint(live);
  const huge = await submitTo(live, endpointId, functionId, ['y'.repeat(5000)]);
  t.is(huge.status, 413);
  t.deepEqual(huge.body, { code: 'RequestBodyTooLarge', reason: `request body of ${JSON.stringify({ tasks: { [functionId]: ['y'.repeat(5000)] } }).length} bytes is over the 4096-byte limit`, http_status_code: 413 });
  // Without a Content-Length (chunked), the body is counted as it arrives.
  const chunks = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(1000)));
      controller.close();
    },
  });
  const streamed = await fetch(`${live.url}/v3/functions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${live.adminToken}`, 'content-type': 'application/json' },
    body: chunks,
    duplex: 'half',
  } as RequestInit);
  t.is(streamed.status, 413);
  t.deepEqual(await streamed.json(), { code: 'RequestBodyTooLarge', reason: 'request body is over the 4096-byte limit', http_status_code: 413 });
  t.is(await taskCount(live), 0);
}, LIMITS);
