/** A function, an endpoint and queued tasks in a test database, through the real registry and ledger code. */
import type { Knex } from 'knex';
import { registerFunction } from '../../src/registry/functions.js';
import { registerEndpoint } from '../../src/registry/endpoints.js';
import { submitTasks } from '../../src/ledger/submitTasks.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { readNow } from '../../src/db/clock.js';
import type { UserPrincipal } from '../../src/auth/principal.js';

export const alice: UserPrincipal = { kind: 'user', id: 'alice', groups: [] };

export async function functionAndEndpoint(db: Knex, name = 'ep') {
  const functionId = await registerFunction(db, alice.id, { runtime: 'python', source: 'def f(x):\n    return x\n', entry_point: 'f' });
  const { endpoint_id: endpointId } = await registerEndpoint(db, alice, { name });
  return { functionId, endpointId };
}

export async function queue(db: Knex, endpointId: string, functionId: string, count: number, submitter = alice.id): Promise<string[]> {
  const { taskIds } = await submitTasks(db, {
    submitter,
    tasks: Array.from({ length: count }, (_, i) => ({ functionId, endpointId, payload: JSON.stringify({ args: [i], kwargs: {} }), serializer: 'json' as const })),
  });
  return taskIds;
}

/** Leases with a 1 ms lease, then waits (bounded) until the database clock has passed its expiry. */
export async function leaseThatExpires(db: Knex, endpointId: string, maxTasks: number) {
  const leased = await leaseTasks(db, { endpointId, maxTasks, leaseMs: 1 });
  const start = await readNow(db);
  for (let i = 0; i < 1000 && (await readNow(db)) <= start + 1; i++) await new Promise((r) => setTimeout(r, 2));
  return leased;
}

export async function row(db: Knex, taskId: string) {
  return db('tasks').where({ id: taskId }).first();
}

/**
 * n handles that act as service replicas. On MariaDB: separate pools. SQLite
 * serves one service process (one writer); a second in-process connection would
 * busy-wait synchronously and stall the event loop, so there the "replicas" are
 * concurrent callers on the one pool, which is the real race on SQLite.
 */
export function replicas(db: Knex, database: { kind: string; open(): Knex }, n: number): Knex[] {
  return Array.from({ length: n }, () => (database.kind === 'sqlite' ? db : database.open()));
}
