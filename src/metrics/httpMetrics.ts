/**
 * Counts every answered request by the router's route template (never the raw
 * path, so ids do not become label values) and times it; tracks the requests
 * waiting in a long-poll. Sits outside errorHandler, so refused requests count
 * with their final status.
 */
import type { Middleware } from '../http/context.js';
import type { ServiceMetrics } from './serviceMetrics.js';

const LEASE_PATH = /^\/v3\/endpoints\/[^/]+\/lease$/;

export function httpMetrics(metrics: ServiceMetrics): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    const longPoll = ctx.method !== 'POST' ? undefined : ctx.path === '/v3/tasks/wait' ? 'wait' : LEASE_PATH.test(ctx.path) ? 'lease' : undefined;
    if (longPoll) metrics.longPollWaiters.set(longPoll, metrics.longPollWaiters.get(longPoll)! + 1);
    try {
      await next();
    } finally {
      if (longPoll) metrics.longPollWaiters.set(longPoll, metrics.longPollWaiters.get(longPoll)! - 1);
      // koa-router records the template it matched; anything else is one bucket.
      const route = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      const labels = { method: ctx.method, route: typeof route === 'string' ? route : 'unmatched' };
      metrics.httpRequests.inc({ ...labels, status: String(ctx.status) });
      metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
    }
  };
}
