/**
 * What an endpoint agent calls, with its own credential: lease work (a
 * long-poll), post results, heartbeat, hand back, end its poll (stopping),
 * reconcile its leases (starting, reconnecting). See docs/api.md.
 */
import Router from '@koa/router';
import { requireEndpointCredential } from '../authenticate.js';
import { uuidParams } from '../params.js';
import { bodyIn, validBody } from '../validatedInput.js';
import { longPoll } from '../longPoll.js';
import type { LeasedTask } from '../../ledger/leaseTasks.js';
import { leaseFor, leaseQueues } from '../../ledger/leaseForEndpoint.js';
import { completeTasks, type PostedResult } from '../../ledger/completeTasks.js';
import { extendLeases, type HeldLease } from '../../ledger/extendLeases.js';
import { releaseLeases } from '../../ledger/releaseLeases.js';
import { reconcileLeases } from '../../ledger/reconcileLeases.js';
import { endLeasePolls, listenForPollEnd } from '../leasePollEnd.js';
import { LeasedFunctions } from '../../registry/leasedFunctions.js';
import { waitingLeasePollsOf } from '../waitingLeasePolls.js';
import { wokenAnswersFirst } from '../wokenAnswersFirst.js';
import { KnownEmptyLeaseQueues } from '../knownEmptyLeaseQueues.js';
import { recordHeartbeat } from '../../registry/heartbeats.js';
import { heartbeatMemoryOf } from '../../registry/heartbeatMemory.js';
import { idleHeartbeatSeconds, pollSightingsOf } from '../../registry/pollSightings.js';
import { dialectOf } from '../../db/connect.js';
import { recordStateReport, type StateReport } from '../../registry/endpointState.js';
import { endpointKey, leasePollKey, taskKey } from '../../wakeups.js';
import type { RequestState, ServiceDeps } from '../context.js';
import type { EndpointLeaseRequest } from '@funcx-ts/shared/wire/endpoint-lease.js';
import type { EndpointLeaseResponse } from '@funcx-ts/shared/wire/endpoint-lease-response.js';
import type { EndpointHeartbeatRequest } from '@funcx-ts/shared/wire/endpoint-heartbeat.js';
import type { LeaseReconcileRequest } from '@funcx-ts/shared/wire/lease-reconcile.js';
import type { LeasePollsEndRequest } from '@funcx-ts/shared/wire/lease-polls-end.js';

/** One look of a lease poll: what it leased, and whether to answer now whatever it holds (the caller left or asked to end). */
interface LeaseLook {
  leased: LeasedTask[];
  answerNow: boolean;
}

