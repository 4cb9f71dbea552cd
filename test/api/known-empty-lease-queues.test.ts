/**
 * The memory behind an idle poll's skipped first look (src/http/knownEmptyLeaseQueues.ts), with
 * the service's real Wakeups: a look marks its queue before it reads, a wake-up heard meanwhile
 * (or later, from this process or relayed from another replica) takes the mark away, a look
 * that found tasks confirms nothing, and a confirmed mark is trusted only for its age bound.
 */
import test from 'ava';
import { performance } from 'node:perf_hooks';
import { Wakeups, endpointKey } from '../../src/wakeups.js';
import { KnownEmptyLeaseQueues } from '../../src/http/knownEmptyLeaseQueues.js';

const queue = endpointKey('00000000-0000-4000-8000-000000000001');
const other = endpointKey('00000000-0000-4000-8000-000000000002');

test('a look that found nothing makes its queue known empty; one that found tasks does not', (t) => {
  const known = new KnownEmptyLeaseQueues(new Wakeups());
  t.false(known.isKnownEmpty(queue), 'never looked');
  known.lookFound(queue, known.lookStarts(queue), 0);
  t.true(known.isKnownEmpty(queue));
  known.lookFound(queue, known.lookStarts(queue), 3);
  t.false(known.isKnownEmpty(queue), 'the queue may hold more than the look leased');
});

test('a wake-up heard while the look reads keeps it from confirming: the mark is set before the read', (t) => {
  const wakeups = new Wakeups();
  const known = new KnownEmptyLeaseQueues(wakeups);
  const look = known.lookStarts(queue);
  wakeups.notify(queue); // a submit committed after the look's read, before it returned
  known.lookFound(queue, look, 0);
  t.false(known.isKnownEmpty(queue));
});

test('a wake-up heard later, this process\'s own or relayed from another replica, takes the mark away; other queues keep theirs', (t) => {
  const wakeups = new Wakeups();
  const known = new KnownEmptyLeaseQueues(wakeups);
  for (const key of [queue, other]) known.lookFound(key, known.lookStarts(key), 0);
  wakeups.notifyLocal(queue); // what the replica relay calls for another replica's submit
  t.false(known.isKnownEmpty(queue));
  t.true(known.isKnownEmpty(other));
  wakeups.notify(other);
  t.false(known.isKnownEmpty(other));
});

test('of two looks at one queue, only the later one confirms', (t) => {
  const known = new KnownEmptyLeaseQueues(new Wakeups());
  const earlier = known.lookStarts(queue);
  const later = known.lookStarts(queue);
  known.lookFound(queue, earlier, 0);
  t.false(known.isKnownEmpty(queue), 'the earlier look read before the later one started');
  known.lookFound(queue, later, 0);
  t.true(known.isKnownEmpty(queue));
});

test('a confirmed mark is trusted only for its age bound after its look started', async (t) => {
  const trustMs = 30;
  const known = new KnownEmptyLeaseQueues(new Wakeups(), trustMs);
  const look = known.lookStarts(queue);
  known.lookFound(queue, look, 0);
  t.true(known.isKnownEmpty(queue));
  while (performance.now() - look.startedAt < trustMs) await new Promise((resolve) => setTimeout(resolve, 5));
  t.false(known.isKnownEmpty(queue), 'past the bound the next poll looks again');
});
