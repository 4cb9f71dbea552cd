/**
 * When an idle agent's open lease poll stands for its heartbeat (endpoint/agent/pollStandsIn.ts):
 * only with the service's leave, nothing to renew, the same report as the last heartbeat, a
 * poll young enough to have reached the service, and within idle_heartbeat_s of the last one.
 * Each case below breaks one condition of an otherwise skippable heartbeat.
 */
import test from 'ava';
import { POLL_STANDS_IN_SLACK_MS, pollStandsIn, type HeartbeatDue } from '../../endpoint/agent/pollStandsIn.js';

const NOW = 1_000_000;
const skippable: HeartbeatDue = {
  poll: { startedAt: NOW - 1_000, idleHeartbeatS: 300 },
  pollWaitMs: 50_000,
  last: { at: NOW - 10_000, report: '{"idle_workers":4}' },
  report: '{"idle_workers":4}',
  leases: 0,
  unacknowledged: 0,
  now: NOW,
};

test('an idle agent\'s open poll stands for a heartbeat that would repeat its last report', (t) => {
  t.true(pollStandsIn(skippable));
});

test('no poll open, or a service that did not say polls stand for heartbeats: the heartbeat goes', (t) => {
  t.false(pollStandsIn({ ...skippable, poll: undefined }));
  t.false(pollStandsIn({ ...skippable, poll: { ...skippable.poll!, idleHeartbeatS: undefined } }));
});

test('the first heartbeat goes: there is no last report to repeat', (t) => {
  t.false(pollStandsIn({ ...skippable, last: undefined }));
});

test('held leases or unacknowledged results: the heartbeat goes, since it renews their leases', (t) => {
  t.false(pollStandsIn({ ...skippable, leases: 1 }));
  t.false(pollStandsIn({ ...skippable, unacknowledged: 1 }));
});

test('a changed report goes at once', (t) => {
  t.false(pollStandsIn({ ...skippable, report: '{"idle_workers":3}' }));
});

test('a poll open longer than its wait and the slack proves nothing: the heartbeat goes', (t) => {
  const limit = skippable.pollWaitMs + POLL_STANDS_IN_SLACK_MS;
  t.true(pollStandsIn({ ...skippable, poll: { ...skippable.poll!, startedAt: NOW - limit } }));
  t.false(pollStandsIn({ ...skippable, poll: { ...skippable.poll!, startedAt: NOW - limit - 1 } }));
});

test('a heartbeat still goes every idle_heartbeat_s', (t) => {
  t.true(pollStandsIn({ ...skippable, last: { ...skippable.last!, at: NOW - 299_999 } }));
  t.false(pollStandsIn({ ...skippable, last: { ...skippable.last!, at: NOW - 300_000 } }));
});
