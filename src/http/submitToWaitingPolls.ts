/**
 * A submit's tasks for an endpoint whose lease poll waits on this service instance go to that
 * poll leased, in the submit's own transaction (waitingLeasePolls.ts): which tasks, under which
 * lease, and handing them over once the submit has committed.
 */
import type { Knex } from 'knex';
import { newLeaseToken, withinByteBudget, type LeasedTask } from '../ledger/leaseTasks.js';
import type { LeasedAtSubmit, NewTask, Submitted } from '../ledger/submitTasks.js';
import type { FunctionRow } from '../registry/functions.js';
import { waitingLeasePollsOf, type PollClaim, type PollTerms } from './waitingLeasePolls.js';

export interface HandOff {
  /** For submitTasks: the tasks written leased, and their leases. */
  leasedAtSubmit: LeasedAtSubmit[];
  /** The endpoints whose every task in this submit goes to their poll: once handed, nothing is leasable there, so no wake-up for them. */
  handedWhole: ReadonlySet<string>;
  /** After the commit: each claimed poll gets its tasks (a replay hands nothing: its tasks were never these). */
  hand(submitted: Submitted): void;
  /** The submit failed: every claimed poll waits on as before. */
  giveBack(): void;
}

/** Claims the waiting poll of each endpoint the submit names, if one waits here; undefined when none does. */
export function claimWaitingPolls(db: Knex, tasks: readonly NewTask[], endpointIds: Iterable<string>, functions: ReadonlyMap<string, FunctionRow>): HandOff | undefined {
  const polls = waitingLeasePollsOf(db);
  const plans: { claim: PollClaim; lease: LeasedAtSubmit }[] = [];
  const handedWhole = new Set<string>();
  for (const endpointId of endpointIds) {
    const claim = polls.claim(endpointId);
    if (!claim) continue;
    const taskIndexes = takenBy(claim.terms, tasks);
    if (taskIndexes.length === 0) {
      claim.giveBack(); // none of this submit's tasks is the endpoint's (cannot happen: it names the endpoint)
      continue;
    }
    plans.push({ claim, lease: { taskIndexes, leaseToken: newLeaseToken(), session: claim.terms.session, leaseMs: claim.terms.leaseMs } });
    if (taskIndexes.length === tasks.filter((task) => task.endpointId === endpointId).length) handedWhole.add(endpointId);
  }
  if (plans.length === 0) return undefined;
  const giveBack = () => plans.forEach(({ claim }) => claim.giveBack());
  return {
    leasedAtSubmit: plans.map(({ lease }) => lease),
    handedWhole,
    giveBack,
    hand(submitted) {
      if (submitted.replayed) return giveBack();
      const now = Date.now(); // handed as they were accepted: their time in the queue (a metric) is nil
      for (const { claim, lease } of plans) {
        const leased = lease.taskIndexes.map((index): LeasedTask => {
          const task = tasks[index];
          return {
            taskId: submitted.taskIds[index],
            attempt: 1,
            leaseToken: lease.leaseToken,
            functionId: task.functionId,
            taskGroupId: submitted.taskGroupId,
            payload: task.payload,
            serializer: task.serializer,
            createdAt: now,
            ...(task.resourceSpecification ? { resourceSpecification: task.resourceSpecification } : {}),
            ...(task.userRuntime ? { userRuntime: task.userRuntime } : {}),
          };
        });
        claim.hand({ tasks: leased, functions: new Map(leased.map((task) => [task.functionId, functions.get(task.functionId)!])) });
      }
    },
  };
}

/**
 * The poll's share of the submit, as its own lease would take it: the endpoint's tasks in order,
 * at most max_tasks, cut at max_bytes as a lease cuts (the first always goes).
 */
function takenBy(terms: PollTerms, tasks: readonly NewTask[]): number[] {
  const head = [...tasks.entries()]
    .filter(([, task]) => task.endpointId === terms.endpointId)
    .slice(0, terms.maxTasks)
    .map(([index, task]) => ({ index, payload_bytes: Buffer.byteLength(task.payload) }));
  return withinByteBudget(head, terms.maxBytes).map((row) => row.index);
}
