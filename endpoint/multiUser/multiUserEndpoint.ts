/**
 * The multi-user endpoint's life: it runs no task. It long-polls the service
 * for users with work waiting (user_demand), and for each (user, settings)
 * not already served, under max_user_endpoints, starts a per-user endpoint
 * (startUserEndpoint.ts: map the identity to a local account, render and
 * check the per-user config, get its credential, spawn it as the account).
 * A refusal at any step fails that user's waiting tasks with the reason
 * (IdentityNotMapped, UserEndpointConfigInvalid, UserEndpointFailed) and
 * starts nothing.
 *
 * Per-user endpoints stop themselves when idle (idle_shutdown_after); one
 * that dies (even kill -9) is forgotten, and the service requeues its tasks to
 * it when their leases run out, which reports them as demand again, so the
 * next poll starts it again. Stopping stops them all (SIGTERM: they drain).
 */
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Logger } from '../logger.js';
import { asError } from '@funcx-ts/shared/errors.js';
import { sleep } from '@funcx-ts/shared/time.js';
import { ConfigValidator } from '../configValidator.js';
import { Backoff } from '../backoff.js';
import { CredentialRefused } from '../errors.js';
import { killGroup } from '../workers/processGroup.js';
import { longestDrainMs } from '../agent/index.js';
import type { LocalAccount } from './accounts.js';
import { exitFailure, startUserEndpoint, type RefusalType } from './startUserEndpoint.js';
import type { DemandGroup, MultiUserClient } from './client.js';
import type { MultiUserSettings } from './settings.js';
import type { EndpointSettings } from '../config.js';
import type { EndpointPaths } from '../paths.js';
import { openAuditFile } from '../auditLog.js';

interface RunningUserEndpoint {
  endpointId: string;
  identity: string;
  userConfigKey: string;
  localUser: string;
  child: ChildProcess;
  startedAt: number;
  exited: Promise<void>;
}

export interface UserEndpointReport {
  endpoint_id: string;
  identity: string;
  local_user: string;
  user_config_key: string;
  pid: number | undefined;
  started_at: string;
}

export interface MultiUserDeps {
  paths: EndpointPaths;
  settings: EndpointSettings;
  multi: MultiUserSettings;
  client: MultiUserClient;
  endpointId: string;
  credential: string;
  logger: Logger;
  /**
   * Not run by root (upstream 4.0's templated endpoint of one account): every
   * allowed submitter's per-user endpoints run as this account, the one running
   * the endpoint; no identity mapping.
   */
  runAs?: LocalAccount;
}

export class MultiUserEndpoint {
  private readonly running = new Map<string, RunningUserEndpoint>();
  private readonly stopping = new AbortController();
  private readonly validator = new ConfigValidator();
  private readonly log: Logger;
  private fatal: Error | undefined;
  private done: Promise<void> | undefined;

  /** audit_log_path of this (root's) endpoint, opened once; each per-user endpoint writes its lines through it. */
  private readonly auditLogFd: number | undefined;

  constructor(private readonly deps: MultiUserDeps) {
    this.log = deps.logger.child({ endpointId: deps.endpointId, multiUser: true });
    this.auditLogFd = deps.settings.auditLogPath ? openAuditFile(deps.settings.auditLogPath) : undefined;
  }

  run(): Promise<void> {
    this.done ??= this.main();
    return this.done;
  }

  stop(): void {
    if (this.stopping.signal.aborted) {
      for (const user of this.running.values()) killGroup(user.child.pid);
      return;
    }
    this.log.info({ userEndpoints: this.running.size }, 'stopping: per-user endpoints drain and stop');
    this.stopping.abort();
  }

  userEndpoints(): UserEndpointReport[] {
    return [...this.running.values()].map((user) => ({
      endpoint_id: user.endpointId,
      identity: user.identity,
      local_user: user.localUser,
      user_config_key: user.userConfigKey,
      pid: user.child.pid,
      started_at: new Date(user.startedAt).toISOString(),
    }));
  }

  private async main(): Promise<void> {
    const heartbeats = this.heartbeatLoop();
    try {
      await this.demandLoop();
    } finally {
      this.stopping.abort();
      await this.stopAll();
      await heartbeats;
      this.log.info('multi-user endpoint stopped');
    }
    if (this.fatal) throw this.fatal;
  }

  // --- demand --------------------------------------------------------------

