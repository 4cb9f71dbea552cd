/**
 * The agent's held-tasks state (endpoint/agent/heldTasks.ts): the one owner of the tasks the
 * agent holds. Every loop changes a task only through its named phase changes; these tests pin
 * what each change does, and that the changes the agent never makes are refused.
 */
import test from 'ava';
import { HeldTasks, IllegalPhaseChange, type LeasedTask } from '../../endpoint/agent/heldTasks.js';

function lease(taskId: string, attempt = 1, payload = 'p'): LeasedTask {
  return { task_id: taskId, attempt, lease_token: `${taskId}-token-${attempt}`, function_id: 'f', task_group_id: 'g', payload, serializer: 'json' };
}

function holdNew(held: HeldTasks, taskId: string, attempt = 1, payload = 'p') {
  const holding = held.hold(lease(taskId, attempt, payload), undefined, 0);
  if (!holding.held) throw new Error('expected a new task to be held');
  return holding.held;
}

test('a held task moves queued → running → reporting, and leaves when its result is settled', (t) => {
  const held = new HeldTasks();
  const task = holdNew(held, 'a');
  t.is(task.phase, 'queued');
  t.deepEqual(held.counts(), { held: 1, queued: 1, running: 0, reporting: 0 });
  held.started(task, 42);
  t.is(task.phase, 'running');
  t.is(task.startedAt, 42);
  t.deepEqual(held.runningAges(50), [8]);
  held.finished(task);
  t.is(task.phase, 'reporting');
  t.is(held.occupied(), 0, 'a reporting task takes no room');
  held.resultSettled('a', 1);
  t.is(held.get('a'), undefined);
  t.is(held.size, 0);
});

test('starting a task twice, or reporting one that never ran, is refused with IllegalPhaseChange', (t) => {
  const held = new HeldTasks();
  const task = holdNew(held, 'a');
  const early = t.throws(() => held.finished(task), { instanceOf: IllegalPhaseChange });
  t.like(early, { code: 'IllegalPhaseChange', taskId: 'a', from: 'queued', to: 'reporting' });
  t.is(task.phase, 'queued', 'a refused change leaves the phase as it was');
  held.started(task, 1);
  t.like(t.throws(() => held.started(task, 2), { instanceOf: IllegalPhaseChange }), { from: 'running', to: 'running' });
  t.is(task.startedAt, 1);
  held.finished(task);
  t.like(t.throws(() => held.finished(task), { instanceOf: IllegalPhaseChange }), { from: 'reporting', to: 'reporting' });
});

test('the same lease twice is refused as a duplicate; a new attempt supersedes the old one, which is dropped and aborted', (t) => {
  const held = new HeldTasks();
  const first = holdNew(held, 'a', 1);
  const again = held.hold(lease('a', 1), undefined, 0);
  t.is(again.held, undefined);
  t.is(held.get('a'), first);
  t.false(first.dropped);

  const second = held.hold(lease('a', 2), undefined, 0);
  t.truthy(second.held);
  t.is(second.held && 'superseded' in second ? second.superseded : undefined, first);
  t.true(first.dropped);
  t.true(first.signal.aborted);
  t.is(held.get('a'), second.held);
  // The superseded attempt settling later must not take its successor with it.
  held.forget(first);
  t.is(held.get('a'), second.held);
  held.resultSettled('a', 1);
  t.is(held.get('a'), second.held, 'a result of the old attempt does not release the new one');
});

test('drop stops a task once; a task already reporting is forgotten at once, one queued or running stays until it settles', (t) => {
  const held = new HeldTasks();
  const queued = holdNew(held, 'q');
  const reporting = holdNew(held, 'r');
  held.started(reporting, 0);
  held.finished(reporting);
  t.true(held.drop(queued));
  t.false(held.drop(queued), 'told twice: the second is a no-op');
  t.true(queued.dropped);
  t.true(queued.signal.aborted);
  t.is(held.get('q'), queued, 'its worker or the queue still has it: it leaves when it settles');
  t.true(held.drop(reporting));
  t.is(held.get('r'), undefined);
  t.deepEqual(held.watched(), [], 'dropped tasks are not watched for cancels');
});

test('given back early, marked to hand back, or abandoned: the marks the runner reads when a task settles', (t) => {
  const held = new HeldTasks();
  const given = holdNew(held, 'given');
  const waiting = holdNew(held, 'waiting');
  const running = holdNew(held, 'running');
  held.started(running, 0);
  const done = holdNew(held, 'done');
  held.started(done, 0);
  held.finished(done);
  t.deepEqual(held.waitingToStart().map((x) => x.lease.task_id), ['given', 'waiting']);

  held.givenBack(given);
  t.true(given.dropped && given.signal.aborted);
  t.deepEqual(held.waitingToStart().map((x) => x.lease.task_id), ['waiting']);

  held.markHandBack(waiting);
  t.true(waiting.handBack);
  t.false(waiting.signal.aborted, 'marking alone does not stop it');
  held.markHandBack(running, true);
  t.true(running.handBack && running.signal.aborted, 'grace over: marked and stopped');

  const later = new HeldTasks();
  const a = holdNew(later, 'a');
  const b = holdNew(later, 'b');
  later.started(b, 0);
  later.finished(b);
  later.abandonAll();
  t.true(a.handBack && a.signal.aborted);
  t.false(b.handBack, 'a task with a result keeps it');
  t.true(b.signal.aborted);
});

test('payloads of tasks queued or running count against the lease budget; reporting ones do not', (t) => {
  const held = new HeldTasks();
  holdNew(held, 'a', 1, 'x'.repeat(10));
  const b = holdNew(held, 'b', 1, 'y'.repeat(5));
  t.is(held.payloadChars(), 15);
  held.started(b, 0);
  held.finished(b);
  t.is(held.payloadChars(), 10);
});
