/**
 * The endpoint's HTTP client for the service (node:http(s) on keep-alive agents, HTTP or HTTPS,
 * direct or through the site's proxy; a custom CA file may be trusted, certificate
 * checks always stay on; transport/jsonRequest.ts says why not got). Every call either
 * returns the parsed body or throws one of endpoint/errors.ts; retrying is the
 * caller's choice, since only the caller knows whether waiting is right.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode } from '@funcx-ts/shared/errors.js';
import type { ErrorResponse } from '@funcx-ts/shared/wire/error.js';
import { CredentialRefused, ServiceRejected, ServiceUnreachable } from './errors.js';
import { Connections } from './transport/serviceConnections.js';
import { jsonRequest, JsonRequestFailed, type JsonResponse } from './transport/jsonRequest.js';
import { schemasDir } from './packageRoot.js';
import type { EndpointLeaseResponse } from '@funcx-ts/shared/wire/endpoint-lease-response.js';
import type { EndpointCancelsResponse } from '@funcx-ts/shared/wire/endpoint-cancels-response.js';
import type { EndpointResultsRequest } from '@funcx-ts/shared/wire/endpoint-results.js';
import type { EndpointResultsResponse } from '@funcx-ts/shared/wire/endpoint-results-response.js';
import type { EndpointHeartbeatRequest } from '@funcx-ts/shared/wire/endpoint-heartbeat.js';
import type { EndpointHeartbeatResponse } from '@funcx-ts/shared/wire/endpoint-heartbeat-response.js';
import type { EndpointRegisterRequest } from '@funcx-ts/shared/wire/endpoint-register.js';
import type { EndpointRegisterResponse } from '@funcx-ts/shared/wire/endpoint-register-response.js';

export type PostedResult = EndpointResultsRequest['results'][number];
export type HeldLease = { task_id: string; lease_token: string };

/** Text a task printed, from byte `offset` of its combined stdout and stderr. */
export interface OutputChunk {
  task_id: string;
  lease_token: string;
  offset: number;
  text: string;
}

/**
 * The most tasks one lease request may ask for: the max_tasks maximum in
 * schemas/endpoint-lease.json, read from the schema so the two cannot drift
 * (asking for more is a 400, and an endpoint with more room would never lease).
 */
export const MAX_LEASE_TASKS: number = leaseRequestMaximum();

function leaseRequestMaximum(): number {
  const schema = JSON.parse(readFileSync(path.join(schemasDir(), 'endpoint-lease.json'), 'utf8')) as {
    properties: { max_tasks: { maximum: number } };
  };
  return schema.properties.max_tasks.maximum;
}

export class ServiceClient {
  /** The service's URL with a trailing slash, so call paths resolve under any path prefix it has. */
  readonly #base: URL;

  /** Direct or through the site's proxy, trusting which CAs (endpoint/transport/serviceConnections.ts). */
  readonly connections: Connections;

  constructor(readonly serviceUrl: string, options: { caFile?: string | null; connections?: Connections } = {}) {
    this.connections = options.connections ?? new Connections(options.caFile ? { caFile: { file: options.caFile, setting: 'ca_file' } } : {});
    this.#base = new URL(serviceUrl.endsWith('/') ? serviceUrl : `${serviceUrl}/`);
  }

  /** GET /v2/version (needs no token): what the service serves, read leniently by transport/versionCheck.ts. */
  version(): Promise<unknown> {
    return this.call('GET', 'v2/version', undefined, undefined, 30_000);
  }

  register(userToken: string, body: EndpointRegisterRequest, knownId?: string): Promise<EndpointRegisterResponse> {
    return knownId
      ? this.call('PUT', `v3/endpoints/${knownId}`, userToken, body, 30_000)
      : this.call('POST', 'v3/endpoints', userToken, body, 30_000);
  }

  deleteEndpoint(userToken: string, endpointId: string): Promise<unknown> {
    return this.call('DELETE', `v3/endpoints/${endpointId}`, userToken, undefined, 30_000);
  }

  /**
   * `session`: the agent run's id, recorded on the leases (what a reconcile is scoped to; session.ts).
   * `maxBytes`: the payload bytes the answer may carry (leaseBudget.ts); the service still sends one task over it.
   */
  lease(credential: string, endpointId: string, maxTasks: number, waitMs: number, signal?: AbortSignal, session?: string, maxBytes?: number): Promise<EndpointLeaseResponse> {
    const body = { max_tasks: Math.min(maxTasks, MAX_LEASE_TASKS), wait_s: waitMs / 1000, ...(session ? { session } : {}), ...(maxBytes !== undefined ? { max_bytes: Math.max(1, Math.floor(maxBytes)) } : {}) };
    return this.call('POST', `v3/endpoints/${endpointId}/lease`, credential, body, waitMs + 30_000, signal);
  }

