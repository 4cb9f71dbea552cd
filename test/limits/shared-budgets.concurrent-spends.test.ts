/**
 * The shared request budgets (src/limits/sharedBudgets.ts) on each database, spent through two
 * connection pools at once as two replicas would: no update is lost, a burst passes exactly
 * `capacity` times, the refusal says when the next request fits, and whole budgets are pruned.
 */
import type { ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { exhaustedKeys, pruneBudgets, spendBudget, storedKey, type BudgetSpec } from '../../src/limits/sharedBudgets.js';

const HOUR = 3_600_000;

async function spendConcurrently(pools: Knex[], spec: BudgetSpec, key: string, attempts: number) {
  return Promise.all(Array.from({ length: attempts }, (_, i) => spendBudget(pools[i % pools.length], spec, key)));
}

const passed = (spent: { ok: boolean }[]) => spent.filter((s) => s.ok).length;

testOnEachDatabase('two pools spending one key at once pass exactly its capacity: no lost update', async (t: ExecutionContext, db, database) => {
  const other = database.open();
  const spec: BudgetSpec = { bucket: 'identity', capacity: 25, windowMs: HOUR }; // one request back per 144 s: none in this test
  // The first requests race to insert the key's row; the rest race on one row's UPDATE.
  const spent = await spendConcurrently([db, other], spec, 'user:racer', 60);
  t.is(passed(spent), 25);
  const refused = spent.find((s) => !s.ok);
  t.true(refused && !refused.ok && refused.retryAfterMs > 100_000 && refused.retryAfterMs <= HOUR / 25, JSON.stringify(refused));
  // Other keys and the other bucket are budgets of their own.
  t.true((await spendBudget(other, spec, 'user:someone-else')).ok);
  t.true((await spendBudget(other, { ...spec, bucket: 'refused' }, 'user:racer')).ok);
});

testOnEachDatabase('a budget refills with time: after its interval, one more request passes', async (t, db) => {
  const spec: BudgetSpec = { bucket: 'identity', capacity: 2, windowMs: 4000 }; // one request back per 2 s
  t.deepEqual([await spendBudget(db, spec, 'k'), await spendBudget(db, spec, 'k')].map((s) => s.ok), [true, true]);
  const refused = await spendBudget(db, spec, 'k');
  t.false(refused.ok);
  if (refused.ok) return;
  t.true(refused.retryAfterMs > 0 && refused.retryAfterMs <= 2000, `retry after ${refused.retryAfterMs} ms`);
  await new Promise((resolve) => setTimeout(resolve, refused.retryAfterMs + 20)); // the refill is time itself
  t.true((await spendBudget(db, spec, 'k')).ok);
});

testOnEachDatabase('exhausted keys are listed with their wait; whole budgets are pruned', async (t, db) => {
  const spec: BudgetSpec = { bucket: 'refused', capacity: 2, windowMs: HOUR };
  await spendConcurrently([db], spec, '203.0.113.7', 2);
  await spendBudget(db, spec, '203.0.113.8');
  const exhausted = await exhaustedKeys(db, spec);
  t.deepEqual([...exhausted.keys()], ['203.0.113.7']);
  t.true(exhausted.get('203.0.113.7')! > HOUR / 2 - 60_000);

  const long = `user:${'x'.repeat(300)}`; // stored as its hash (the column holds 200)
  t.true((await spendBudget(db, { bucket: 'identity', capacity: 5, windowMs: 1 }, long)).ok);
  t.is(storedKey(long).length, 71);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.is(await pruneBudgets(db), 1, 'only the budget whole again (window 1 ms) is pruned');
  t.deepEqual((await db('rate_limits').select('bucket_key').orderBy('bucket_key')).map((r) => r.bucket_key), ['203.0.113.7', '203.0.113.8']);
});