export function endpointProtocolRoutes(deps: ServiceDeps): Router<RequestState> {
  const { db, validator, config, wakeups } = deps;
  const router = new Router<RequestState>();
  const endpointOnly = [uuidParams('endpoint_id'), requireEndpointCredential(db)];
  // A lease poll or results post that moves a task is paid for by the submit that made it (authenticate.ts).
  const endpointMovingWork = [uuidParams('endpoint_id'), requireEndpointCredential(db, 'when-idle')];
  // With the replica relay on, every submit, hand-back and reaped lease wakes a waiting poll on any
  // replica: no re-check within a poll; a new poll's first look is the safety net (wait_s <= 60 s),
  // skipped while the endpoint is known empty here, for at most KNOWN_EMPTY_TRUST_MS.
  const fallbackAfter = dialectOf(db) === 'mysql' && config.replicaWakeupInterval > 0 ? Number.POSITIVE_INFINITY : config.pollFallbackInterval;
  // An idle endpoint's next poll skips its first look while its last one here found nothing (knownEmptyLeaseQueues.ts).
  const knownEmpty = new KnownEmptyLeaseQueues(wakeups);
  /** Numbers each lease poll's own wake-up key (leasePollKey). */
  let leasePollsMade = 0;

  router.post('/v3/endpoints/:endpoint_id/lease', ...endpointMovingWork, validBody(validator, 'endpoint-lease.json'), async (ctx) => {
    const request = bodyIn<Required<Omit<EndpointLeaseRequest, 'session' | 'max_bytes'>> & Pick<EndpointLeaseRequest, 'session' | 'max_bytes'>>(ctx);
    const endpointId = ctx.params.endpoint_id;
    const endpoint = ctx.state.endpoint!;
    const lease = leaseFor(endpoint); // refuses a multi-user endpoint, once, before the poll
    // The poll is the agent's sign of life: it stands for an idle agent's heartbeats (pollSightings.ts).
    void pollSightingsOf(db).sight(endpointId, config.endpointOfflineAfter, ctx.state.log);
    const idleHeartbeatS = idleHeartbeatSeconds(request.wait_s, config.endpointOfflineAfter);
    // A stopping agent asks its poll to end (leasePollEnd.ts): it leases nothing more and answers now.
    const pollEnd = listenForPollEnd(wakeups, endpointId, request.session);
    const leasedFunctions = new LeasedFunctions(db);
    // Between its looks an ordinary endpoint's poll may be handed a submit's tasks, already leased
    // to it (waitingLeasePolls.ts); a per-user endpoint's poll leases its user's tasks itself.
    const ownKey = leasePollKey(++leasePollsMade);
    const waiting = endpoint.userEndpointOf ? undefined : waitingLeasePollsOf(db).poll({
      endpointId, maxTasks: request.max_tasks, maxBytes: request.max_bytes, session: request.session, leaseMs: config.leaseTimeout,
    }, () => wakeups.notifyLocal(ownKey));
    const handBack = async (tasks: readonly LeasedTask[]) => {
      await releaseLeases(db, { endpointId, leases: tasks.map((t) => ({ task_id: t.taskId, lease_token: t.leaseToken })) });
      wakeups.notify(endpointKey(endpointId));
    };
    // A hang-up (FIN) is visible on the socket before the response's close event fires.
    const socketGone = () => ctx.req.socket.destroyed || ctx.req.socket.readableEnded;
    let leased: LeasedTask[] = [];
    let answered = false;
    try {
      ({ leased } = await longPoll<LeaseLook>(deps, ctx.res, {
        waitMs: request.wait_s * 1000,
        keys: [...leaseQueues(endpoint).map(endpointKey), ownKey],
        recheckMs: fallbackAfter,
        stop: pollEnd.signal,
        // Nothing woke it and its time is up: answer empty without another look, since the agent's
        // next poll looks first thing (an idle endpoint costs one lease query per poll, not two or three).
        lookAtDeadline: false,
        done: (look) => look.leased.length > 0 || look.answerNow,
        look: async ({ clientGone, fired }) => {
          const gone = () => clientGone.aborted || socketGone();
          const handed = await waiting?.stopWaiting();
          if (handed) {
            leasedFunctions.provide(handed.functions);
            if (!gone() && !pollEnd.signal.aborted) return { leased: handed.tasks, answerNow: false };
            await handBack(handed.tasks);
            return { leased: [], answerNow: true };
          }
          // Let pending socket events run first: a wake-up (an endpoint's own hand-back as it stops)
          // can arrive in the same turn as that endpoint hanging up this poll.
          await new Promise((resolve) => setImmediate(resolve));
          // Never lease to a caller who will not receive (or use) the tasks.
          if (gone() || pollEnd.signal.aborted) return { leased: [], answerNow: true };
          const queue = endpointKey(endpointId);
          // The first look of an idle endpoint's poll, whose last look here found nothing and nothing woke since.
          if (waiting && fired === undefined && knownEmpty.isKnownEmpty(queue)) {
            waiting.startWaiting();
            return { leased: [], answerNow: false };
          }
          const look = waiting ? knownEmpty.lookStarts(queue) : undefined;
          const leased = await lease(db, {
            maxTasks: request.max_tasks, leaseMs: config.leaseTimeout, session: request.session, maxBytes: request.max_bytes,
            alongsideMark: leasedFunctions.alongsideMark,
          });
          if (look) knownEmpty.lookFound(queue, look, leased.length);
          if (gone() && leased.length > 0) {
            // The caller hung up while we leased (an endpoint stopping): hand the tasks straight back
            // rather than let them wait out a lease nobody holds.
            await handBack(leased);
            return { leased: [], answerNow: true };
          }
          if (leased.length === 0) waiting?.startWaiting();
          return { leased, answerNow: false };
        },
      }));
      answered = true;
    } finally {
      // A submit that claimed this poll after its last look: its tasks are this answer, if there is one to give.
      const late = await waiting?.stopWaiting();
      if (late) {
        if (answered && leased.length === 0 && !socketGone() && !pollEnd.signal.aborted) {
          leased = late.tasks;
          leasedFunctions.provide(late.functions);
        } else {
          await handBack(late.tasks);
        }
      }
      pollEnd.close();
    }
    // An empty answer moved nothing: the poll is charged now (a 429 in its place loses no task).
    if (leased.length === 0) await ctx.state.chargeIfIdle?.();
    deps.metrics?.tasksLeased(endpointId, leased);
    const functions = await leasedFunctions.forTasks(leased);
    const response: EndpointLeaseResponse = {
      lease_seconds: config.leaseTimeout / 1000,
      ...(idleHeartbeatS !== undefined ? { idle_heartbeat_s: idleHeartbeatS } : {}),
      tasks: leased.map((t) => ({
        task_id: t.taskId,
        attempt: t.attempt,
        lease_token: t.leaseToken,
        function_id: t.functionId,
        task_group_id: t.taskGroupId,
        payload: t.payload,
        serializer: t.serializer,
        ...(t.resourceSpecification ? { resource_specification: t.resourceSpecification } : {}),
        ...(t.userRuntime ? { user_runtime: t.userRuntime } : {}),
      })),
      functions: Object.fromEntries(
        [...functions.values()].map((fn) => [fn.id, { function_id: fn.id, name: fn.name, runtime: fn.runtime, source: fn.source, entry_point: fn.entry_point, ...(fn.code_serializer ? { code_serializer: fn.code_serializer } : {}), ...(fn.container_image ? { container_image: fn.container_image } : {}) }]),
      ),
    };
    ctx.body = response;
  });

  router.post('/v3/endpoints/:endpoint_id/results', ...endpointMovingWork, validBody(validator, 'endpoint-results.json'), async (ctx) => {
    const { results } = bodyIn<{ results: PostedResult[] }>(ctx);
    const completed = await completeTasks(db, {
      endpointId: ctx.params.endpoint_id,
      results,
      maxResultBytes: config.maxResultBytes,
      maxRetries: config.maxRetries,
    });
    deps.metrics?.resultsStored(ctx.params.endpoint_id, results, completed);
    let waitWoken = false;
    for (const taskId of completed.finished) if (wakeups.notify(taskKey(taskId))) waitWoken = true;
    for (const endpointId of new Set(completed.requeuedFor)) wakeups.notify(endpointKey(endpointId));
    if (waitWoken) await wokenAnswersFirst(); // a client's wait for these results
    // Nothing stored or re-queued (duplicates, rejections): charged. A 429 now changes nothing stored,
    // and the same post answers the same outcomes when the agent sends it again.
    if (completed.finished.length === 0 && completed.requeuedFor.length === 0) await ctx.state.chargeIfIdle?.();
    ctx.body = { results: completed.outcomes };
  });

  router.post('/v3/endpoints/:endpoint_id/heartbeat', ...endpointOnly, validBody(validator, 'endpoint-heartbeat.json'), async (ctx) => {
    const { leases = [], ...report } = bodyIn<EndpointHeartbeatRequest>(ctx);
    const endpointId = ctx.params.endpoint_id;
    // Leases first: they are what keeps the endpoint's work. The report only feeds
    // the status page, so failing to store it is logged and does not fail the heartbeat.
    const extended = await extendLeases(db, { endpointId, leases, leaseMs: config.leaseTimeout });
    try {
      await recordHeartbeat(db, { endpointId, report, keep: config.heartbeatLogSize, offlineAfterMs: config.endpointOfflineAfter });
    } catch (error) {
      ctx.state.log.error({ err: error, endpointId }, 'could not record the heartbeat report; its leases were extended');
    }
    ctx.body = { lease_seconds: config.leaseTimeout / 1000, ...extended };
  });

  // The agent's last word before it exits: a clean stop (offline, who stopped it) or a fatal error (failed).
  router.post('/v3/endpoints/:endpoint_id/state', ...endpointOnly, validBody(validator, 'endpoint-state-report.json'), async (ctx) => {
    const report = bodyIn<StateReport>(ctx);
    await recordStateReport(db, ctx.params.endpoint_id, report);
    ctx.state.log.info({ endpointId: ctx.params.endpoint_id, state: report.state, detail: report.detail }, 'endpoint agent reported its state');
    ctx.body = { endpoint_id: ctx.params.endpoint_id, state: report.state };
  });

  router.post('/v3/endpoints/:endpoint_id/release', ...endpointOnly, validBody(validator, 'lease-release.json'), async (ctx) => {
    const { leases } = bodyIn<{ leases: HeldLease[] }>(ctx);
    const released = await releaseLeases(db, { endpointId: ctx.params.endpoint_id, leases });
    if (released.length > 0) wakeups.notify(endpointKey(ctx.params.endpoint_id));
    ctx.body = { released };
  });

  router.post('/v3/endpoints/:endpoint_id/polls/end', ...endpointOnly, validBody(validator, 'lease-polls-end.json'), (ctx) => {
    const { session } = bodyIn<LeasePollsEndRequest>(ctx);
    ctx.body = { ended: endLeasePolls(wakeups, ctx.params.endpoint_id, session ? [session] : []) };
  });

  router.post('/v3/endpoints/:endpoint_id/reconcile', ...endpointOnly, validBody(validator, 'lease-reconcile.json'), async (ctx) => {
    const { session, previous = [], held } = bodyIn<LeaseReconcileRequest>(ctx);
    const endpointId = ctx.params.endpoint_id;
    // Scoped to the caller's sessions: this run's and its folder's earlier runs'. Another agent
    // of the same endpoint id (another host) has its own session, and its leases and poll stay.
    const sessions = [session, ...previous];
    // A poll of these sessions still waiting is none the agent waits on (it reconciles between
    // polls; an earlier run's is dead): end it first, so it cannot lease into a connection nobody reads.
    endLeasePolls(wakeups, endpointId, sessions);
    heartbeatMemoryOf(db).forget(endpointId); // an agent (re)starting: its first heartbeat writes in full
    const reconciled = await reconcileLeases(db, { endpointId, sessions, held, maxRetries: config.maxRetries });
    const returned = [...reconciled.released, ...reconciled.counted];
    if (returned.length > 0) {
      ctx.state.log.info({ endpointId, session, previous: previous.length, released: reconciled.released.length, counted: reconciled.counted.length }, 'leases the endpoint agent no longer held returned to the queue');
      wakeups.notify(endpointKey(endpointId));
    }
    ctx.body = { released: returned };
  });

  return router;
}
