/**
 * The agent's pure result-shaping rules (endpoint/agent/resultShaping.ts): what a task produced,
 * made into a result the service accepts. No service, no disk: each rule alone.
 */
import test from 'ava';
import {
  acceptableResult, invalidInstead, resultBytes, stripAttempt, toPosted, tooLargeForService, withinSizeLimit,
} from '../../endpoint/agent/resultShaping.js';
import type { LeasedTask } from '../../endpoint/agent/heldTasks.js';
import type { SpooledResult } from '../../endpoint/spool.js';

const LEASE: LeasedTask = { task_id: 't1', attempt: 3, lease_token: 'tok', function_id: 'f', task_group_id: 'g', payload: '{}', serializer: 'json' };
const IDENTITY = { task_id: 't1', lease_token: 'tok', attempt: 3 };

test('a success carries its result and serializer; a failure its coerced exception and the retry mark only when set', (t) => {
  t.deepEqual(toPosted(LEASE, { status: 'success', result: '42', resultSerializer: 'json' }), { ...IDENTITY, status: 'success', result: '42', result_serializer: 'json' });
  t.deepEqual(toPosted(LEASE, { status: 'failed', exception: { type: 'X'.repeat(300), message: 'm' } }), {
    ...IDENTITY, status: 'failed', exception: { type: 'X'.repeat(256), message: 'm' },
  });
  t.deepEqual(toPosted(LEASE, { status: 'failed', exception: { type: 'WorkerLost', message: 'gone' }, retry: true }), {
    ...IDENTITY, status: 'failed', exception: { type: 'WorkerLost', message: 'gone' }, retry: true,
  });
});

test('the bytes counted against max_result_bytes are the result and the serialized exception, in UTF-8', (t) => {
  t.is(resultBytes({ ...IDENTITY, status: 'success', result: 'é'.repeat(10) }), 20);
  t.is(resultBytes({ ...IDENTITY, status: 'failed', exception: { type: 'E', message: 'long message not counted', serialized: 'abcd' } }), 4);
});

test('a result at max_result_bytes passes unchanged; one byte over becomes TaskResultTooLarge naming size, endpoint and limit', (t) => {
  const atLimit: SpooledResult = { ...IDENTITY, status: 'success', result: 'x'.repeat(100) };
  t.deepEqual(withinSizeLimit(atLimit, 100, 'ep'), { result: atLimit });
  const over: SpooledResult = { ...IDENTITY, status: 'success', result: 'x'.repeat(101) };
  t.deepEqual(withinSizeLimit(over, 100, 'ep'), {
    result: { ...IDENTITY, status: 'failed', exception: { type: 'TaskResultTooLarge', message: "the task's result is 101 bytes; endpoint ep reports results up to 100 bytes (max_result_bytes)" } },
    tooLarge: 101,
  });
});

test('a result alone too large for the service becomes TaskResultTooLarge with its JSON size', (t) => {
  const big: SpooledResult = { ...IDENTITY, status: 'success', result: 'y'.repeat(1000) };
  const { result, bytes } = tooLargeForService(big);
  t.is(bytes, Buffer.byteLength(JSON.stringify(big)));
  t.deepEqual(result, { ...IDENTITY, status: 'failed', exception: { type: 'TaskResultTooLarge', message: `the task's result is about ${bytes} bytes, more than the service accepts in one request` } });
});

test('a malformed result becomes ResultInvalid once; a refused ResultInvalid has nothing left to post', (t) => {
  const odd: SpooledResult = { ...IDENTITY, status: 'success', result: 'r' };
  const invalid = invalidInstead(odd, 'body/results/0 is wrong');
  t.deepEqual(invalid, { ...IDENTITY, status: 'failed', exception: { type: 'ResultInvalid', message: 'the endpoint produced a result the service refused: body/results/0 is wrong' } });
  t.is(invalidInstead(invalid!, 'still wrong'), undefined);
  // Another failure type is still replaced (only ResultInvalid itself ends the chain).
  t.truthy(invalidInstead({ ...IDENTITY, status: 'failed', exception: { type: 'ValueError', message: '' } }, 'x'));
});

test('a spooled failure from an older version has its exception coerced; a success is left as it is', (t) => {
  const old = { ...IDENTITY, status: 'failed', exception: { type: 7, message: null } } as unknown as SpooledResult;
  t.deepEqual(acceptableResult(old), { ...IDENTITY, status: 'failed', exception: { type: '7', message: '' } });
  const fine: SpooledResult = { ...IDENTITY, status: 'success', result: 'r' };
  t.is(acceptableResult(fine), fine);
});

test('what is posted drops the attempt (the agent\'s bookkeeping) and keeps everything else', (t) => {
  t.deepEqual(stripAttempt({ ...IDENTITY, status: 'success', result: 'r', result_serializer: 'json' }), { task_id: 't1', lease_token: 'tok', status: 'success', result: 'r', result_serializer: 'json' });
});
