/**
 * A request that wakes a waiting long-poll lets that poll answer first (src/http/wokenAnswersFirst.ts):
 * a submit handed to the agent's waiting lease poll ends the poll's answer before its own, and a
 * results post ends the waiting client's `tasks/wait` answer before its own (on SQLite, whose
 * reads finish within the turn it gives; on MariaDB the wait's look waits for its read). Real
 * HTTP and real databases; the order is taken from the service's own `end()` calls, so it does
 * not depend on which socket the test process reads first.
 */
import http from 'node:http';
import type { ApiResponse, LiveService } from '../helpers/service.js';
import { jsonPayload, serviceTest } from '../helpers/service.js';
import { postResults, registerEndpoint, registerFunction, submitOk } from './support.js';
import { waitingLeasePollsOf } from '../../src/http/waitingLeasePolls.js';
import { waitFor } from '../helpers/endpointProcess.js';

/** The routes whose responses this service ends, in order ("POST /v3/endpoints/:id/lease"). */
function endedResponses(live: LiveService, teardown: (fn: () => void) => void): string[] {
  const ended: string[] = [];
  const port = new URL(live.url).port;
  const end = http.ServerResponse.prototype.end;
  // Both database variants of this test run at once in this process: each keeps its own service's responses.
  http.ServerResponse.prototype.end = function (this: http.ServerResponse, ...args: unknown[]) {
    if (String(this.req?.socket?.localPort) === port) ended.push(`${this.req.method} ${(this.req.url ?? '').split('?')[0].replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id')}`);
    return (end as (...a: unknown[]) => http.ServerResponse).apply(this, args);
  } as typeof end;
  teardown(() => { http.ServerResponse.prototype.end = end; });
  return ended;
}

serviceTest('a submit handed to a waiting lease poll ends the poll\'s answer before its own; a results post ends the waiting client\'s answer before its own (SQLite)', async (t, live) => {
  const functionId = await registerFunction(live);
  const { endpointId, credential } = await registerEndpoint(live);
  const ended = endedResponses(live, (fn) => t.teardown(fn));

  const waiting: Promise<ApiResponse> = live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: { wait_s: 20, max_tasks: 1 } });
  await waitFor(() => waitingLeasePollsOf(live.db).size === 1, 'the lease poll to wait');
  ended.length = 0;
  const [taskId] = await submitOk(live, endpointId, functionId, [jsonPayload(1)]);
  const [handed] = (await waiting).body.tasks;
  t.is(handed.task_id, taskId);
  t.deepEqual(ended, ['POST /v3/endpoints/:id/lease', 'POST /v3/endpoints/:id/submit']);

  const keysBefore = live.service.deps.wakeups.size;
  const wait = live.call('POST', '/v3/tasks/wait', { body: { task_ids: [taskId], timeout_s: 20 } });
  await waitFor(() => live.service.deps.wakeups.size > keysBefore, 'the wait to park');
  ended.length = 0;
  const posted = await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: handed.lease_token, status: 'success', result: '2' }]);
  t.like(posted.body.results[0], { outcome: 'stored' });
  t.truthy((await wait).body.done?.[taskId], 'the wait answered with the task');
  if (live.kind === 'sqlite') t.deepEqual(ended, ['POST /v3/tasks/wait', 'POST /v3/endpoints/:id/results']);
  else t.deepEqual([...ended].sort(), ['POST /v3/endpoints/:id/results', 'POST /v3/tasks/wait']);
});
