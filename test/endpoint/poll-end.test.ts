/** endPollInFlight (endpoint/pollEnd.ts): a stopping agent asks for its poll to end, and hangs up only as a last resort. */
import test from 'ava';
import { endPollInFlight } from '../../endpoint/pollEnd.js';
import { within } from '../helpers/within.js';

function pollUntil(): { poll: Promise<void>; answer: () => void } {
  let answer!: () => void;
  const poll = new Promise<void>((resolve) => (answer = resolve));
  return { poll, answer };
}

test('a poll that answers once asked is never aborted', async (t) => {
  const { poll, answer } = pollUntil();
  let asks = 0;
  let aborted = false;
  const how = await endPollInFlight({ poll, ask: async () => { asks += 1; setImmediate(answer); }, abort: () => (aborted = true), boundMs: 60_000 });
  t.deepEqual([how, asks, aborted], ['answered', 1, false]);
});

test('the ask is repeated while the poll stays open (it may have overtaken the poll\'s own request)', async (t) => {
  const { poll, answer } = pollUntil();
  let asks = 0;
  const how = await within(20_000, 'the poll to end on the third ask', endPollInFlight({
    poll,
    ask: async () => {
      asks += 1;
      if (asks === 3) answer();
    },
    abort: () => t.fail('aborted'),
    boundMs: 60_000,
  }));
  t.deepEqual([how, asks], ['answered', 3]);
});

test('a service that cannot be asked: the poll is aborted at once', async (t) => {
  const { poll } = pollUntil();
  let aborted = false;
  const how = await within(10_000, 'the abort', endPollInFlight({ poll, ask: async () => { throw new Error('ECONNREFUSED'); }, abort: () => (aborted = true), boundMs: 60_000 }));
  t.deepEqual([how, aborted], ['aborted', true]);
});

test('a poll still open when the bound passes is aborted', async (t) => {
  const { poll } = pollUntil();
  let aborted = false;
  const how = await within(20_000, 'the abort after a 1 s bound', endPollInFlight({ poll, ask: async () => undefined, abort: () => (aborted = true), boundMs: 1_000 }));
  t.deepEqual([how, aborted], ['aborted', true]);
});

test('an ask that hangs counts against the bound: the poll is aborted when it passes', async (t) => {
  const { poll } = pollUntil();
  let aborted = false;
  const how = await within(20_000, 'the abort after a 1 s bound', endPollInFlight({ poll, ask: () => new Promise(() => undefined), abort: () => (aborted = true), boundMs: 1_000 }));
  t.deepEqual([how, aborted], ['aborted', true]);
});
