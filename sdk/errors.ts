/**
 * The SDK's errors. Service errors keep the service's stable code names
 * (`TaskNotFound`, `FunctionNotPermitted`, ...) as their class names, so
 * callers may use `instanceof` or switch on `error.code`; never on the text.
 * The codes are the service's catalogue (@funcx-ts/shared/errors.ts); serviceError.ts
 * maps an answer's code to its class here, and does not compile while a code of the
 * catalogue has no class.
 */
import type { ErrorResponse } from '@funcx-ts/shared/wire/error.js';

/** Base class of every error the SDK throws. */
export class FuncxError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /** A stable name to switch on: the class name unless a subclass says otherwise. */
  get code(): string {
    return this.constructor.name;
  }
}

/** An error answer (schemas/error.json), as loosely as the SDK takes one: the status may be missing, details anything. */
export type ServiceErrorBody = Pick<ErrorResponse, 'code' | 'reason'> & Partial<Pick<ErrorResponse, 'http_status_code'>> & { details?: unknown };

/** The service answered with an error (one class per code below, or this class for a code the SDK does not know). */
export class ServiceError extends FuncxError {
  readonly status: number;
  readonly reason: string;
  readonly details?: unknown;
  readonly requestId?: string;
  private readonly serviceCode: string;

  constructor(status: number, body: ServiceErrorBody, requestId?: string) {
    super(`${body.code} (${status}): ${body.reason}`);
    this.status = status;
    this.serviceCode = body.code;
    this.reason = body.reason;
    this.details = body.details;
    this.requestId = requestId;
  }

  override get code(): string {
    return this.serviceCode;
  }
}

export class RequestMalformed extends ServiceError {}
export class InvalidUUID extends ServiceError {}
export class ResourceSpecificationInvalid extends ServiceError {}
export class UserUnauthenticated extends ServiceError {}
export class EndpointCredentialInvalid extends ServiceError {}
export class FunctionAccessForbidden extends ServiceError {}
export class EndpointAccessForbidden extends ServiceError {}
export class FunctionNotPermitted extends ServiceError {}
export class RouteNotFound extends ServiceError {}
export class FunctionNotFound extends ServiceError {}
export class EndpointNotFound extends ServiceError {}
export class TaskNotFound extends ServiceError {}
export class TaskGroupNotFound extends ServiceError {}
export class MethodNotAllowed extends ServiceError {}
export class IdempotencyKeyReused extends ServiceError {}
export class TaskAlreadyFinished extends ServiceError {}
export class TaskPayloadTooLarge extends ServiceError {}
export class BatchRunTooLarge extends ServiceError {}
export class RequestBodyTooLarge extends ServiceError {}
export class UnsupportedMediaType extends ServiceError {}
export class InternalError extends ServiceError {}
export class DatabaseUnavailable extends ServiceError {}
export class TooManyRequests extends ServiceError {}
export class IdentityProviderUnavailable extends ServiceError {}
export class UpstreamOptionUnsupported extends ServiceError {}
export class AmqpNotConfigured extends ServiceError {}
export class InvalidCursor extends ServiceError {}
export class InvalidTimeBound extends ServiceError {}
/** The service's disk (or a table of its database) is full: the write was refused and may be retried later. */
export class StorageFull extends ServiceError {}

/** The service could not be reached (refused, reset, timed out) even after retries. */
export class ServiceUnreachable extends FuncxError {}

/** The stored login's token expired (or was refused) and could not be renewed: run `funcx login` again. */
export class LoginExpired extends FuncxError {}

/** No service URL or token: none given as arguments, in the environment, or in FUNCX_HOME. */
export class ConfigurationMissing extends FuncxError {}

/** The service no longer serves this SDK's version (its /v2/version min_sdk_version is newer): upgrade. */
export class SdkVersionTooOld extends FuncxError {}

/** An argument the SDK refuses before calling the service (e.g. a method shorthand as a function). */
export class InvalidArgument extends FuncxError {}

/** `getResult` of a task that has not finished yet. */
export class TaskPending extends FuncxError {
  constructor(readonly taskId: string, readonly status: string) {
    super(`task ${taskId} is still pending (${status})`);
  }
}

/** A result the SDK cannot decode (e.g. a pickle, which only Python can read). */
export class ResultNotDecodable extends FuncxError {}

export interface RemoteExceptionInfo {
  type: string;
  message: string;
  traceback?: string;
  serialized?: string;
}

/**
 * The task failed: the function raised (or the service gave up on it). Carries
 * the remote exception's type, message and traceback; the traceback is also
 * appended to `stack`, so an uncaught one prints where the failure happened.
 */
export class RemoteException extends FuncxError {
  readonly remoteType: string;
  readonly remoteMessage: string;
  readonly remoteTraceback?: string;

  constructor(readonly taskId: string, exception: RemoteExceptionInfo) {
    super(`${exception.type}: ${exception.message}`);
    this.remoteType = exception.type;
    this.remoteMessage = exception.message;
    this.remoteTraceback = exception.traceback;
    if (exception.traceback) this.stack = `${this.stack}\n\nRemote traceback (task ${taskId}):\n${exception.traceback.trimEnd()}`;
  }

  /** The remote exception's type name (`ValueError`, `TaskCancelled`, ...). */
  override get code(): string {
    return this.remoteType;
  }
}

/** A future whose task was cancelled by `Executor.shutdown({cancelFutures: true})` or `future.cancel()`. */
export class FutureCancelled extends FuncxError {}

/** `Executor.submit` after `shutdown`. */
export class ExecutorShutDown extends FuncxError {}
