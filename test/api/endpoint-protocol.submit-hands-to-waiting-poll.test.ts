/**
 * A submit whose endpoint's lease poll waits on this service leases its tasks to that poll in
 * its own transaction (src/http/waitingLeasePolls.ts, submitToWaitingPolls.ts): the poll answers
 * them without a lease statement, on the poll's terms, and a failed or replayed submit hands it
 * nothing and leaves it waiting. Real HTTP and real databases.
 */
import type { ApiResponse, LiveService } from '../helpers/service.js';
import { assertSchema, jsonPayload, serviceTest } from '../helpers/service.js';
import { postResults, registerEndpoint, registerFunction, submitOk, submitTo } from './support.js';
import { waitingLeasePollsOf } from '../../src/http/waitingLeasePolls.js';

/** Until `count` lease polls wait on the service (bounded: about 10 s). */
async function pollsWaiting(live: LiveService, count = 1): Promise<boolean> {
  for (let i = 0; i < 2000; i++) {
    if (waitingLeasePollsOf(live.db).size === count) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}

function poll(live: LiveService, endpointId: string, credential: string, body: Record<string, unknown>): Promise<ApiResponse> {
  return live.call('POST', `/v3/endpoints/${endpointId}/lease`, { token: credential, body: { wait_s: 20, ...body } });
}

/** The statements sent while `work` runs. */
async function statementsDuring<T>(live: LiveService, work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const onQuery = (query: { sql: string }) => statements.push(query.sql.trim());
  live.db.on('query', onQuery);
  try {
    return { result: await work(), statements };
  } finally {
    live.db.off('query', onQuery);
  }
}

serviceTest('a task submitted while its endpoint\'s poll waits here is leased to that poll by the submit: the poll answers it with no lease statement, and its result is stored under that lease', async (t, live) => {
  const functionId = await registerFunction(live);
  const { endpointId, credential } = await registerEndpoint(live);
  const waiting = poll(live, endpointId, credential, { max_tasks: 4, session: 'handoff-session-1' });
  t.true(await pollsWaiting(live));

  const { result: [taskId, answer], statements } = await statementsDuring(live, async () => {
    const [id] = await submitOk(live, endpointId, functionId, [jsonPayload(7)]);
    return [id, await waiting] as const;
  });
  t.is(answer.status, 200);
  assertSchema(t, 'endpoint-lease-response.json', answer.body);
  t.deepEqual(answer.body.tasks.map((task: { task_id: string }) => task.task_id), [taskId]);
  const [handed] = answer.body.tasks;
  t.like(handed, { attempt: 1, function_id: functionId, payload: jsonPayload(7) });
  t.is(answer.body.functions[functionId].source, 'def hello_world():\n    return "Hello World!"\n');
  t.false(statements.some((sql) => /^update\s+[`"]?tasks/i.test(sql) || /octet_length|length\(payload\)/i.test(sql)), statements.join('\n'));
  t.false(statements.some((sql) => /from [`"]?functions/i.test(sql) && !/json_(group_)?arrayagg|json_group_array/i.test(sql)), 'the functions come from the submit\'s own read');
  t.is(waitingLeasePollsOf(live.db).size, 0);

  const stored = await live.db('tasks').where({ id: taskId }).first();
  t.like(stored, { state: 'running', lease_token: handed.lease_token, leased_by: 'handoff-session-1' });
  t.is(Number(stored.attempts), 1);
  t.true(Number(stored.lease_expires_at) - Number(stored.leased_at) === live.config.leaseTimeout);
  const posted = await postResults(live, endpointId, credential, [{ task_id: taskId, lease_token: handed.lease_token, status: 'success', result: '14' }]);
  t.like(posted.body.results[0], { outcome: 'stored' });
});

serviceTest('a handed-over share keeps the poll\'s terms: at most max_tasks, oldest first, cut at max_bytes (the first always); the rest waits for a lease', async (t, live) => {
  const functionId = await registerFunction(live);
  const { endpointId, credential } = await registerEndpoint(live);
  const payloads = [0, 1, 2, 3, 4].map((i) => jsonPayload(i));

  const capped = poll(live, endpointId, credential, { max_tasks: 2 });
  t.true(await pollsWaiting(live));
  const ids = await submitOk(live, endpointId, functionId, payloads);
  t.deepEqual((await capped).body.tasks.map((task: { task_id: string }) => task.task_id), ids.slice(0, 2));
  const rest = await poll(live, endpointId, credential, { max_tasks: 10, wait_s: 0 });
  t.deepEqual(rest.body.tasks.map((task: { task_id: string }) => task.task_id), ids.slice(2));

  // Room for one payload and a half: one. A first payload larger than the budget still goes.
  const small = poll(live, endpointId, credential, { max_tasks: 10, max_bytes: Math.floor(1.5 * Buffer.byteLength(payloads[0])) });
  t.true(await pollsWaiting(live));
  const two = await submitOk(live, endpointId, functionId, payloads.slice(0, 2));
  t.deepEqual((await small).body.tasks.map((task: { task_id: string }) => task.task_id), two.slice(0, 1));
  // The task left from the submit above waits in the ledger: this poll's first look leases it.
  const tiny = poll(live, endpointId, credential, { max_tasks: 10, max_bytes: 1 });
  t.deepEqual((await tiny).body.tasks.map((task: { task_id: string }) => task.task_id), two.slice(1));
  const alone = poll(live, endpointId, credential, { max_tasks: 10, max_bytes: 1 });
  t.true(await pollsWaiting(live));
  const [big] = await submitOk(live, endpointId, functionId, [jsonPayload('x'.repeat(100))]);
  t.deepEqual((await alone).body.tasks.map((task: { task_id: string }) => task.task_id), [big]);
});

serviceTest('a submit that fails hands nothing and the poll waits on; a replayed submit hands nothing; the next submit is handed over', async (t, live) => {
  const functionId = await registerFunction(live);
  const { endpointId, credential } = await registerEndpoint(live);
  const waiting = poll(live, endpointId, credential, { max_tasks: 4 });
  t.true(await pollsWaiting(live));

  // The database refuses the submit's writes (a trigger, as a full disk would): nothing is leased, the poll still waits.
  await live.db.raw(live.kind === 'mariadb'
    ? "CREATE TRIGGER refuse_groups BEFORE INSERT ON task_groups FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no new groups'"
    : "CREATE TRIGGER refuse_groups BEFORE INSERT ON task_groups BEGIN SELECT RAISE(ABORT, 'no new groups'); END");
  const refused = await submitTo(live, endpointId, functionId, [jsonPayload(1)]);
  t.true(refused.status >= 500, JSON.stringify(refused.body));
  await live.db.raw('DROP TRIGGER refuse_groups');
  t.is(waitingLeasePollsOf(live.db).size, 1, 'given back: still waiting, claimable');
  t.is(Number((await live.db('tasks').count({ n: '*' }))[0].n), 0);

  const keyed = { headers: { 'Idempotency-Key': 'handoff-replay' } };
  const first = await submitTo(live, endpointId, functionId, [jsonPayload(2)], keyed);
  const [firstId] = first.body.tasks[functionId];
  t.deepEqual((await waiting).body.tasks.map((task: { task_id: string }) => task.task_id), [firstId]);

  const next = poll(live, endpointId, credential, { max_tasks: 4 });
  t.true(await pollsWaiting(live));
  const replay = await submitTo(live, endpointId, functionId, [jsonPayload(2)], keyed);
  t.is(replay.headers.get('idempotent-replayed'), 'true');
  t.deepEqual(replay.body.tasks[functionId], [firstId]);
  t.is(waitingLeasePollsOf(live.db).size, 1, 'the replay handed nothing');
  const [secondId] = await submitOk(live, endpointId, functionId, [jsonPayload(3)]);
  t.deepEqual((await next).body.tasks.map((task: { task_id: string }) => task.task_id), [secondId]);
});