  postResults(credential: string, endpointId: string, results: PostedResult[]): Promise<EndpointResultsResponse> {
    return this.call('POST', `v3/endpoints/${endpointId}/results`, credential, { results }, 120_000);
  }

  heartbeat(credential: string, endpointId: string, report: EndpointHeartbeatRequest): Promise<EndpointHeartbeatResponse> {
    return this.call('POST', `v3/endpoints/${endpointId}/heartbeat`, credential, report, 30_000);
  }

  /** The agent's last word: why it goes away (a clean stop, a fatal error); see lastWord.ts. */
  reportState(credential: string, endpointId: string, report: { state: 'offline' | 'failed'; detail: string }, timeoutMs: number): Promise<{ endpoint_id: string; state: string }> {
    return this.call('POST', `v3/endpoints/${endpointId}/state`, credential, report, timeoutMs);
  }

  /** New output of running tasks (outputShipper.ts). */
  postOutput(credential: string, endpointId: string, chunks: OutputChunk[]): Promise<{ accepted: number; refused: string[] }> {
    return this.call('POST', `v3/endpoints/${endpointId}/output`, credential, { chunks }, 30_000);
  }

  /** The cancel watch (cancelWatch.ts): answers as soon as one of `taskIds` is cancelled, or after waitMs with none. */
  watchCancels(credential: string, endpointId: string, taskIds: readonly string[], waitMs: number, signal?: AbortSignal): Promise<EndpointCancelsResponse> {
    return this.call('POST', `v3/endpoints/${endpointId}/cancels`, credential, { task_ids: taskIds, wait_s: waitMs / 1000 }, waitMs + 30_000, signal);
  }

  release(credential: string, endpointId: string, leases: HeldLease[]): Promise<{ released: string[] }> {
    return this.call('POST', `v3/endpoints/${endpointId}/release`, credential, { leases }, 30_000);
  }

  /** Asks this agent session's waiting lease poll to answer now, leasing nothing more (stopping; see src/http/leasePollEnd.ts). */
  endPolls(credential: string, endpointId: string, session?: string): Promise<{ ended: number }> {
    return this.call('POST', `v3/endpoints/${endpointId}/polls/end`, credential, session ? { session } : {}, 10_000);
  }

  /**
   * Tells the service these are all the leases the agent holds of those its sessions took
   * (`session`, this run; `previous`, earlier runs in the same endpoint folder); it returns
   * those sessions' others to the queue. Other sessions' leases are untouched.
   */
  reconcile(credential: string, endpointId: string, sessions: { session: string; previous: string[] }, held: HeldLease[], timeoutMs = 30_000): Promise<{ released: string[] }> {
    return this.call('POST', `v3/endpoints/${endpointId}/reconcile`, credential, { session: sessions.session, previous: sessions.previous, held }, timeoutMs);
  }

  protected async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, bearer: string | undefined, json: unknown, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    let response: JsonResponse;
    try {
      // No retries here: the agent's loops own retrying. Keep-alive agents: long-polls reuse one tunnel through a proxy.
      response = await jsonRequest(this.connections, new URL(path, this.#base), {
        method,
        json,
        headers: bearer === undefined ? { 'user-agent': 'funcx-endpoint' } : { 'user-agent': 'funcx-endpoint', authorization: `Bearer ${bearer}` },
        timeoutMs,
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      const code = error instanceof JsonRequestFailed ? error.code : 'ERROR';
      throw new ServiceUnreachable(`cannot reach ${this.serviceUrl} (${code}: ${(error as Error).message})${this.connections.explainFailure(this.serviceUrl, code)}`, undefined, { cause: error });
    }
    const body = response.body as Partial<ErrorResponse> | undefined;
    if (response.statusCode < 300) return response.body as T;
    const code = body?.code ?? `HTTP${response.statusCode}`;
    const reason = body?.reason ?? response.statusMessage ?? '';
    if (response.statusCode === 429 || response.statusCode >= 500) {
      const retryAfter = Number(response.headers['retry-after']);
      throw new ServiceUnreachable(`${this.serviceUrl} answered ${response.statusCode} ${code}: ${reason}`, Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined, { serviceCode: code });
    }
    // 401: no valid credential at all; 403 EndpointAccessForbidden: this credential is not this endpoint's.
    if (response.statusCode === 401 || (response.statusCode === 403 && code === ErrorCode.EndpointAccessForbidden)) {
      throw new CredentialRefused(`the service refused the credential (${code}): ${reason}`, code);
    }
    throw new ServiceRejected(`${method} /${path}: ${response.statusCode} ${code}: ${reason}`, response.statusCode, code);
  }
}
