/**
 * Background duties every replica runs: reap expired leases, purge past
 * retention, prune request budgets that are whole again and old credential
 * revocations. Timers are unref'd and a run never overlaps itself; a failed
 * run is logged and tried again at the next tick.
 */
import type { Knex } from 'knex';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics/serviceMetrics.js';
import type { StorageMonitor } from './db/storageMonitor.js';
import { asError } from './errors.js';
import { reapExpiredLeases } from './ledger/reapExpiredLeases.js';
import { purgeExpired } from './ledger/purgeExpired.js';
import { pruneBudgets } from './limits/sharedBudgets.js';
import { purgeActivity } from './registry/endpointActivity.js';
import { pruneCredentialRevocations } from './registry/credentialRevocations.js';
import { endpointKey, taskKey, type Wakeups } from './wakeups.js';
import { actionProviderPart } from '../action-provider/index.js';

export interface Maintenance {
  stop(): Promise<void>;
  /** Runs the reaper once now (tests, and the CLI). */
  reapNow(): Promise<void>;
}

export function startMaintenance(deps: { db: Knex; config: Config; logger: Logger; wakeups: Wakeups; metrics?: ServiceMetrics; storage?: StorageMonitor }): Maintenance {
  const { db, config, logger, wakeups } = deps;
  const log = logger.child({ component: 'maintenance' });
  const partDeps = { db, wakeups, log };

  const reap = async () => {
    for (;;) {
      const reaped = await reapExpiredLeases(db, { maxRetries: config.maxRetries });
      deps.metrics?.leasesReaped(reaped);
      for (const { endpointId } of reaped.requeued) wakeups.notify(endpointKey(endpointId));
      for (const { taskId } of reaped.failed) wakeups.notify(taskKey(taskId));
      const total = reaped.requeued.length + reaped.failed.length;
      if (total > 0) log.warn({ requeued: reaped.requeued.length, failed: reaped.failed.length }, 'reclaimed expired leases');
      if (total < 500) break;
    }
    await actionProviderPart.maintenance.afterReap(partDeps);
  };
  const purge = async () => {
    await actionProviderPart.maintenance.beforePurge(partDeps);
    const purged = await purgeExpired(db, { retentionMs: config.retention });
    if (purged.deletedTasks + purged.expired > 0) log.info(purged, 'purged tasks past retention');
    await actionProviderPart.maintenance.afterPurge(partDeps);
    // Request budgets that are whole again (rate_limits rows say nothing then).
    const budgets = await pruneBudgets(db);
    // Chart figures of endpoints that stopped heartbeating (a live one prunes its own).
    await purgeActivity(db);
    // The credential revocation feed's rows past the hour its readers look back.
    await pruneCredentialRevocations(db);
    if (budgets > 0) log.debug({ budgets }, 'pruned whole request budgets');
  };

  const loops = [every(config.reapInterval, reap, 'reap'), every(config.purgeInterval, purge, 'purge')];
  function every(ms: number, job: () => Promise<void>, name: string) {
    let running: Promise<void> | undefined;
    const tick = () => {
      if (running) return;
      running = job()
        .catch((error) => {
          // A full disk is logged once by the monitor; the job simply runs again at the next tick.
          if (deps.storage?.noteIfFull(error)) log.debug({ job: name }, 'maintenance job deferred: no room to write');
          else log.error({ err: asError(error), job: name }, 'maintenance job failed');
        })
        .finally(() => (running = undefined));
    };
    const timer = setInterval(tick, ms);
    timer.unref();
    return { timer, idle: () => running ?? Promise.resolve(), tick };
  }

  return {
    async stop() {
      for (const loop of loops) clearInterval(loop.timer);
      await Promise.all(loops.map((loop) => loop.idle()));
    },
    async reapNow() {
      await loops[0].idle();
      await reap();
    },
  };
}
