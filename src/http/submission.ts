/**
 * The checks every submit passes before the ledger accepts it, shared by the
 * per-endpoint submit and the mixed batch: sizes, endpoint access, function
 * access, the endpoint's allowed functions; then the idempotent insert, then a
 * wake-up for the endpoints' waiting polls.
 */
import { createHash } from 'node:crypto';
import {
  BatchRunTooLarge, EndpointAccessForbidden, FunctionNotFound, FunctionNotPermitted,
  RequestMalformed, ResourceSpecificationInvalid, TaskPayloadTooLarge,
} from '../errors.js';
import { resolveResourceSpecification } from '../resources/resourceSpecification.js';
import { canUseEndpoint, getVisibleEndpoint, type EndpointRow } from '../registry/endpoints.js';
import { canRunFunction, loadFunctions } from '../registry/functions.js';
import { submitTasks, type Dedupe, type NewTask, type Submitted, type WithinSubmit } from '../ledger/submitTasks.js';
import { endpointKey } from '../wakeups.js';
import { recordSubmitterClaims } from '../registry/submitterClaims.js';
import { claimWaitingPolls } from './submitToWaitingPolls.js';
import { wokenAnswersFirst } from './wokenAnswersFirst.js';
import type { AppContext, ServiceDeps } from './context.js';
import type { UserPrincipal } from '../auth/principal.js';

export async function acceptSubmission(
  deps: ServiceDeps,
  ctx: AppContext,
  /** `dedupe` replaces the key taken from the request (the Action Provider keys a run by its request_id). */
  input: { user: UserPrincipal; taskGroupId?: string; tasks: NewTask[]; dedupe?: Dedupe; within?: WithinSubmit },
): Promise<Submitted> {
  const { config, db } = deps;
  if (input.tasks.length > config.maxBatchTasks) {
    throw new BatchRunTooLarge(`${input.tasks.length} tasks in one submit; the limit is ${config.maxBatchTasks}`);
  }
  input.tasks.forEach((task, index) => {
    const size = Buffer.byteLength(task.payload);
    if (size > config.maxPayloadBytes) {
      throw new TaskPayloadTooLarge(`task ${index}'s payload is ${size} bytes; the limit is ${config.maxPayloadBytes}`, { details: { index, size } });
    }
  });

  // The endpoints' and the functions' reads go out together (on MySQL over separate pooled
  // connections): two database round trips before the submit's transaction, not four. The
  // checks below still run in the same order, so the same error answers a bad request.
  const endpointIds = [...new Set(input.tasks.map((t) => t.endpointId))];
  const [loaded, functions] = await Promise.all([
    Promise.allSettled(endpointIds.map((endpointId) => getVisibleEndpoint(db, input.user, endpointId))),
    loadFunctions(db, input.tasks.map((t) => t.functionId)),
  ]);
  const endpoints = new Map<string, EndpointRow>();
  for (const [i, endpointId] of endpointIds.entries()) {
    const outcome = loaded[i];
    if (outcome.status === 'rejected') throw outcome.reason;
    const endpoint = outcome.value;
    if (!canUseEndpoint(input.user, endpoint)) throw new EndpointAccessForbidden(`you may not run tasks on endpoint ${endpointId}`);
    // Tasks reach a per-user endpoint through its multi-user endpoint, which checked who may run there.
    if (endpoint.parent_id != null) throw new EndpointAccessForbidden(`endpoint ${endpointId} is a per-user endpoint; submit to its multi-user endpoint ${endpoint.parent_id}`);
    endpoints.set(endpointId, endpoint);
  }
  for (const task of input.tasks) {
    const fn = functions.get(task.functionId);
    // A function the caller may not run is not revealed to exist.
    if (!fn || !canRunFunction(input.user, fn)) throw new FunctionNotFound(`function ${task.functionId} not found`);
    const allowed = endpoints.get(task.endpointId)!.allowed_functions;
    if (allowed.length > 0 && !allowed.includes(task.functionId)) {
      throw new FunctionNotPermitted(`endpoint ${task.endpointId} does not allow function ${task.functionId}`);
    }
  }
  input.tasks.forEach((task, index) => checkResources(task, functions.get(task.functionId)!.runtime, index));

  // A multi-user endpoint maps the submitter's claims (username, email) to a local account.
  if ([...endpoints.values()].some((endpoint) => endpoint.multi_user)) await recordSubmitterClaims(db, input.user);
  const dedupe = input.dedupe ?? dedupeFor(ctx);
  // Tasks for an endpoint whose lease poll waits here are leased to it in the submit's own transaction.
  const handOff = claimWaitingPolls(db, input.tasks, endpoints.keys(), functions);
  let submitted: Submitted;
  try {
    submitted = await submitTasks(db, {
      submitter: input.user.id,
      taskGroupId: input.taskGroupId,
      dedupe,
      tasks: input.tasks,
      within: input.within,
      leasedAtSubmit: handOff?.leasedAtSubmit,
    });
  } catch (error) {
    handOff?.giveBack();
    throw error;
  }
  handOff?.hand(submitted);
  deps.metrics?.tasksSubmitted(input.tasks, submitted.replayed);
  if (handOff && !submitted.replayed) await wokenAnswersFirst(); // the lease answer is the task's way on
  if (submitted.replayed) ctx.set('Idempotent-Replayed', 'true');
  else {
    // An endpoint whose tasks all went to its waiting poll has nothing leasable: that poll was woken by its own key.
    for (const endpointId of endpoints.keys()) if (!handOff?.handedWhole.has(endpointId)) deps.wakeups.notify(endpointKey(endpointId));
  }
  return submitted;
}

/**
 * An mpi function's task needs a resource_specification (its launcher is built from it), and
 * any specification must agree with itself. Whether the endpoint's blocks can ever give it that
 * many nodes only the endpoint knows: it fails such a task at once.
 */
function checkResources(task: NewTask, runtime: string, index: number): void {
  if (!task.resourceSpecification) {
    if (runtime === 'mpi') {
      throw new ResourceSpecificationInvalid(`task ${index} runs mpi function ${task.functionId}, which needs a resource_specification (num_nodes, ranks_per_node or num_ranks)`, { details: { index } });
    }
    return;
  }
  const resolved = resolveResourceSpecification(task.resourceSpecification);
  if (!resolved.ok) throw new ResourceSpecificationInvalid(`task ${index}'s resource_specification: ${resolved.problem}`, { details: { index } });
}

/**
 * Only an explicit Idempotency-Key dedupes. A task group is not a key: clients
 * (the upstream SDKs among them) reuse one group for all their submits, and the
 * same call twice in it must run twice.
 */
function dedupeFor(ctx: AppContext): Dedupe | undefined {
  const header = ctx.get('Idempotency-Key');
  if (!header) return undefined;
  if (header.length > 255) throw new RequestMalformed('Idempotency-Key is longer than 255 characters');
  const bodyHash = createHash('sha256').update(ctx.state.rawBody ?? Buffer.alloc(0)).update(ctx.path).digest('hex');
  return { key: `key:${header}`, bodyHash };
}
