/**
 * linkedAbortSignal (shared/linkedAbortSignal.ts), which the long-poll, the agent's heartbeat pause
 * and its cancel watch use instead of AbortSignal.any (which, on Node 20, keeps every signal it
 * makes listed on a long-lived source for good).
 */
import test from 'ava';
import { getEventListeners } from 'node:events';
import { linkedAbortSignal } from '@funcx-ts/shared/linkedAbortSignal.js';

test('aborts when any source aborts, with that source\'s reason, and then unlinks from every source', (t) => {
  const first = new AbortController();
  const second = new AbortController();
  const linked = linkedAbortSignal([first.signal, second.signal]);
  t.false(linked.signal.aborted);
  second.abort(new Error('second went'));
  t.true(linked.signal.aborted);
  t.is((linked.signal.reason as Error).message, 'second went');
  t.is(getEventListeners(first.signal, 'abort').length, 0, 'the source that did not abort keeps no listener');
});

test('a source already aborted gives a signal aborted at once, with its reason', (t) => {
  const gone = new AbortController();
  gone.abort('already');
  const linked = linkedAbortSignal([new AbortController().signal, gone.signal]);
  t.true(linked.signal.aborted);
  t.is(linked.signal.reason, 'already');
});

test('release() removes its listeners from every source: a long-lived source linked 10,000 times holds none, and its abort no longer reaches a released signal', (t) => {
  const longLived = new AbortController();
  const released: AbortSignal[] = [];
  for (let i = 0; i < 10_000; i++) {
    const linked = linkedAbortSignal([longLived.signal, new AbortController().signal]);
    linked.release();
    linked.release(); // idempotent
    if (i % 1000 === 0) released.push(linked.signal);
  }
  t.is(getEventListeners(longLived.signal, 'abort').length, 0);
  const held = linkedAbortSignal([longLived.signal]);
  t.is(getEventListeners(longLived.signal, 'abort').length, 1, 'one unreleased link, one listener');
  longLived.abort();
  t.true(held.signal.aborted, 'an unreleased link still follows its source');
  t.true(released.every((signal) => !signal.aborted), 'released signals do not');
});
