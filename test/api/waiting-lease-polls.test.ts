/**
 * The waiting lease polls' hand-over rules (src/http/waitingLeasePolls.ts), on their own: a
 * poll is claimable only between its looks, by one submit at a time, the longest-waiting first;
 * a look waits for a claim in flight; a claim given back leaves the poll waiting; a poll handed
 * tasks is woken (its own wake-up), one given back is not.
 */
import test from 'ava';
import { WaitingLeasePolls, type Handed } from '../../src/http/waitingLeasePolls.js';

const terms = (endpointId: string) => ({ endpointId, maxTasks: 4, leaseMs: 60_000 });
const handed = (taskId: string): Handed => ({
  tasks: [{ taskId, attempt: 1, leaseToken: 't', functionId: 'f', taskGroupId: 'g', payload: '{}', serializer: 'json' }],
  functions: new Map(),
});

test('only a waiting poll is claimable, once, the longest-waiting of its endpoint first; none of another endpoint', (t) => {
  const polls = new WaitingLeasePolls();
  const first = polls.poll(terms('a'), () => undefined);
  const second = polls.poll(terms('a'), () => undefined);
  t.is(polls.claim('a'), undefined, 'looking, not waiting');
  first.startWaiting();
  second.startWaiting();
  t.is(polls.claim('b'), undefined);
  const claim = polls.claim('a');
  t.is(claim?.terms, first.terms);
  t.is(polls.claim('a')?.terms, second.terms);
  t.is(polls.claim('a'), undefined);
  t.is(polls.size, 0);
});

test('a look after a claim answers what the submit handed; a look that begins during a claim waits for it; the poll is woken once, when handed', async (t) => {
  const polls = new WaitingLeasePolls();
  let wakes = 0;
  const poll = polls.poll(terms('a'), () => wakes++);
  poll.startWaiting();
  const claim = polls.claim('a')!;
  let lookDone = false;
  const look = poll.stopWaiting().then((result) => { lookDone = true; return result; });
  await new Promise((resolve) => setImmediate(resolve));
  t.false(lookDone, 'the look waits for the submit in flight');
  t.is(wakes, 0);
  claim.hand(handed('x'));
  claim.hand(handed('y')); // a claim settles once
  t.is(wakes, 1, 'woken when handed, once');
  t.deepEqual((await look)?.tasks.map((task) => task.taskId), ['x']);
  t.is(await poll.stopWaiting(), undefined, 'handed once');
  t.is(polls.size, 0);
});

test('a claim given back leaves the poll waiting and claimable again, unwoken; given back while a look waits, the look goes on empty-handed', async (t) => {
  const polls = new WaitingLeasePolls();
  let wakes = 0;
  const poll = polls.poll(terms('a'), () => wakes++);
  poll.startWaiting();
  polls.claim('a')!.giveBack();
  t.is(polls.size, 1, 'waiting again');
  const claim = polls.claim('a')!;
  const look = poll.stopWaiting();
  claim.giveBack();
  t.is(await look, undefined);
  t.is(polls.size, 0, 'looking now, not waiting');
  claim.hand(handed('late')); // a claim settles once
  t.is(await poll.stopWaiting(), undefined);
  t.is(wakes, 0, 'a poll given back is not woken: it waits on');
});

test('a poll that stops waiting before any claim leaves the registry', async (t) => {
  const polls = new WaitingLeasePolls();
  const poll = polls.poll(terms('a'), () => undefined);
  poll.startWaiting();
  t.is(await poll.stopWaiting(), undefined);
  t.is(polls.size, 0);
  t.is(polls.claim('a'), undefined);
});
