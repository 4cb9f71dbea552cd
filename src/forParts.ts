/**
 * The service as a part mounted into it sees it (today the Action Provider,
 * action-provider/): exactly what a part may use, named here so that the
 * service can change anything else without a part noticing. eslint.config.js
 * refuses any other import of src/ from action-provider/ (the generated wire
 * types of @funcx-ts/shared/wire excepted). Adding a name here widens the
 * contract: prefer a name that says what the part does with it.
 */

// --- being a part: the interface the service mounts, the services it hands over
export type { ServicePart, PartMaintenanceDeps, PartMiddleware } from './servicePart.js';
export type { ServiceDeps, RequestState, AppContext } from './http/context.js';
export type { Config, Option } from './config.js';
export type { Annotation } from './openapi/annotations.js';
export type { Logger } from './logger.js';
export type { Validator } from './http/validation.js';

// --- requests: the body, the query, who is calling
export { jsonBody, bodyOf } from './http/jsonBody.js';
export { singleQueryValue, strictInteger } from './http/inputLimits.js';
export { isUuid } from './http/params.js';
export { authenticateUserToken } from './http/authenticate.js';
export { ENDPOINT_CREDENTIAL_PREFIX } from './auth/secrets.js';
export type { UserPrincipal } from './auth/principal.js';

// --- errors the service's routes answer with, and how long a client waits after a full disk
export {
  FuncxError, DatabaseUnavailable, IdempotencyKeyReused, IdentityProviderUnavailable, MethodNotAllowed, RequestBodyTooLarge,
  RequestMalformed, RouteNotFound, StorageFull, TooManyRequests, UnsupportedMediaType, UserUnauthenticated, asError,
} from './errors.js';
export { isStorageFullError } from './db/storageFull.js';
export { STORAGE_FULL_RETRY_AFTER_S } from './http/errorHandler.js';

// --- tasks: submit them (every check a submit passes), read their states, wake who waits on them
export { acceptSubmission } from './http/submission.js';
export type { NewTask, Submitted } from './ledger/submitTasks.js';
export type { ResourceSpecification } from './resources/resourceSpecification.js';
export { CANCELLED, FAILED, RUNNING, SUCCESS, WAITING, isFinished } from './ledger/model.js';
export type { AttemptRecord, TaskException, TaskState } from './ledger/model.js';
export { taskKey } from './wakeups.js';
export type { Wakeups } from './wakeups.js';

// --- the database: short transactions, the database's clock (never the process's), the dialect
export { inTransaction, isDuplicateKeyError } from './db/transaction.js';
export { now, nowSql, readNow } from './db/clock.js';
export { dialectOf } from './db/connect.js';

// --- small helpers: durations, stored JSON, the package's folder
export { DAY, HOUR, MINUTE, SECOND, isoOrNull } from './util/time.js';
export { parseStored } from './util/json.js';
export { packageRoot } from './util/paths.js';
