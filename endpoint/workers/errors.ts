/**
 * The failures the executor itself reports (as opposed to the user's own
 * exceptions, which workers capture). Each has a stable type name the SDKs
 * can switch on; only a lost worker or a stopping executor asks for a retry.
 */
import type { TaskOutcome } from '../execution.js';

export type ExecutorFailureType =
  | 'WorkerLost'
  | 'WorkerStartFailed'
  | 'ExecutorStopped'
  | 'TaskWalltimeExceeded'
  | 'TaskCancelled'
  | 'SerializerNotAllowed'
  | 'RuntimeNotAvailable'
  | 'ContainerNotAvailable'
  | 'ResourceSpecificationInvalid'
  | 'ResourceSpecificationUnsatisfiable'
  | 'TaskPayloadInvalid'
  | 'KeyError'
  | 'IndexError'
  | 'ValueError';

/** A typed failure raised inside the executor and turned into an outcome at its edge. */
export class ExecutorFailure extends Error {
  constructor(
    readonly type: ExecutorFailureType,
    message: string,
    readonly retry = false,
  ) {
    super(message);
    this.name = type;
  }

  toOutcome(): TaskOutcome {
    return this.retry
      ? { status: 'failed', retry: true, exception: { type: this.type, message: this.message } }
      : { status: 'failed', exception: { type: this.type, message: this.message } };
  }
}

export function failed(type: ExecutorFailureType, message: string, retry = false): TaskOutcome {
  return new ExecutorFailure(type, message, retry).toOutcome();
}
