/**
 * Big identity budgets are paid in chunks (src/http/rateLimit.ts, prepaidChunk): one database
 * write pays for several requests, and two replicas spending one key together still never pass
 * more than its budget. Small budgets stay exact, one write per request.
 */
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { prepaidChunk, SharedBudget } from '../../src/http/rateLimit.js';
import { TooManyRequests } from '../../src/errors.js';
import type { BudgetSpec } from '../../src/limits/sharedBudgets.js';

const DAY = 86_400_000;

const tatOf = async (db: Knex, key: string) => Number((await db('rate_limits').where({ bucket: 'identity', bucket_key: key }).first('tat'))?.tat);

testOnEachDatabase('one write pays for a chunk of a big budget: the next requests of the chunk pass without touching the database', async (t, db) => {
  const spec: BudgetSpec = { bucket: 'identity', capacity: 6000, windowMs: DAY };
  t.is(prepaidChunk(spec.capacity), 10);
  const budget = new SharedBudget(db, spec, 'requests', { chunked: true });
  const interval = spec.windowMs / spec.capacity;
  await budget.take('user:chunky');
  const first = await tatOf(db, 'user:chunky');
  for (let i = 0; i < 9; i++) await budget.take('user:chunky');
  t.is(await tatOf(db, 'user:chunky'), first, 'nine more requests, no write');
  await budget.take('user:chunky');
  const second = await tatOf(db, 'user:chunky');
  t.true(Math.abs(second - first - 10 * interval) < 1, `the eleventh request paid for the next ten (${second - first} ms of budget, ${10 * interval} expected)`);
});

testOnEachDatabase('two replicas spending one chunked budget pass no more than it holds, and use nearly all of it', async (t, db, database) => {
  const spec: BudgetSpec = { bucket: 'identity', capacity: 200, windowMs: DAY }; // chunks of 2; no refill within the test
  t.is(prepaidChunk(spec.capacity), 2);
  const replicas = [new SharedBudget(db, spec, 'requests', { chunked: true }), new SharedBudget(database.open(), spec, 'requests', { chunked: true })];
  let passed = 0;
  let refused = 0;
  for (let i = 0; i < 300; i++) {
    try {
      await replicas[i % 2].take('user:shared');
      passed += 1;
    } catch (error) {
      if (!(error instanceof TooManyRequests)) throw error;
      refused += 1;
    }
  }
  t.true(passed <= 200, `${passed} passed: more than the budget`);
  // A paid request lapses only if a replica waits over a second between two of its requests.
  t.true(passed >= 196, `${passed} passed`);
  t.is(passed + refused, 300);
});

testOnEachDatabase('a small budget stays exact: every request is its own write', async (t, db) => {
  const spec: BudgetSpec = { bucket: 'identity', capacity: 6, windowMs: DAY };
  t.is(prepaidChunk(spec.capacity), 1);
  const budget = new SharedBudget(db, spec, 'requests', { chunked: true });
  const before = [];
  for (let i = 0; i < 6; i++) {
    await budget.take('user:small');
    before.push(await tatOf(db, 'user:small'));
  }
  t.is(new Set(before).size, 6, 'each request moved the budget');
  await t.throwsAsync(budget.take('user:small'), { instanceOf: TooManyRequests });
});
