/** Wakeups.watch: one subscription across many waits, telling which keys fired (the task wait long-poll's re-check list). */
import test from 'ava';
import { Wakeups } from '../../src/wakeups.js';

test('keys fired before next() is called are returned at once, then forgotten', async (t) => {
  const wakeups = new Wakeups();
  const watch = wakeups.watch(['task:a', 'task:b', 'task:c']);
  wakeups.notify('task:b');
  wakeups.notify('task:c');
  t.deepEqual(await watch.next(60_000), ['task:b', 'task:c']);
  wakeups.notify('task:a');
  t.deepEqual(await watch.next(60_000), ['task:a']);
  watch.unsubscribe();
});

test('next() waits for the first fired key and names only the keys that fired', async (t) => {
  const wakeups = new Wakeups();
  const watch = wakeups.watch(['task:a', 'task:b']);
  const next = watch.next(60_000);
  wakeups.notify('task:other'); // not watched: no wake-up
  wakeups.notify('task:b');
  t.deepEqual(await next, ['task:b']);
  watch.unsubscribe();
});

test('next() answers [] when its time runs out or its signal aborts', async (t) => {
  const wakeups = new Wakeups();
  const watch = wakeups.watch(['task:a']);
  t.deepEqual(await watch.next(0), []);
  const abort = new AbortController();
  const next = watch.next(60_000, abort.signal);
  abort.abort();
  t.deepEqual(await next, []);
  t.deepEqual(await watch.next(60_000, abort.signal), [], 'an aborted signal answers at once');
  watch.unsubscribe();
});

test('unsubscribe removes every waiter it added, and later notifies reach nothing', async (t) => {
  const wakeups = new Wakeups();
  const other = wakeups.subscribe(['task:a']);
  const watch = wakeups.watch(['task:a', 'task:b']);
  t.is(wakeups.size, 2);
  watch.unsubscribe();
  t.is(wakeups.size, 1, 'task:a keeps its other subscriber');
  wakeups.notify('task:b');
  t.deepEqual(await watch.next(0), []);
  other.unsubscribe();
  t.is(wakeups.size, 0);
});

test('notify says whether a waiter of this process heard the key (a results post lets only a woken wait answer first)', (t) => {
  const wakeups = new Wakeups();
  t.false(wakeups.notify('task:a'), 'nobody waits');
  const watch = wakeups.watch(['task:a']);
  t.true(wakeups.notify('task:a'));
  t.false(wakeups.notify('task:b'), 'another key');
  t.true(wakeups.notifyLocal('task:a'), 'what the relay brings too');
  watch.unsubscribe();
  t.false(wakeups.notify('task:a'), 'after the waiter left');
});
