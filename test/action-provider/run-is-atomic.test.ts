/**
 * A run's tasks and its action row commit together: when the action cannot be
 * stored, no task is left queued (nobody could see or cancel it). The failure
 * is a real one, raised by the database (a trigger refusing the insert).
 */
import { dialectOf } from '../../src/db/connect.js';
import { serviceTest } from '../helpers/service.js';
import { DOUBLE, ap, idleEndpoint, newCaller, registerPythonAs, v3Run } from './support.js';

serviceTest('an action insert the database refuses leaves no tasks; the retry creates both', async (t, live) => {
  const alice = await newCaller(live);
  const endpointId = await idleEndpoint(live, alice.token);
  const double = await registerPythonAs(live, alice.token, DOUBLE.source, DOUBLE.entry);
  const mysql = dialectOf(live.db) === 'mysql';
  await live.db.raw(mysql
    ? "CREATE TRIGGER refuse_actions BEFORE INSERT ON actions FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'"
    : "CREATE TRIGGER refuse_actions BEFORE INSERT ON actions BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  let dropped = false;
  const drop = async () => {
    if (!dropped) await live.db.raw('DROP TRIGGER refuse_actions');
    dropped = true;
  };
  t.teardown(drop);

  const request = v3Run('atomic', endpointId, [{ function_id: double, args: [1] }, { function_id: double, args: [2] }]);
  const refused = await live.call('POST', '/actions/run', { token: alice.token, body: request });
  t.is(refused.status, 500, JSON.stringify(refused.body));
  t.is((await live.db('tasks').where({ submitter: alice.identity })).length, 0, 'no orphan tasks');
  t.is((await live.db('actions').where({ creator: alice.identity })).length, 0);

  await drop();
  const retried = await ap(t, live, 'status', 'POST', '/run', { token: alice.token, body: request });
  t.is(retried.status, 202, JSON.stringify(retried.body));
  t.is((await live.db('tasks').where({ submitter: alice.identity })).length, 2);
  t.is((await live.db('actions').where({ creator: alice.identity })).length, 1);
});
