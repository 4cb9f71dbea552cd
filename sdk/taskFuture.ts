/**
 * The Executor's future: a Promise-like for one task's result, with the task's
 * id once it has been submitted (`taskId`, or `await future.submitted`).
 */
import { FutureCancelled } from './errors.js';

export class TaskFuture<T = unknown> implements PromiseLike<T> {
  /** The task's id, once the service has accepted it. */
  taskId?: string;
  /** Resolves with the task id when the task is submitted (rejects if submission failed or it was cancelled first). */
  readonly submitted: Promise<string>;
  private readonly result: Promise<T>;
  private state: 'queued' | 'submitted' | 'settled' = 'queued';
  private wasCancelled = false;
  private resolveResult!: (value: T) => void;
  private rejectResult!: (error: unknown) => void;
  private resolveSubmitted!: (taskId: string) => void;
  private rejectSubmitted!: (error: unknown) => void;

  constructor(private readonly canceller: (future: TaskFuture<T>) => Promise<boolean>) {
    this.result = new Promise<T>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    this.submitted = new Promise<string>((resolve, reject) => {
      this.resolveSubmitted = resolve;
      this.rejectSubmitted = reject;
    });
    // A future nobody awaits (e.g. cancelled at shutdown) must not crash the process with an
    // unhandled rejection; whoever does await it still sees the error.
    this.result.catch(() => {});
    this.submitted.catch(() => {});
  }

  /** True once the task was cancelled: by cancel(), shutdown({cancelFutures}), or anyone else (`funcx task cancel`). */
  cancelled(): boolean {
    return this.wasCancelled;
  }

  /** True once the result (or error) is in. */
  get done(): boolean {
    return this.state === 'settled';
  }

  then<R1 = T, R2 = never>(onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null, onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2> {
    return this.result.then(onFulfilled, onRejected);
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.result.catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.result.finally(onFinally);
  }

  /** Cancels the task (before submission, or on the service while it is pending). False if it already finished. */
  cancel(): Promise<boolean> {
    return this.done ? Promise.resolve(false) : this.canceller(this);
  }

  /** @internal the Executor's side */
  markSubmitted(taskId: string): void {
    this.taskId = taskId;
    if (this.state === 'queued') this.state = 'submitted';
    this.resolveSubmitted(taskId);
  }

  /** @internal */
  settle(outcome: { value: T } | { error: unknown }): void {
    if (this.state === 'settled') return;
    this.state = 'settled';
    this.wasCancelled = 'error' in outcome && outcome.error instanceof FutureCancelled;
    this.rejectSubmitted('error' in outcome ? outcome.error : new Error('settled')); // no-op if already submitted
    if ('error' in outcome) this.rejectResult(outcome.error);
    else this.resolveResult(outcome.value);
  }
}
