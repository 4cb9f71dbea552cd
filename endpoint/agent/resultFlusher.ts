/**
 * Results on their way to the service. Results are posted from memory as they finish (those
 * finished while a post is in flight go together in the next, up to RESULT_BATCH); only a result
 * that cannot be posted (the service unreachable, or the agent stopping) goes to the on-disk
 * spool, and leaves it when acknowledged (resultOutbox.ts says why). An acknowledged result's
 * task is held no more.
 *
 * A batch the service refuses for its size (413) or content (400) is halved until the result at
 * fault is alone, which is then reported as the failure the service accepts (resultShaping.ts),
 * so it cannot hold up the rest.
 */
import type { Logger } from '../logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { Backoff } from '../backoff.js';
import { ServiceRejected } from '../errors.js';
import type { ServiceClient } from '../client.js';
import type { ResultSpool, SpooledResult } from '../spool.js';
import { ResultOutbox } from '../resultOutbox.js';
import { DiskTrouble } from '../diskTrouble.js';
import type { PrefetchTuner } from '../prefetch.js';
import type { HeldTasks } from './heldTasks.js';
import type { ServiceConnection } from './serviceConnection.js';
import { invalidInstead, stripAttempt, tooLargeForService } from './resultShaping.js';

const RESULT_BATCH = 500;

export interface ResultFlusherDeps {
  client: ServiceClient;
  credential: string;
  endpointId: string;
  spool: ResultSpool;
  held: HeldTasks;
  connection: ServiceConnection;
  /** Hears each post's round trip (prefetch: auto). */
  tuner: PrefetchTuner;
  /** The agent stopped: no more posts. */
  stopped: AbortSignal;
  log: Logger;
}

export class ResultFlusher {
  readonly #outbox: ResultOutbox;
  #flushing: Promise<void> | undefined;

  constructor(private readonly deps: ResultFlusherDeps) {
    this.#outbox = new ResultOutbox(deps.spool, new DiskTrouble(deps.log, 'results to the spool'));
  }

  /** Results not yet acknowledged. */
  get pending(): number {
    return this.#outbox.length;
  }

  /** The post loop, while it runs. */
  get inFlight(): Promise<void> | undefined {
    return this.#flushing;
  }

  /** Every result not yet acknowledged (their leases are still ours: reconciles list them). */
  unacknowledged(): readonly SpooledResult[] {
    return this.#outbox.all();
  }

  /** Results kept in the spool by an earlier run: posted first. */
  restore(results: SpooledResult[]): void {
    this.#outbox.restore(results);
    this.schedule();
  }

  /** A task's result: posted soon; known unreachable, it goes to disk at once (it cannot be posted now). */
  add(result: SpooledResult): void {
    this.#outbox.add(result, !this.deps.connection.connected);
    this.schedule();
  }

  /** Starts the post loop unless it runs; it starts again while results are left. */
  schedule(): void {
    this.#flushing ??= this.#flushLoop().finally(() => {
      this.#flushing = undefined;
      if (this.#outbox.length > 0 && !this.deps.stopped.aborted && !this.deps.connection.fatal) this.schedule();
    });
  }

  /** Results that cannot be posted now go to disk, so they survive the agent (posted on its next start). */
  spoolUnposted(): void {
    try {
      const written = this.#outbox.makeDurable();
      if (written > 0) this.deps.log.info({ results: written }, 'results kept in the spool until the service takes them');
    } catch (error) {
      // A full or read-only disk: the results stay in memory; if the agent dies, their leases expire and the tasks rerun.
      this.deps.log.error({ err: asError(error) }, 'cannot write results to the spool');
    }
  }

  async #flushLoop(): Promise<void> {
    const { client, credential, endpointId, connection, held, log, stopped } = this.deps;
    const outbox = this.#outbox;
    const backoff = new Backoff();
    let batchSize = RESULT_BATCH;
    while (outbox.length > 0 && !stopped.aborted) {
      // Let results that finish together go in one request.
      await new Promise((resolve) => setImmediate(resolve));
      this.#dropSuperseded();
      if (outbox.length === 0) break;
      const batch = outbox.first(batchSize);
      try {
        const posting = performance.now();
        const { results } = await client.postResults(credential, endpointId, batch.map(stripAttempt));
        this.deps.tuner.roundTrip(performance.now() - posting);
        connection.succeeded('results', backoff);
        const byTask = new Map(results.map((r) => [r.task_id, r]));
        outbox.acknowledged(batch.length);
        for (const posted of batch) {
          const answer = byTask.get(posted.task_id);
          if (answer?.outcome === 'rejected') {
            log.warn({ taskId: posted.task_id, code: answer.code, reason: answer.reason }, 'result refused; dropped');
          }
          held.resultSettled(posted.task_id, posted.attempt);
        }
        batchSize = RESULT_BATCH;
      } catch (error) {
        if (error instanceof ServiceRejected && error.status === 413) {
          // The request was over the service's body limit: post fewer at a time; a result that is
          // too large alone becomes the failure the service would have recorded, so it is not retried forever.
          if (batch.length > 1) batchSize = Math.ceil(batch.length / 2);
          else this.#replaceTooLarge(batch[0]);
          continue;
        }
        if (error instanceof ServiceRejected && error.status === 400) {
          // The service refused the batch's content. Post halves until the offending result is
          // alone, then report it as a failure the service accepts, so it cannot hold up the rest.
          if (batch.length > 1) batchSize = Math.ceil(batch.length / 2);
          else this.#replaceInvalid(batch[0], error);
          continue;
        }
        if (!connection.failed(error, 'results')) return;
        this.spoolUnposted();
        await backoff.wait(error, stopped);
      }
    }
  }

  #replaceTooLarge(result: SpooledResult): void {
    const { result: failure, bytes } = tooLargeForService(result);
    this.deps.log.warn({ taskId: result.task_id, bytes }, 'result too large for the service; reporting TaskResultTooLarge');
    this.#outbox.replace(result, failure);
  }

  /** Results of attempts the service has since leased to us again: their leases are gone, so they are never posted. */
  #dropSuperseded(): void {
    for (const result of [...this.#outbox.all()]) {
      const newer = this.deps.held.get(result.task_id);
      if (!newer || newer.lease.attempt <= result.attempt) continue;
      this.deps.log.info({ taskId: result.task_id, attempt: result.attempt, newAttempt: newer.lease.attempt }, 'result of a superseded attempt not posted');
      this.#outbox.drop(result);
    }
  }

  /** A result the service refused as malformed becomes a ResultInvalid failure; if even that is refused, it is dropped. */
  #replaceInvalid(result: SpooledResult, error: ServiceRejected): void {
    const failure = invalidInstead(result, error.message);
    if (!failure) {
      // Not the result's content but its identity (task id, lease token) is refused: nothing to post.
      this.deps.log.error({ taskId: result.task_id, reason: error.message }, 'BUG: the service refused even the ResultInvalid failure; dropping the result (its lease will expire)');
      this.#outbox.drop(result);
      this.deps.held.resultSettled(result.task_id, result.attempt);
      return;
    }
    this.deps.log.error({ taskId: result.task_id, code: error.serviceCode, reason: error.message }, 'BUG: the service refused this result as malformed; reporting ResultInvalid instead');
    this.#outbox.replace(result, failure);
  }
}
