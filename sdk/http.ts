/**
 * The SDK's one door to the service: JSON over got, bearer token, typed errors,
 * and retries of idempotent calls.
 *
 * Retries: a call marked idempotent (reads, long-polls, and submits, which
 * carry an Idempotency-Key so a replay creates nothing twice) is retried on
 * 429 and 5xx answers and on network failures, waiting what `Retry-After`
 * asks (seconds or an HTTP date, capped) or else an exponential backoff with
 * jitter. Other calls (registering a function, cancel, delete) are sent once:
 * a retry of a request the service may already have carried out could do it twice.
 *
 * Tokens: a fixed string, or a TokenSource (a stored OpenID Connect login)
 * asked before every attempt, so a token about to expire is renewed first; a
 * 401 makes the call renew once and send again (the service refused it
 * before doing anything, so this is safe for every call).
 */
import got, { RequestError, type Got, type Method } from 'got';
import { backoffDelay } from './backoff.js';
import { ServiceUnreachable } from './errors.js';
import { serviceError } from './serviceError.js';
import { sleep } from './sleep.js';
import type { Connections } from './transport/connections.js';
import { sdkConnections } from './transport/sdkConnections.js';

export interface RetryPolicy {
  /** Attempts after the first (default 4). */
  retries: number;
  /** First backoff when the service gives no Retry-After (default 500 ms), doubling each time. */
  baseDelayMs: number;
  /** No wait longer than this, even if Retry-After asks for more (default 30 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 500, maxDelayMs: 30_000 };

export interface RequestOptions {
  body?: unknown;
  searchParams?: Record<string, string | number | boolean | undefined>;
  /** Safe to send again (see the module comment). */
  idempotent?: boolean;
  headers?: Record<string, string>;
  /** Per-attempt timeout (default 60 s); long-polls pass their wait plus a margin. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A 429 or 5xx: the service asks to come back later, or failed on its side. */
/** Where the bearer token comes from when it can change during the transport's life. */
export interface TokenSource {
  /** The token to send now (renewed first when about to expire). */
  current(): Promise<string>;
  /** The service refused `rejected`: a renewed token to try once more, or undefined to give up. */
  renewAfterRejection(rejected: string): Promise<string | undefined>;
}

const fixedToken = (token: string): TokenSource => ({ current: async () => token, renewAfterRejection: async () => undefined });

const RETRYABLE_STATUS = (status: number) => status === 429 || status >= 500;
const RETRYABLE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

export class HttpTransport {
  private readonly got: Got;
  /** Requests sent (every attempt), by `METHOD /path` (ids as `:id`): lets tests and benchmarks see batching. */
  readonly sent = new Map<string, number>();
  /** The most requests of one kind in flight at once: shows the Executor keeps one long-poll, not one per future. */
  readonly peakInFlight = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly tokens: TokenSource;
  /** How requests reach the service: direct or through the site's proxy, trusting which CAs (sdk/transport/). */
  readonly connections: Connections;

  constructor(readonly serviceUrl: string, token: string | TokenSource, readonly retry: RetryPolicy = DEFAULT_RETRY, tls: { caFile?: string; connections?: Connections } = {}) {
    this.tokens = typeof token === 'string' ? fixedToken(token) : token;
    this.connections = tls.connections ?? sdkConnections({ caFile: tls.caFile });
    this.got = got.extend({
      // Proxy agents and CAs (verification always stays on): sdk/transport/connections.ts.
      ...this.connections.gotOptions(serviceUrl),
      prefixUrl: serviceUrl,
      headers: { accept: 'application/json', 'user-agent': 'funcx-ts-sdk' },
      throwHttpErrors: false,
      retry: { limit: 0 }, // our own loop below: got's would also retry calls that must not be
      responseType: 'text',
    });
  }

  async request<T>(method: Method, urlPath: string, options: RequestOptions = {}): Promise<T> {
    const key = `${method} ${urlPath.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, ':id')}`;
    const now = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, now);
    this.peakInFlight.set(key, Math.max(now, this.peakInFlight.get(key) ?? 0));
    try {
      return await this.attempts<T>(method, urlPath, key, options);
    } finally {
      this.inFlight.set(key, this.inFlight.get(key)! - 1);
    }
  }

  private async attempts<T>(method: Method, urlPath: string, key: string, options: RequestOptions): Promise<T> {
    let token = await this.tokens.current();
    let renewed = false;
    for (let attempt = 0; ; attempt += 1) {
      const canRetry = options.idempotent === true && attempt < this.retry.retries;
      this.sent.set(key, (this.sent.get(key) ?? 0) + 1);
      let response;
      try {
        response = await this.got(urlPath.replace(/^\//, ''), {
          method,
          ...(options.body !== undefined ? { json: options.body } : {}),
          searchParams: options.searchParams && definedOnly(options.searchParams),
          headers: { authorization: `Bearer ${token}`, ...options.headers },
          timeout: { request: options.timeoutMs ?? 60_000 },
          signal: options.signal,
        });
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        const code = error instanceof RequestError ? error.code : undefined;
        if (canRetry && code && RETRYABLE_NETWORK.has(code)) {
          await sleep(this.backoff(attempt), options.signal);
          options.signal?.throwIfAborted();
          token = await this.tokens.current(); // a long backoff may outlast the token
          continue;
        }
        throw new ServiceUnreachable(`${method} ${this.serviceUrl}${urlPath} failed: ${(error as Error).message}${this.connections.explainFailure(this.serviceUrl, code)}`, { cause: error });
      }
      const body = parseBody(response.body);
      if (response.statusCode >= 200 && response.statusCode < 300) return body as T;
      if (response.statusCode === 401 && !renewed) {
        renewed = true;
        const next = await this.tokens.renewAfterRejection(token);
        if (next !== undefined) {
          token = next;
          attempt -= 1; // the refused attempt does not count against the retries
          continue;
        }
      }
      if (canRetry && RETRYABLE_STATUS(response.statusCode)) {
        const retryAfter = retryAfterMs(response.headers['retry-after']);
        await sleep(Math.min(retryAfter ?? this.backoff(attempt), this.retry.maxDelayMs), options.signal);
        options.signal?.throwIfAborted();
        token = await this.tokens.current();
        continue;
      }
      const requestId = response.headers['x-request-id'];
      throw serviceError(response.statusCode, body, typeof requestId === 'string' ? requestId : undefined);
    }
  }

  /** The SDK's backoff (backoff.ts: exponential, equal jitter), so many clients retrying do not arrive together. */
  private backoff(attempt: number): number {
    return backoffDelay(attempt, { initialMs: this.retry.baseDelayMs, maxMs: this.retry.maxDelayMs });
  }
}

function definedOnly(params: Record<string, string | number | boolean | undefined>): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined)) as Record<string, string | number | boolean>;
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3); undefined if absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