  private async demandLoop(): Promise<void> {
    const { client, credential, endpointId, settings } = this.deps;
    const backoff = new Backoff();
    while (!this.stopping.signal.aborted) {
      try {
        const answer = await client.userDemand(credential, endpointId, { wait_s: settings.pollWaitMs / 1000, serving: [...this.running.keys()] }, this.stopping.signal);
        backoff.reset();
        let started = 0;
        for (const group of answer.users) {
          if (this.stopping.signal.aborted) break;
          if (await this.serve(group)) started += 1;
        }
        // Demand we could not act on (at the process limit): wait for a change rather than spin.
        if (answer.users.length > 0 && started === 0) await sleep(Math.min(settings.heartbeatMs, 5_000), this.stopping.signal);
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        if (error instanceof CredentialRefused) {
          this.fatal = error;
          this.log.error({ err: error.message }, 'the service refused this endpoint\'s credential: stopping');
          break;
        }
        await backoff.wait(error, this.stopping.signal, (wait) => this.log.warn({ err: asError(error).message, retryInMs: wait }, 'asking for user demand failed; retrying'));
      }
    }
  }

  /** Starts the per-user endpoint for one (user, settings), or refuses its tasks; true when a process started. */
  private async serve(group: DemandGroup): Promise<boolean> {
    const { multi } = this.deps;
    if (group.user_endpoint_id && this.running.has(group.user_endpoint_id)) return false;
    if (this.running.size >= multi.maxUserEndpoints) {
      this.log.warn({ identity: group.identity, max: multi.maxUserEndpoints }, 'at max_user_endpoints: the user waits');
      return false;
    }
    const log = this.log.child({ identity: group.identity, userConfigKey: group.user_config_key });
    const started = await startUserEndpoint(group, {
      ...this.deps,
      validator: this.validator,
      userLog: (localUser) => this.userLog(localUser),
      ...(this.auditLogFd !== undefined ? { auditLogFd: this.auditLogFd } : {}),
      log,
    });
    if ('refused' in started) return this.refuse(group, started.refused, started.message, log);
    const { account, child, endpointId } = started;
    const user: RunningUserEndpoint = {
      endpointId, identity: group.identity, userConfigKey: group.user_config_key, localUser: account.name,
      child, startedAt: Date.now(),
      exited: started.exited.then(({ code, signal }) => {
        this.running.delete(endpointId);
        log.info({ endpoint: endpointId, localUser: account.name, code, signal }, 'per-user endpoint exited');
        const failure = this.stopping.signal.aborted ? undefined : exitFailure(code, this.userLog(account.name), started.logStart);
        if (failure) void this.refuse(group, 'UserEndpointFailed', failure, log);
      }),
    };
    this.running.set(endpointId, user);
    log.info({ endpoint: endpointId, localUser: account.name, uid: account.uid, pid: child.pid, rule: started.rule }, 'per-user endpoint started');
    return true;
  }

  private async refuse(group: DemandGroup, type: RefusalType, message: string, log: Logger): Promise<false> {
    log.warn({ type, reason: message }, 'refusing the user\'s waiting tasks');
    try {
      await this.deps.client.failUserTasks(this.deps.credential, this.deps.endpointId, {
        identity: group.identity, user_config_key: group.user_config_key, type, message: message.slice(0, 4000),
      });
    } catch (error) {
      log.error({ err: asError(error).message }, 'could not refuse the tasks; they stay waiting and are tried again');
    }
    return false;
  }

  private userLog(localUser: string): string {
    return path.join(this.deps.paths.dir, 'user-logs', `${localUser}.log`);
  }

  // --- status --------------------------------------------------------------

  private async heartbeatLoop(): Promise<void> {
    const { client, credential, endpointId, settings } = this.deps;
    while (!this.stopping.signal.aborted) {
      try {
        await client.heartbeat(credential, endpointId, {
          total_workers: 0, idle_workers: 0, outstanding_tasks: 0, pending_tasks: 0,
          hostname: os.hostname(),
          details: { multi_user: true, user_endpoints: this.userEndpoints() },
        });
      } catch (error) {
        if (error instanceof CredentialRefused) {
          this.fatal ??= error;
          this.stop();
          return;
        }
        this.log.warn({ err: asError(error).message }, 'heartbeat failed');
      }
      await sleep(settings.heartbeatMs, this.stopping.signal);
    }
  }

  // --- stopping ------------------------------------------------------------

  private async stopAll(): Promise<void> {
    const users = [...this.running.values()];
    for (const user of users) user.child.kill('SIGTERM'); // the endpoint process only: it stops its own workers
    const all = Promise.all(users.map((user) => user.exited));
    // Each drains as any endpoint does (grace period, then posting results); past that, killed.
    const limit = longestDrainMs(this.deps.settings.graceMs) + 10_000;
    const timer = setTimeout(() => {
      for (const user of users) killGroup(user.child.pid);
    }, limit);
    await all;
    clearTimeout(timer);
  }
}
