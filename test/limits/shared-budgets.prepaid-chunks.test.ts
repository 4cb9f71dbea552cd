/**
 * Big identity budgets are paid in chunks (src/http/rateLimit.ts, prepaidChunk): one database
 * write pays for several requests, and two replicas spending one key together still never pass
 * more than its budget. Small budgets stay exact, one write per request.
 */
import type { Knex } from 'knex';
import { testOnEachDatabase } from '../helpers/databases.js';
import { PREPAID_HOLD_MS, prepaidChunk, SharedBudget } from '../../src/http/rateLimit.js';
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

testOnEachDatabase('two replicas spending one chunked budget at once pass no more than it holds, and use nearly all of it', async (t, db, database) => {
  const spec: BudgetSpec = { bucket: 'identity', capacity: 200, windowMs: DAY }; // chunks of 2; no refill within the test
  t.is(prepaidChunk(spec.capacity), 2);
  const interval = spec.windowMs / spec.capacity;
  const replicas = [new SharedBudget(db, spec, 'requests', { chunked: true }), new SharedBudget(database.open(), spec, 'requests', { chunked: true })];
  const startedMs = Date.now();
  // Both replicas spend at the same time, 150 requests each, each on its own connection pool.
  const passedBy = await Promise.all(replicas.map(async (replica) => {
    let passed = 0;
    for (let i = 0; i < 150; i++) {
      try {
        await replica.take('user:shared');
        passed += 1;
      } catch (error) {
        if (!(error instanceof TooManyRequests)) throw error;
      }
    }
    return passed;
  }));
  const passed = passedBy[0] + passedBy[1];
  t.true(passed <= 200, `${passed} passed (${passedBy.join(' + ')}): more than the budget`);
  // A paid request lapses only if a replica waits over a second between two of its requests.
  t.true(passed >= 196, `${passed} passed (${passedBy.join(' + ')})`);
  t.true(passedBy.every((n) => n >= prepaidChunk(spec.capacity)), `both replicas spent from the budget (${passedBy.join(' + ')})`);
  // The database holds the spending: the whole budget paid for (no replica passed requests it did not pay for).
  const paidUntil = await tatOf(db, 'user:shared');
  t.true(paidUntil >= startedMs + spec.windowMs - 4 * interval, `the stored budget holds ${Math.round((paidUntil - startedMs) / interval)} paid requests, not ~200`);
  t.true(paidUntil <= Date.now() + spec.windowMs, 'no more than the budget was paid for');
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

testOnEachDatabase('a paid chunk outlives a second: an identity calling every second or so still pays one write per ten requests', async (t, db) => {
  const spec: BudgetSpec = { bucket: 'identity', capacity: 6000, windowMs: DAY };
  const budget = new SharedBudget(db, spec, 'requests', { chunked: true });
  await budget.take('user:slow');
  const paid = await tatOf(db, 'user:slow');
  const paidAt = Date.now();
  // Past the one-second hold this replaced (an idle endpoint's requests are seconds apart).
  for (let i = 0; i < 1000 && Date.now() - paidAt <= 1200; i++) await new Promise((r) => setTimeout(r, 20));
  for (let i = 0; i < 9; i++) await budget.take('user:slow');
  t.is(await tatOf(db, 'user:slow'), paid, 'the nine requests left of the chunk were used, not paid again');
});

testOnEachDatabase('a paid chunk outlives its window: an identity calling less than once a window (an idle endpoint\'s polls) still pays one write per ten requests', async (t, db) => {
  const spec: BudgetSpec = { bucket: 'identity', capacity: 1000, windowMs: 300 }; // chunks of 10
  const budget = new SharedBudget(db, spec, 'requests', { chunked: true });
  await budget.take('endpoint:idle');
  const paid = await tatOf(db, 'endpoint:idle');
  for (let i = 0; i < 9; i++) {
    // Each request more than a window after the one before (bounded: the window is 300 ms).
    const before = Date.now();
    for (let j = 0; j < 1000 && Date.now() - before <= spec.windowMs + 50; j++) await new Promise((r) => setTimeout(r, 20));
    await budget.take('endpoint:idle');
  }
  t.is(await tatOf(db, 'endpoint:idle'), paid, 'the nine requests left of the chunk were used, not paid again');
  t.true(PREPAID_HOLD_MS >= 10 * 60_000, 'a chunk is held ten minutes: ten polls 50 s apart');
});

testOnEachDatabase('a replica holding a paid chunk passes at most chunk - 1 more once the shared budget is spent elsewhere, then refuses', async (t, db, database) => {
  const spec: BudgetSpec = { bucket: 'identity', capacity: 1000, windowMs: DAY }; // chunks of 10; no refill within the test
  const chunk = prepaidChunk(spec.capacity);
  t.is(chunk, 10);
  const [a, b] = [new SharedBudget(db, spec, 'requests', { chunked: true }), new SharedBudget(database.open(), spec, 'requests', { chunked: true })];
  const passes = async (replica: SharedBudget, most: number) => {
    let passed = 0;
    for (let i = 0; i < most; i++) {
      try {
        await replica.take('user:held');
        passed += 1;
      } catch (error) {
        if (!(error instanceof TooManyRequests)) throw error;
        break;
      }
    }
    return passed;
  };
  t.is(await passes(a, 1), 1, 'A paid a chunk and used one');
  const byB = await passes(b, 2 * spec.capacity);
  t.true(byB <= spec.capacity - chunk, `B passed ${byB}: A's chunk was paid, B cannot have it`);
  const byA = await passes(a, 2 * spec.capacity);
  t.true(byA <= chunk - 1, `A passed ${byA} after B spent the budget: more than it held`);
  t.true(1 + byA + byB <= spec.capacity, `${1 + byA + byB} passed in all, over the budget of ${spec.capacity}`);
  await t.throwsAsync(a.take('user:held'), { instanceOf: TooManyRequests });
});
