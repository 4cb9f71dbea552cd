/**
 * The lease polls waiting on this service instance, so that a submit can lease its tasks
 * straight to one of them.
 *
 * Before, a lone task reached its endpoint in three steps after the submit's commit: the
 * wake-up ended the endpoint's waiting poll, the poll leased the task (a read, an UPDATE and a
 * commit; two round trips on MariaDB) and answered. Now, when that endpoint's poll waits here,
 * the submit takes the poll's terms (capacity, byte budget, session, lease length) and writes the
 * tasks it hands over already leased to it, in the submit's own transaction (submitTasks.ts,
 * `leasedAtSubmit`): the poll answers with them and reads nothing. The durable step is the same
 * one as before: the lease is in the ledger before the poll can answer, and a poll that cannot
 * answer (its agent left) hands the tasks back at once, as a poll whose agent left mid-lease did.
 *
 * A poll is claimable only between its looks (`startWaiting` after a look that found nothing,
 * `stopWaiting` when the next look begins or the poll ends), so it never gets tasks from a
 * submit and from its own look at once. A claim lasts from before the submit's transaction to
 * its end: the poll's next look waits for it and answers what it handed, or looks as usual when
 * the submit gave nothing (it failed, or it was a replay).
 *
 * A poll handed tasks is woken by its own wake-up (`wake`), not the endpoint's: a submit whose
 * tasks for an endpoint all went to its poll leaves nothing leasable there, so it wakes no other
 * poll of the endpoint, on this replica or another, and the endpoint stays known to be empty
 * (knownEmptyLeaseQueues.ts): the agent's next poll, sent as the task starts, waits without a
 * lease read. In a lone round trip that read competed with the task's results post.
 */
import type { LeasedTask } from '../ledger/leaseTasks.js';
import type { FunctionRow } from '../registry/functions.js';
import { onePerDatabase } from '../util/perDatabase.js';

/** What a waiting poll will take: its lease request's terms. */
export interface PollTerms {
  endpointId: string;
  maxTasks: number;
  maxBytes?: number;
  session?: string;
  leaseMs: number;
}

/** What a submit handed a poll: its tasks, leased, and their functions for the answer. */
export interface Handed {
  tasks: LeasedTask[];
  functions: Map<string, FunctionRow>;
}

/** A submit's hold on a poll: it hands the poll tasks, or gives it back to wait on. */
export interface PollClaim {
  readonly terms: PollTerms;
  hand(handed: Handed): void;
  giveBack(): void;
}

type State = 'looking' | 'waiting' | 'claimed';

export class WaitingLeasePoll {
  private state: State = 'looking';
  private claimOutcome?: Promise<Handed | undefined>;
  private lookAwaitsClaim = false;

  /** `wake` makes the poll look now (its own wake-up key); called once a submit has handed it tasks. */
  constructor(readonly terms: PollTerms, private readonly polls: WaitingLeasePolls, private readonly wake: () => void) {}

  /** After a look that found nothing: a submit may now claim it. */
  startWaiting(): void {
    if (this.state !== 'looking') return;
    this.state = 'waiting';
    this.polls.add(this);
  }

  /** A look begins, or the poll ends: no claim from now on; what a claim made meanwhile handed, if anything. */
  async stopWaiting(): Promise<Handed | undefined> {
    if (this.state === 'waiting') {
      this.polls.remove(this);
      this.state = 'looking';
      return undefined;
    }
    if (this.state !== 'claimed') return undefined;
    this.lookAwaitsClaim = true;
    const handed = await this.claimOutcome;
    this.lookAwaitsClaim = false;
    this.state = 'looking';
    return handed;
  }

  /** The registry's claim: only a waiting poll, once. */
  claim(): PollClaim {
    this.polls.remove(this);
    this.state = 'claimed';
    let settle!: (handed: Handed | undefined) => void;
    this.claimOutcome = new Promise((resolve) => { settle = resolve; });
    let settled = false;
    return {
      terms: this.terms,
      hand: (handed) => {
        if (settled) return;
        settled = true;
        settle(handed);
        this.wake();
      },
      giveBack: () => {
        if (settled) return;
        settled = true;
        settle(undefined);
        // Still between looks: it waits on, claimable again. A look already waiting for the
        // outcome goes on to look as usual.
        if (!this.lookAwaitsClaim) {
          this.state = 'looking';
          this.startWaiting();
        }
      },
    };
  }
}

export class WaitingLeasePolls {
  /** Per endpoint, its waiting polls in the order they began waiting. */
  private readonly byEndpoint = new Map<string, Set<WaitingLeasePoll>>();

  /** A poll on an ordinary endpoint's lease request (not yet waiting); `wake` makes it look at once. */
  poll(terms: PollTerms, wake: () => void): WaitingLeasePoll {
    return new WaitingLeasePoll(terms, this, wake);
  }

  /** The endpoint's longest-waiting poll, claimed for a submit; none when no poll of it waits here. */
  claim(endpointId: string): PollClaim | undefined {
    const waiting = this.byEndpoint.get(endpointId);
    const first = waiting?.values().next().value;
    return first?.claim();
  }

  /** How many polls wait here now (for tests: it walks every endpoint's set, so not for a hot path). */
  get size(): number {
    let count = 0;
    for (const polls of this.byEndpoint.values()) count += polls.size;
    return count;
  }

  add(poll: WaitingLeasePoll): void {
    const polls = this.byEndpoint.get(poll.terms.endpointId) ?? new Set<WaitingLeasePoll>();
    polls.add(poll);
    this.byEndpoint.set(poll.terms.endpointId, polls);
  }

  remove(poll: WaitingLeasePoll): void {
    const polls = this.byEndpoint.get(poll.terms.endpointId);
    if (!polls) return;
    polls.delete(poll);
    if (polls.size === 0) this.byEndpoint.delete(poll.terms.endpointId);
  }
}

/** This service instance's waiting polls (one per database handle, as the other in-memory state). */
export const waitingLeasePollsOf = onePerDatabase(() => new WaitingLeasePolls());
