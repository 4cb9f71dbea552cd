/**
 * The functions a lease answer carries (src/registry/leasedFunctions.ts): on MariaDB they are
 * read during the lease's UPDATE, so the answer needs no statement after the lease; whatever
 * that read did not cover is read after, and a function deleted after its tasks were queued
 * still comes with them.
 */
import { testOnEachDatabase } from '../helpers/databases.js';
import { countStatements } from '../helpers/statementCount.js';
import { leaseTasks } from '../../src/ledger/leaseTasks.js';
import { LeasedFunctions } from '../../src/registry/leasedFunctions.js';
import { functionAndEndpoint, queue } from '../ledger/fixtures.js';

testOnEachDatabase('a lease answer\'s functions: read alongside the mark on MariaDB (no statement after the lease), after it on SQLite; a task outside that read is read after; a deleted function still comes', async (t, db, database) => {
  const { functionId, endpointId } = await functionAndEndpoint(db);
  await queue(db, endpointId, functionId, 2);
  const functions = new LeasedFunctions(db);
  const leased = await leaseTasks(db, { endpointId, maxTasks: 10, leaseMs: 60_000, alongsideMark: functions.alongsideMark });
  t.is(leased.length, 2);
  await db('functions').where({ id: functionId }).update({ deleted_at: Date.now() }); // deleted after queueing: its tasks still run

  const answer = await countStatements(db, () => functions.forTasks(leased));
  t.deepEqual([...answer.result.keys()], [functionId]);
  t.regex(answer.result.get(functionId)!.source, /def f/);
  t.is(answer.count, database.kind === 'mariadb' ? 0 : 1);

  // A leased task whose function the early read did not name (a row another poller left this lease).
  const other = await functionAndEndpoint(db, 'other');
  const mixed = await countStatements(db, () => functions.forTasks([...leased, { ...leased[0], functionId: other.functionId }]));
  t.deepEqual([...mixed.result.keys()].sort(), [functionId, other.functionId].sort());
  t.is(mixed.count, 1);

  t.deepEqual([...(await functions.forTasks([])).keys()], []);
});
