import { testOnEachDatabase } from '../helpers/databases.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { submitTasks } from '../../src/ledger/submitTasks.js';
import { alice, functionAndEndpoint } from './fixtures.js';
import { WAITING } from '../../src/ledger/model.js';

/** A JSON payload of exactly `bytes` UTF-8 bytes, padded with `fill` (two bytes each for é). */
function payloadOf(bytes: number, fill = 'x'): string {
  const empty = JSON.stringify({ args: [''], kwargs: {} });
  const room = bytes - Buffer.byteLength(empty);
  const count = Math.floor(room / Buffer.byteLength(fill));
  const pad = fill.repeat(count) + 'x'.repeat(room - count * Buffer.byteLength(fill));
  const payload = JSON.stringify({ args: [pad], kwargs: {} });
  if (Buffer.byteLength(payload) !== bytes) throw new Error(`payload of ${Buffer.byteLength(payload)} bytes, not ${bytes}`);
  return payload;
}

async function queuePayloads(db: Parameters<typeof functionAndEndpoint>[0], endpointId: string, functionId: string, payloads: string[]): Promise<string[]> {
  const { taskIds } = await submitTasks(db, { submitter: alice.id, tasks: payloads.map((payload) => ({ functionId, endpointId, payload, serializer: 'json' as const })) });
  return taskIds;
}

testOnEachDatabase('lease under max_bytes stops before the task that would pass it, oldest first', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const ids = await queuePayloads(db, endpointId, functionId, Array.from({ length: 6 }, () => payloadOf(1000)));
  const first = await leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000, maxBytes: 2500 });
  t.deepEqual(first.map((l) => l.taskId), ids.slice(0, 2));
  // A budget met exactly takes the task that meets it.
  const second = await leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000, maxBytes: 3000 });
  t.deepEqual(second.map((l) => l.taskId), ids.slice(2, 5));
  t.true(second.every((l) => Buffer.byteLength(l.payload) === 1000));
  // The tasks left out were not touched: still waiting, never attempted.
  const left = await db('tasks').where({ id: ids[5] }).first();
  t.is(left.state, WAITING);
  t.is(Number(left.attempts), 0);
  // max_tasks still bounds a generous budget.
  t.deepEqual((await leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000, maxBytes: 1_000_000 })).map((l) => l.taskId), ids.slice(5));
});

testOnEachDatabase('lease under max_bytes always hands out the first task, even one larger than the budget', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  const ids = await queuePayloads(db, endpointId, functionId, [payloadOf(50_000), payloadOf(100), payloadOf(100)]);
  const leased = await leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000, maxBytes: 1000 });
  t.deepEqual(leased.map((l) => l.taskId), [ids[0]]);
  t.is(Buffer.byteLength(leased[0].payload), 50_000);
  t.deepEqual((await leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000, maxBytes: 1000 })).map((l) => l.taskId), ids.slice(1));
});

testOnEachDatabase('lease counts max_bytes in UTF-8 bytes, not characters', async (t, db) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  // 1000 bytes each but about 510 characters: a character count would take three.
  const ids = await queuePayloads(db, endpointId, functionId, Array.from({ length: 3 }, () => payloadOf(1000, 'é')));
  const leased = await leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000, maxBytes: 1600 });
  t.deepEqual(leased.map((l) => l.taskId), ids.slice(0, 1));
});
